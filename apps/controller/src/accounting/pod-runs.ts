import type { Pod } from 'kubernetes-types/core/v1';
import { ATTEMPT_LABEL, WORKLOAD_LABEL, type Workload } from '@kentaur/api';
import type { DeviceRun } from '@kentaur/ledger';

/**
 * What the usage meter reads of a pod, pure: when its devices ran. Kubernetes stamps pod times to
 * the second, so the meter works in whole seconds throughout (docs/adr/0008-ledger-exactly-once.md).
 */

const SECOND_MS = 1000;

/** `t` rounded down to a whole second: the resolution of every time the meter compares. */
export const floorToSecond = (t: number): number => Math.floor(t / SECOND_MS) * SECOND_MS;

/** The key that ties pods to one admission of a workload: `namespace/workload/attempt`. */
export function attemptKeyOfWorkload(w: Workload): string {
  return `${w.metadata.namespace}/${w.metadata.name}/${w.status?.attempts ?? 0}`;
}

export function attemptKeyOfPod(p: Pod): string | undefined {
  const labels = p.metadata?.labels ?? {};
  const workload = labels[WORKLOAD_LABEL];
  const attempt = labels[ATTEMPT_LABEL];
  return workload && attempt ? `${p.metadata?.namespace}/${workload}/${attempt}` : undefined;
}

const FINISHED_PHASES = new Set(['Succeeded', 'Failed']);

const latest = (times: (string | undefined)[]): number =>
  Math.max(...times.map((t) => (t ? Date.parse(t) : NaN)).filter(Number.isFinite));

/** When a finished pod stopped: its containers' last finish, else its last condition change. */
function finishedAtOf(p: Pod): number | undefined {
  const terminated = latest((p.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt));
  if (Number.isFinite(terminated)) return terminated;
  const changed = latest((p.status?.conditions ?? []).map((c) => c.lastTransitionTime));
  return Number.isFinite(changed) ? changed : undefined;
}

/**
 * One pod's run of `devices`: from its start to its finish; a pod still running has no end, unless
 * it is gone (deleted before it finished), when it ran until `goneAtMs`. Undefined for a pod that
 * never started.
 */
export function podRun(p: Pod, devices: number, goneAtMs?: number): DeviceRun | undefined {
  const startMs = Date.parse(p.status?.startTime ?? '');
  if (!Number.isFinite(startMs)) return undefined;
  const finished = FINISHED_PHASES.has(p.status?.phase ?? '') ? finishedAtOf(p) : undefined;
  const end = finished ?? (goneAtMs === undefined ? undefined : floorToSecond(goneAtMs));
  return { devices, startMs, ...(end === undefined ? {} : { endMs: Math.max(startMs, end) }) };
}

/**
 * The fields of a pod the meter keeps (its cache holds every pod Kentaur created, finished ones
 * included, so it keeps little of each).
 */
export function trimPod(p: Pod): Pod {
  const m = p.metadata ?? {};
  const s = p.status ?? {};
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      labels: {
        [WORKLOAD_LABEL]: m.labels?.[WORKLOAD_LABEL] ?? '',
        [ATTEMPT_LABEL]: m.labels?.[ATTEMPT_LABEL] ?? '',
      },
    },
    spec: p.spec?.nodeName ? { nodeName: p.spec.nodeName, containers: [] } : undefined,
    status: {
      phase: s.phase,
      startTime: s.startTime,
      containerStatuses: s.containerStatuses?.map((c) => ({
        name: c.name,
        image: '',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: c.state?.terminated ? { terminated: c.state.terminated } : {},
      })),
      conditions: s.conditions?.map((c) => ({
        type: c.type,
        status: c.status,
        lastTransitionTime: c.lastTransitionTime,
      })),
    },
  };
}
