/** Labels Kentaur puts on the objects it creates for a Workload; selectors and caches read them. */
export const WORKLOAD_LABEL = 'kentaur.io/workload';
export const TENANT_LABEL = 'kentaur.io/tenant';
export const POOL_LABEL = 'kentaur.io/pool';
/** Which admission of the workload an object belongs to (status.attempts); earlier attempts' objects are stale. */
export const ATTEMPT_LABEL = 'kentaur.io/attempt';
/** PriorityClass of every pod Kentaur renders; the tenant namespaces' device quota exempts only it (ADR 6). */
export const ADMITTED_PRIORITY_CLASS = 'kentaur-admitted';

/**
 * The name of the Job or Deployment of one admission of a workload: `<workload>-<attempt>`, so
 * `train` runs first as Job `train-1` (ADR 16). Each admission has its own name: an object created
 * under the name of one just deleted races kube-controller-manager's cache of the old one, and a
 * gang's replica hostnames (`train-1-0`) never resolve to an earlier admission's terminating pods.
 * No two (workload, attempt) pairs share a name: the attempt is what follows the last '-', the
 * workload what precedes it (workload `a-1` at attempt 2 is `a-1-2`; workload `a` at attempt 1 is `a-1`).
 */
export function admissionObjectName(workload: string, attempt: number | string): string {
  return `${workload}-${attempt}`;
}

/**
 * The `namespace/name` of the Workload an object Kentaur made belongs to, read from its workload
 * label (Jobs, Deployments, Services and pods); undefined for an object without that label.
 */
export function workloadKeyOfObject(o: {
  metadata?: { namespace?: string; labels?: Record<string, string> };
}): string | undefined {
  const workload = o.metadata?.labels?.[WORKLOAD_LABEL];
  return workload ? `${o.metadata?.namespace}/${workload}` : undefined;
}
