import type { PoolState, RunningState } from './cycle-state';
import type { Evaluation } from './admission';
import type { PendingEntry } from './ordering';
import type { PreemptionKind } from './preemption';
import { durationWords, fmt, plural } from './reasons';
import type { PendingWorkload } from './snapshot';

/** Reasons for waiting on capacity and for being preempted, in words a tenant understands. */

export const needs = (replicas: number, d: number) =>
  `needs ${plural(replicas, 'node')} with ${plural(d, 'free device')}`;

/** Per vendor: how many nodes could take one replica now; "full" when no node has a free device. */
export function vendorSummary(pools: readonly PoolState[], devicesPerReplica: number): string {
  const byVendor = new Map<string, { nodes: number; highest: number }>();
  for (const p of pools) {
    const v = byVendor.get(p.pool.vendor) ?? { nodes: 0, highest: 0 };
    v.nodes += p.free.countAtLeast(devicesPerReplica);
    v.highest = Math.max(v.highest, p.free.highest());
    byVendor.set(p.pool.vendor, v);
  }
  return [...byVendor.keys()]
    .sort()
    .map((vendor) => {
      const { nodes, highest } = byVendor.get(vendor)!;
      if (nodes > 0) return `${vendor}: ${plural(nodes, 'node')} free`;
      return highest === 0 ? `${vendor}: full` : `${vendor}: at most ${highest} free on a node`;
    })
    .join(', ');
}

/** Why a workload may not use a pool reserved for another one (it could not backfill it). */
export function reservedClause(pool: PoolState, w: Pick<PendingWorkload, 'maxDurationSeconds'>): string {
  const r = pool.reservation!;
  const max = w.maxDurationSeconds;
  const why =
    max === undefined
      ? 'this workload has no maxDuration, so it cannot backfill'
      : `this workload (maxDuration ${durationWords(max)}) would end after that`;
  return `${pool.pool.name} is reserved for ${r.workload} until ${r.untilText} and ${why}`;
}

export function capacityReason(input: {
  entry: PendingEntry;
  fleetFull?: boolean;
  ev?: Evaluation;
  triedPreemption?: boolean;
}): string {
  const { entry, ev } = input;
  const { replicas, devicesPerReplica: d } = entry.workload;
  const head = `no pool fits: ${needs(replicas, d)}`;
  if (input.fleetFull || !ev) return `${head}; every pool is full`;
  const parts: string[] = [];
  if (ev.candidates.length > 0) parts.push(vendorSummary(ev.candidates, d));
  for (const pool of ev.reservedOut) parts.push(reservedClause(pool, entry.workload));
  if (input.triedPreemption)
    parts.push(
      entry.priorityClass === 'emergency'
        ? 'preempting the work an emergency may preempt would not make room'
        : 'reclaiming borrowed capacity would not make room',
    );
  return `${head}; ${parts.join('; ')}`;
}

export function preemptionReason(input: {
  kind: PreemptionKind;
  entry: PendingEntry;
  victim: RunningState;
  requestCU: number;
}): string {
  const { kind, entry, requestCU } = input;
  const claimant = entry.tenant;
  if (kind === 'emergency')
    return `preempted by emergency workload ${entry.workload.key} of tenant ${claimant.tenant.name}`;
  return (
    `reclaimed: tenant ${claimant.tenant.name} is under its guaranteed ${fmt(claimant.tenant.guaranteedCU)} CU ` +
    `(using ${fmt(claimant.usageCU)} CU, needs ${fmt(requestCU)}) and this workload ran on borrowed capacity`
  );
}
