import type { AcceleratorPool, Workload } from '@kentaur/api';
import { runnableVendors, type PoolSnapshot } from '@kentaur/core';
import { HOLDING_PHASES, pendingOf } from '@kentaur/vendors';

export interface EvacuationDecision {
  key: string;
  pool: string;
  /** true: stop it here and requeue it (another pool can run it); false: it stays, reported. */
  move: boolean;
  reason: string;
}

/**
 * What evacuating pools (spec.evacuate, which requires spec.cordoned) mean for the work running
 * in them: a workload that some other, uncordoned pool could run (image, class, memory, precisions,
 * models; capacity is the scheduler's business) is moved by requeueing it; one that no other pool
 * can run stays where it is, and says so. Pure.
 */
export function evacuationDecisions(o: {
  workloads: readonly Workload[];
  pools: readonly AcceleratorPool[];
  snapshotPools: readonly PoolSnapshot[];
}): EvacuationDecision[] {
  const evacuating = new Set(
    o.pools.filter((p) => p.spec.evacuate && p.spec.cordoned).map((p) => p.metadata.name!),
  );
  if (evacuating.size === 0) return [];
  const decisions: EvacuationDecision[] = [];
  for (const w of o.workloads) {
    const pool = w.status?.admission?.pool;
    if (!pool || !evacuating.has(pool) || !HOLDING_PHASES.has(w.status?.phase ?? '')) continue;
    const elsewhere = o.snapshotPools.filter((p) => p.name !== pool && !p.cordoned);
    const vendors = runnableVendors(pendingOf(w, ''), elsewhere);
    const key = `${w.metadata.namespace}/${w.metadata.name}`;
    decisions.push(
      vendors.length > 0
        ? {
            key,
            pool,
            move: true,
            reason: `pool ${pool} is being evacuated: moving to a pool of ${vendors.join(', ')}`,
          }
        : {
            key,
            pool,
            move: false,
            reason: `pool ${pool} is being evacuated, but no other pool can run this workload (allowed vendors, images, memory, precisions or models); it stays until it ends or is cancelled`,
          },
    );
  }
  return decisions;
}
