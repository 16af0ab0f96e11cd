import {
  allocate,
  release,
  type CycleState,
  type PoolState,
  type RunningState,
  type TenantState,
} from './cycle-state';
import { staticFeasibility } from './feasibility';
import type { PendingEntry } from './ordering';
import { planPreemption, type PreemptionKind, type PreemptionPlan } from './preemption';
import { computeUnits, quote } from './quote';
import {
  borrowedCU,
  budgetEstimate,
  budgetRefusal,
  quotaReason,
  withinGuarantee,
  withinLimit,
  CU_EPSILON,
} from './quota';
import { chooseReservation, expectedEnd, mayBackfill } from './reservation';
import type { Admission, Preemption, ReservationRecord, WaitCode } from './result';
import { chooseBest, pickNodes, type Candidate } from './scoring';
import { capacityReason, preemptionReason } from './wait-reasons';
import { isoTime } from './reasons';

/**
 * Steps 2–6 for one pending workload, in the cycle's working state: the decision is applied to the
 * state (devices, usage, reservations) before the next workload is decided.
 */

export interface CycleContext {
  readonly state: CycleState;
  /** `${kind}|${claimant}|${pool}|${replicas}|${devices}` → preemption epoch at which planning failed. */
  readonly preemptionFailures: Map<string, number>;
  /** Per priority level: has its head (first workload blocked only by capacity) been seen? */
  readonly levelHeadSeen: boolean[];
  readonly reservations: ReservationRecord[];
  readonly preemptions: Preemption[];
  /** Tells the ordering that a tenant's usage changed outside its own decision. */
  readonly tenantChanged: (tenant: TenantState) => void;
}

export type Outcome =
  | { readonly kind: 'admitted'; readonly admission: Admission }
  | {
      readonly kind: 'waiting';
      readonly code: WaitCode;
      readonly reason: string;
      readonly reservation?: { readonly pool: PoolState; readonly until: number };
    };

/** The pools a workload could use now, and why the others are excluded. */
export interface Evaluation {
  /** Pass quota, budget and other workloads' reservations (capacity not yet checked). */
  readonly candidates: PoolState[];
  /** Smallest request (CU) among pools refused by quota; undefined when none was. */
  quotaCU: number | undefined;
  budgetReason: string | undefined;
  /** Pools reserved for another workload that this one may not backfill. */
  readonly reservedOut: PoolState[];
}

const waiting = (code: WaitCode, reason: string): Outcome => ({ kind: 'waiting', code, reason });

/** The quote and CU of a request on a pool: what scoring, budgets and the admission record need. */
export function candidateFor(ctx: CycleContext, w: PendingEntry['workload'], pool: PoolState): Candidate {
  const q = quote({
    shape: w,
    pool: pool.pool,
    site: pool.site,
    utilisationFactor: ctx.state.config.utilisationFactor,
  });
  return { pool, computeUnits: computeUnits(w, pool.pool), quote: q };
}

/**
 * Quota, budget and reservations per statically feasible pool. Quotes are built only where a
 * budget applies: most workloads of a deep queue wait, and a quote per pool per workload is the
 * bulk of a cycle's garbage.
 */
export function evaluatePools(
  ctx: CycleContext,
  entry: PendingEntry,
  pools: readonly PoolState[],
): Evaluation {
  const { workload: w, tenant } = entry;
  const budgeted = w.budgetEUR !== undefined || tenant.tenant.monthlyBudgetEUR !== undefined;
  const ev: Evaluation = { candidates: [], quotaCU: undefined, budgetReason: undefined, reservedOut: [] };
  for (const pool of pools) {
    const cu = computeUnits(w, pool.pool);
    if (!withinLimit(tenant, cu)) {
      ev.quotaCU = Math.min(ev.quotaCU ?? Infinity, cu);
      continue;
    }
    const refusal = budgeted ? budgetRefusal(w, tenant, candidateFor(ctx, w, pool).quote) : undefined;
    if (refusal !== undefined) {
      ev.budgetReason ??= refusal;
      continue;
    }
    if (
      pool.reservation &&
      pool.reservation.workload !== w.key &&
      !mayBackfill(w, pool.reservation, ctx.state.config.now)
    ) {
      ev.reservedOut.push(pool);
      continue;
    }
    ev.candidates.push(pool);
  }
  return ev;
}

