import type { Pod } from 'kubernetes-types/core/v1';
import type { Workload } from '@kentaur/api';
import type { DeviceRun } from '@kentaur/ledger';
import type { Informer } from '@kentaur/k8s-runtime';
import { attemptKeyOfPod, attemptKeyOfWorkload, podRun } from './pod-runs';

interface GonePod {
  pod: Pod;
  goneAtMs: number;
}

export interface MeterView {
  /** The runs of the workload's current attempt (started pods only). */
  readonly runsOf: (w: Workload) => DeviceRun[];
  /** Devices of the current attempt's started pods, by node (for measured power). */
  readonly devicesByNodeOf: (w: Workload) => Map<string, number>;
}

/**
 * The runs of each admission's pods, for metered usage: the pods Kentaur created (its own cache,
 * finished pods included) and, remembered until the admission is accounted to its end, the pods
 * that were deleted meanwhile (preempted, cancelled, or cleaned up with their Job), with the time
 * they went. A controller that restarts forgets those: a pod deleted while no replica watched
 * counts until its last sight.
 */
export class PodMeter {
  private readonly gone = new Map<string, Map<string, GonePod>>();

  constructor(
    private readonly pods: Pick<Informer<Pod>, 'list' | 'addHandlers'>,
    private readonly now: () => number = Date.now,
  ) {
    pods.addHandlers({ onDelete: (p) => this.remember(p) });
  }

  /** Lookups of each workload's current-attempt pods, from the cache as it is now. */
  view(): MeterView {
    const index = new Map<string, Pod[]>();
    for (const p of this.pods.list()) {
      const key = attemptKeyOfPod(p);
      if (!key) continue;
      const list = index.get(key);
      if (list) list.push(p);
      else index.set(key, [p]);
    }
    const podsOf = (w: Workload) => {
      const key = attemptKeyOfWorkload(w);
      const gone = [...(this.gone.get(key)?.values() ?? [])];
      return [...(index.get(key) ?? []).map((pod) => ({ pod, goneAtMs: undefined })), ...gone];
    };
    return {
      runsOf: (w) =>
        podsOf(w)
          .map((g) => podRun(g.pod, w.spec.accelerators.count, g.goneAtMs))
          .filter((r): r is DeviceRun => r !== undefined),
      devicesByNodeOf: (w) => {
        const byNode = new Map<string, number>();
        for (const { pod } of podsOf(w)) {
          const node = pod.spec?.nodeName;
          if (node && pod.status?.startTime)
            byNode.set(node, (byNode.get(node) ?? 0) + w.spec.accelerators.count);
        }
        return byNode;
      },
    };
  }

  /** The admission is accounted to its end: its deleted pods need no remembering. */
  forget(w: Workload): void {
    this.gone.delete(attemptKeyOfWorkload(w));
  }

  /** Drops what is remembered for admissions whose workload no longer exists. */
  prune(live: readonly Workload[]): void {
    const keep = new Set(live.map(attemptKeyOfWorkload));
    for (const key of this.gone.keys()) if (!keep.has(key)) this.gone.delete(key);
  }

  private remember(p: Pod): void {
    const key = attemptKeyOfPod(p);
    const uid = p.metadata?.uid;
    if (!key || !uid) return;
    const byPod = this.gone.get(key) ?? new Map<string, GonePod>();
    byPod.set(uid, { pod: p, goneAtMs: this.now() });
    this.gone.set(key, byPod);
  }
}
