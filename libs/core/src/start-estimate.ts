import type { CycleState, Occupant, PoolState, Reservation, TenantState } from './cycle-state';
import type { EpochMs, TenantName, WorkloadKey } from './ids';
import { NodeLevels } from './node-levels';
import { CU_EPSILON, quotaReason, withinLimit } from './quota';
import { isoTime } from './reasons';
import { earliestFit, endingOccupants, expectedEnd, mayBackfill, type Ending } from './reservation';
import type { CycleRun } from './scheduler';
import { pickNodes } from './scoring';
import type { PendingWorkload } from './snapshot';
import { needs, reservedClause } from './wait-reasons';

/**
 * When a workload submitted now would start in a pool, read from the state a cycle over the current
 * queue leaves behind: the queue's admissions hold their devices until their expected ends, and a
 * pool reserved for a blocked workload is taken by that workload at the reserved time.
 *
 * An estimate, optimistic in known ways: queued work that waits without a reservation may take the
 * devices first, and the candidate is assumed to preempt nothing (emergency and reclaim are
 * decided by the cycle that sees it).
 */

export interface StartEstimate {
  /** config.now when it would be admitted in the next cycle; undefined when no end is known. */
  readonly at: EpochMs | undefined;
  /** Why it would wait, in words; empty when it starts now. */
  readonly reasons: readonly string[];
}

/** The tenant's running and just admitted work: what frees its quota, and when. */
interface TenantWork {
  readonly cu: number;
  readonly end: EpochMs | undefined;
}

/**
 * What every estimate on one run reads, whatever the candidate: each tenant's running and just
 * admitted work, and each pool's work by end. Built once per run, as far as asked for: on a
 * gigafactory queue, building them for every quote was most of the quote (`npm run bench -- core`).
 */
export interface RunShared {
  tenantWork(tenant: TenantName): readonly TenantWork[];
  ending(pool: PoolState): readonly Ending[];
  /** A reserved pool as it will be when its holder takes it (`withHolder`), with its work by end. */
  held(pool: PoolState, reservation: Reservation): { view: PoolView; ending: readonly Ending[] };
}

type PoolView = Pick<PoolState, 'free' | 'occupants'>;

export function runShared(run: CycleRun, pending: ReadonlyMap<WorkloadKey, PendingWorkload>): RunShared {
  let byTenant: Map<TenantName, TenantWork[]> | undefined;
  const endings = new Map<PoolState, Ending[]>();
  const helds = new Map<PoolState, { view: PoolView; ending: readonly Ending[] }>();
  const workOf = () => {
    const m = new Map<TenantName, TenantWork[]>();
    const add = (tenant: TenantName, work: TenantWork) => {
      const list = m.get(tenant);
      if (list) list.push(work);
      else m.set(tenant, [work]);
    };
    for (const r of run.state.running)
      if (r.alive) add(r.workload.tenant, { cu: r.workload.computeUnits, end: r.end });
    for (const a of run.result.admitted) add(a.tenant, { cu: a.computeUnits, end: a.expectedEndAt });
    return m;
  };
  return {
    tenantWork: (tenant) => (byTenant ??= workOf()).get(tenant) ?? [],
    ending: (pool) => {
      let e = endings.get(pool);
      if (!e) endings.set(pool, (e = endingOccupants(pool.occupants)));
      return e;
    },
    held: (pool, r) => {
      let h = helds.get(pool);
      if (!h) {
        const view = withHolder(pool, pending.get(r.workload), r.until);
        helds.set(pool, (h = { view, ending: endingOccupants(view.occupants) }));
      }
      return h;
    },
  };
}

/** What the estimates of every pool share. */
export interface StartContext {
  readonly state: CycleState;
  readonly workload: PendingWorkload;
  /** The candidate's tenant after the cycle: usage and spend include the queue's admissions. */
  readonly tenant: TenantState;
  readonly tenantWork: readonly TenantWork[];
  /** The queue by key: the holders of reservations. */
  readonly pending: ReadonlyMap<WorkloadKey, PendingWorkload>;
  readonly shared: RunShared;
}

export function startContext(input: {
  run: CycleRun;
  /** The queue the run decided on, by key (built once per run: it is as long as the queue). */
  pending: ReadonlyMap<WorkloadKey, PendingWorkload>;
  /** runShared(run), built once per run. */
  shared: RunShared;
  workload: PendingWorkload;
  tenant: TenantState;
}): StartContext {
  const { run, workload, tenant, shared } = input;
  const tenantWork = shared.tenantWork(tenant.tenant.name);
  return { state: run.state, workload, tenant, tenantWork, pending: input.pending, shared };
}