export function decide(ctx: CycleContext, entry: PendingEntry): Outcome {
  const { workload: w, tenant } = entry;
  const feasible = staticFeasibility(w, tenant.tenant, ctx.state.pools);
  if (!feasible.ok) return waiting(feasible.code, feasible.reason);
  if (fleetFullFastPath(ctx, entry)) return waiting('capacity', capacityReason({ entry, fleetFull: true }));
  const ev = evaluatePools(ctx, entry, feasible.pools);
  if (ev.candidates.length === 0 && ev.reservedOut.length === 0) {
    if (ev.budgetReason !== undefined) return waiting('budget', ev.budgetReason);
    return waiting('quota', quotaReason(tenant, ev.quotaCU ?? 0));
  }
  const { replicas, devicesPerReplica } = w;
  const fitting = ev.candidates.filter((pool) => pool.free.countAtLeast(devicesPerReplica) >= replicas);
  if (fitting.length > 0) {
    const scored = fitting.map((pool) => candidateFor(ctx, w, pool));
    return admit(ctx, entry, scored[chooseBest(scored, w, w.optimizeFor)]!);
  }
  const preemption = ev.candidates.length > 0 ? tryPreemption(ctx, entry, ev.candidates) : {};
  if (preemption.plan) return admitWithPreemption(ctx, entry, preemption.plan, preemption.kind!);
  return waitForCapacity(ctx, entry, { ev, triedPreemption: preemption.kind !== undefined });
}

/**
 * Once no pool has a free device, work that cannot preempt and need not reserve waits without a
 * scan of pools: nothing it could do in this cycle depends on them.
 */
function fleetFullFastPath(ctx: CycleContext, entry: PendingEntry): boolean {
  if (ctx.state.freeDevices > 0 || !ctx.levelHeadSeen[entry.level]) return false;
  if (entry.priorityClass === 'emergency') return false;
  return entry.tenant.usageCU >= entry.tenant.tenant.guaranteedCU - CU_EPSILON;
}

function admit(
  ctx: CycleContext,
  entry: PendingEntry,
  candidate: Candidate,
  victims: readonly RunningState[] = [],
): Outcome {
  const { state } = ctx;
  const { workload: w, tenant } = entry;
  const pool = candidate.pool;
  const nodes = pickNodes(pool.free, w.replicas, w.devicesPerReplica);
  const end = expectedEnd(w, state.config.now);
  allocate(state, pool, { end, nodes, devices: nodes.map(() => w.devicesPerReplica), alive: true });
  const borrowed = borrowedCU(tenant, candidate.computeUnits);
  if (borrowed > 0 && tenant.usageCU <= tenant.tenant.guaranteedCU + CU_EPSILON) state.planningEpoch++;
  tenant.usageCU += candidate.computeUnits;
  tenant.spentEUR += budgetEstimate(candidate.quote);
  const admission: Admission = {
    key: w.key,
    tenant: w.tenant,
    priorityClass: entry.priorityClass,
    pool: pool.pool.name,
    site: pool.pool.site,
    vendor: pool.pool.vendor,
    model: pool.pool.model,
    placement: nodes.map((n) => ({ node: pool.pool.nodes[n]!.name, devices: w.devicesPerReplica })),
    computeUnits: candidate.computeUnits,
    borrowedCU: borrowed,
    borrowed: borrowed > 0,
    quote: candidate.quote,
    admittedAt: state.config.now,
    expectedEndAt: end,
    preempted: victims.map((v) => v.workload.key),
    ...(entry.note !== undefined && { note: entry.note }),
  };
  return { kind: 'admitted', admission };
}

