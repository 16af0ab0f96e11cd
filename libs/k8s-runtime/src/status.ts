import type { Condition } from '@kentaur/api';
import type { KubeClient, KubeObject } from './client';
import type { ResourceType } from './resource-types';

export type { Condition };

/** Structural equality of JSON values, insensitive to key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/**
 * Returns the conditions with `c` set: lastTransitionTime changes only when the status changes,
 * so a condition re-set with the same status keeps the time it first became so.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  c: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const previous = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    ...c,
    lastTransitionTime: previous && previous.status === c.status ? previous.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Writes `status` through the status subresource when it differs from the object's current one,
 * stamping observedGeneration. The write carries the object's resourceVersion: a stale object
 * fails with 409 Conflict and the reconcile is retried with fresh state. Returns the updated
 * object, or undefined when nothing needed writing.
 */
export async function writeStatusIfChanged<S extends object, T extends KubeObject & { status?: S }>(
  client: KubeClient,
  type: ResourceType,
  obj: T,
  status: S,
): Promise<T | undefined> {
  const next = { ...status, observedGeneration: obj.metadata?.generation };
  if (jsonEqual(obj.status, next)) return undefined;
  return client.replace<T>(type, { ...obj, status: next }, { subresource: 'status' });
}

/** Adds a finalizer (optimistically: the patch carries the resourceVersion). No-op when present. */
export async function ensureFinalizer<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  obj: T,
  finalizer: string,
): Promise<T> {
  const current = obj.metadata?.finalizers ?? [];
  if (current.includes(finalizer)) return obj;
  return client.patch<T>(
    type,
    obj.metadata!.name!,
    { metadata: { resourceVersion: obj.metadata?.resourceVersion, finalizers: [...current, finalizer] } },
    { namespace: obj.metadata?.namespace },
  );
}

/** Removes a finalizer (optimistically). No-op when absent. */
export async function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  obj: T,
  finalizer: string,
): Promise<T> {
  const current = obj.metadata?.finalizers ?? [];
  if (!current.includes(finalizer)) return obj;
  return client.patch<T>(
    type,
    obj.metadata!.name!,
    {
      metadata: {
        resourceVersion: obj.metadata?.resourceVersion,
        finalizers: current.filter((f) => f !== finalizer),
      },
    },
    { namespace: obj.metadata?.namespace },
  );
}