/** The start in `pool` of a request of `cu` compute units: the latest of quota, capacity and reservation. */
export function estimateStart(ctx: StartContext, pool: PoolState, cu: number): StartEstimate {
  const now = ctx.state.config.now;
  const reasons: string[] = [];
  const quotaAt = quotaFreeAt(ctx, cu);
  if (quotaAt !== now) reasons.push(quotaReason(ctx.tenant, cu));
  const fit = capacityFit(ctx, pool, reasons);
  // Free devices only grow while nothing new is admitted: the gang fits from `fit` on.
  const from = fit === undefined || quotaAt === undefined ? undefined : Math.max(fit, quotaAt);
  const at = from === undefined ? undefined : afterReservation(ctx, pool, from, reasons);
  return { at, reasons };
}

/**
 * When the tenant's usage leaves room for `cu` under its limit: now, or the expected end of the
 * running work whose completion brings it there (soonest ends first). Undefined: work without a
 * known end holds too much of the quota.
 */
function quotaFreeAt(ctx: StartContext, cu: number): EpochMs | undefined {
  const { tenant } = ctx;
  const now = ctx.state.config.now;
  if (withinLimit(tenant, cu)) return now;
  const ending = ctx.tenantWork
    .filter((work): work is TenantWork & { end: EpochMs } => work.end !== undefined)
    .sort((a, b) => a.end - b.end);
  let usage = tenant.usageCU;
  for (const work of ending) {
    usage -= work.cu;
    if (usage + cu <= tenant.tenant.limitCU + CU_EPSILON) return Math.max(now, work.end);
  }
  return undefined;
}

function capacityFit(ctx: StartContext, pool: PoolState, reasons: string[]): EpochMs | undefined {
  const w = ctx.workload;
  const now = ctx.state.config.now;
  const fit = earliestFit(pool, w, now, ctx.shared.ending(pool));
  if (fit === now) return fit;
  const when =
    fit === undefined
      ? 'the devices are held by work with no known end'
      : `running work frees enough by ${isoTime(fit)}`;
  reasons.push(`no room in ${pool.pool.name} now (${needs(w.replicas, w.devicesPerReplica)}): ${when}`);
  return fit;
}

/**
 * A pool reserved for another workload: the candidate starts at `from` if it ends by the reserved
 * time (backfill, checked at `from`, not now); otherwise the holder takes its gang at that time and
 * the candidate starts once there is room beside it.
 */
function afterReservation(
  ctx: StartContext,
  pool: PoolState,
  from: EpochMs,
  reasons: string[],
): EpochMs | undefined {
  const r = pool.reservation;
  const w = ctx.workload;
  if (!r || r.workload === w.key || mayBackfill(w, r, from)) return from;
  reasons.push(reservedClause(pool, w));
  const held = ctx.shared.held(pool, r);
  return earliestFit(held.view, w, Math.max(from, r.until), held.ending);
}

/**
 * The pool as it will be at `at`: work that ends by then has freed its devices, and the holder
 * has taken its gang (best fit, as the scheduler places it) until its own expected end.
 */
function withHolder(
  pool: PoolState,
  holder: PendingWorkload | undefined,
  at: EpochMs,
): Pick<PoolState, 'free' | 'occupants'> {
  const initial = Array.from({ length: pool.free.size }, (_, node) => pool.free.level(node));
  const free = new NodeLevels({ initial, maxLevel: pool.free.maxLevel });
  const occupants: Occupant[] = [];
  for (const o of pool.occupants) {
    if (!o.alive) continue;
    if (o.end !== undefined && o.end <= at) o.nodes.forEach((node, i) => free.add(node, o.devices[i]!));
    else occupants.push(o);
  }
  if (holder && free.countAtLeast(holder.devicesPerReplica) >= holder.replicas) {
    const d = holder.devicesPerReplica;
    const nodes = pickNodes(free, holder.replicas, d);
    for (const node of nodes) free.add(node, -d);
    occupants.push({ end: expectedEnd(holder, at), nodes, devices: nodes.map(() => d), alive: true });
  }
  return { free, occupants };
}