/** Which kind of preemption this workload may use, and on which of its candidate pools. */
function preemptionRights(
  entry: PendingEntry,
  pools: readonly PoolState[],
): { kind: PreemptionKind; pools: readonly PoolState[] } | undefined {
  if (entry.priorityClass === 'emergency') return { kind: 'emergency', pools };
  const w = entry.workload;
  const withinGuaranteed = pools.filter((pool) => withinGuarantee(entry.tenant, computeUnits(w, pool.pool)));
  return withinGuaranteed.length > 0 ? { kind: 'reclaim', pools: withinGuaranteed } : undefined;
}

function tryPreemption(
  ctx: CycleContext,
  entry: PendingEntry,
  pools: readonly PoolState[],
): { kind?: PreemptionKind; plan?: PreemptionPlan } {
  const rights = preemptionRights(entry, pools);
  if (!rights) return {};
  const { workload: w } = entry;
  const claimant = rights.kind === 'reclaim' ? w.tenant : '';
  const memoKey = (pool: PoolState) =>
    `${rights.kind}|${claimant}|${pool.pool.name}|${w.replicas}|${w.devicesPerReplica}`;
  const epoch = ctx.state.planningEpoch;
  const plan = planPreemption(
    {
      kind: rights.kind,
      claimant: w.tenant,
      candidates: rights.pools.map((pool) => candidateFor(ctx, w, pool)),
      replicas: w.replicas,
      devicesPerReplica: w.devicesPerReplica,
      isBorrowing: (name) => {
        const owner = ctx.state.tenants.get(name);
        return owner !== undefined && owner.usageCU > owner.tenant.guaranteedCU + CU_EPSILON;
      },
    },
    {
      failed: (pool) => ctx.preemptionFailures.get(memoKey(pool)) === epoch,
      markFailed: (pool) => void ctx.preemptionFailures.set(memoKey(pool), epoch),
    },
  );
  return plan ? { kind: rights.kind, plan } : { kind: rights.kind };
}

function admitWithPreemption(
  ctx: CycleContext,
  entry: PendingEntry,
  plan: PreemptionPlan,
  kind: PreemptionKind,
): Outcome {
  for (const victim of plan.victims) {
    release(ctx.state, victim);
    const owner = ctx.state.tenants.get(victim.workload.tenant);
    if (owner) {
      owner.usageCU -= victim.workload.computeUnits;
      ctx.tenantChanged(owner);
    }
    ctx.preemptions.push({
      victim: victim.workload.key,
      tenant: victim.workload.tenant,
      pool: plan.candidate.pool.pool.name,
      priorityClass: victim.workload.priorityClass,
      computeUnits: victim.workload.computeUnits,
      preemptor: entry.workload.key,
      kind,
      reason: preemptionReason({ kind, entry, victim, requestCU: plan.candidate.computeUnits }),
    });
  }
  return admit(ctx, entry, plan.candidate, plan.victims);
}

function waitForCapacity(
  ctx: CycleContext,
  entry: PendingEntry,
  context: { ev: Evaluation; triedPreemption: boolean },
): Outcome {
  const { ev } = context;
  const { workload: w } = entry;
  const now = ctx.state.config.now;
  if (!ctx.levelHeadSeen[entry.level] && ev.candidates.length > 0) {
    ctx.levelHeadSeen[entry.level] = true;
    const free = ev.candidates.filter((p) => p.reservation === undefined);
    const chosen = chooseReservation(free, w, now);
    if (chosen) {
      const reservation = { pool: chosen.pool.pool.name, workload: w.key, until: chosen.until };
      chosen.pool.reservation = { ...reservation, untilText: isoTime(chosen.until) };
      ctx.reservations.push(reservation);
      const reason = `reserved: waiting for ${reservation.pool} (expected free at ${chosen.pool.reservation.untilText})`;
      return { kind: 'waiting', code: 'reserved', reason, reservation: chosen };
    }
  }
  return waiting('capacity', capacityReason({ entry, ev, triedPreemption: context.triedPreemption }));
}
