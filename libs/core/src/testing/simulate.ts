import type { WorkloadKey } from '../ids';
import type { CycleResult } from '../result';
import type { ClusterSnapshot, PendingWorkload, PoolSnapshot, RunningWorkload } from '../snapshot';

/**
 * What the controller does between cycles, reduced to the snapshot: admitted work starts running,
 * preempted work goes back to the queue (attempts + 1), devices follow. Lets tests run several
 * cycles in a row without a cluster.
 */
export function applyCycle(
  snapshot: ClusterSnapshot,
  result: CycleResult,
  specs: ReadonlyMap<WorkloadKey, PendingWorkload>,
): ClusterSnapshot {
  const admitted = new Set(result.admitted.map((a) => a.key));
  const victims = new Set(result.preemptions.map((p) => p.victim));
  const started: RunningWorkload[] = result.admitted.map((a) => ({
    key: a.key,
    tenant: a.tenant,
    priorityClass: a.priorityClass,
    pool: a.pool,
    placement: a.placement,
    computeUnits: a.computeUnits,
    admittedAt: a.admittedAt,
    ...(a.expectedEndAt !== undefined && { expectedEndAt: a.expectedEndAt }),
    borrowed: a.borrowed,
    portable: false,
  }));
  const requeued = snapshot.running
    .filter((r) => victims.has(r.key))
    .map((r) => {
      const spec = specs.get(r.key);
      if (!spec) throw new Error(`no spec for preempted workload ${r.key}`);
      return { ...spec, attempts: spec.attempts + 1 };
    });
  const delta = new Map<string, number>();
  const shift = (w: Pick<RunningWorkload, 'pool' | 'placement'>, sign: number) => {
    for (const p of w.placement)
      delta.set(`${w.pool}/${p.node}`, (delta.get(`${w.pool}/${p.node}`) ?? 0) + sign * p.devices);
  };
  started.forEach((r) => shift(r, -1));
  snapshot.running.filter((r) => victims.has(r.key)).forEach((r) => shift(r, 1));
  return {
    ...snapshot,
    pools: snapshot.pools.map((pool) => adjustFree(pool, delta)),
    pending: [...snapshot.pending.filter((w) => !admitted.has(w.key)), ...requeued],
    running: [...snapshot.running.filter((r) => !victims.has(r.key)), ...started],
  };
}

/** Running work that `done` selects completes: its devices are free again. */
export function finishRunning(
  snapshot: ClusterSnapshot,
  done: (r: RunningWorkload) => boolean = () => true,
): ClusterSnapshot {
  const delta = new Map<string, number>();
  for (const r of snapshot.running.filter(done))
    for (const p of r.placement)
      delta.set(`${r.pool}/${p.node}`, (delta.get(`${r.pool}/${p.node}`) ?? 0) + p.devices);
  return {
    ...snapshot,
    pools: snapshot.pools.map((pool) => adjustFree(pool, delta)),
    running: snapshot.running.filter((r) => !done(r)),
  };
}

function adjustFree(pool: PoolSnapshot, delta: ReadonlyMap<string, number>): PoolSnapshot {
  return {
    ...pool,
    nodes: pool.nodes.map((n) => ({ ...n, free: n.free + (delta.get(`${pool.name}/${n.name}`) ?? 0) })),
  };
}
