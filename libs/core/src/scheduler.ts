import { decide, type CycleContext, type Outcome } from './admission';
import { cycleStateSteps, type CycleState } from './cycle-state';
import { ENTRIES_PER_STEP, pendingQueueSteps, toEntry, type PendingEntry } from './ordering';
import { PRIORITY_ORDER } from './priority';
import { unknownTenantReason } from './reasons';
import type { Admission, CycleResult, PoolAllocation, WaitCode, Waiting } from './result';
import type { ClusterSnapshot, PendingWorkload, SchedulerConfig } from './snapshot';
import { finish, pauseEvery, type Steps } from './steps';

/**
 * One admission cycle (DESIGN.md, "Admission and placement", steps 1–6) over a frozen snapshot.
 * Pure: no clock (config.now), no I/O, no mutation of the snapshot; the same snapshot and config
 * always give the same result. Step 7 (committing with optimistic concurrency) is the controller's.
 */
export function scheduleCycle(snapshot: ClusterSnapshot, config: SchedulerConfig): CycleResult {
  return runCycle(snapshot, config).result;
}

/** A cycle's result and the working state it leaves behind (devices, usage, spend, reservations). */
export interface CycleRun {
  readonly result: CycleResult;
  readonly state: CycleState;
}

/**
 * scheduleCycle, keeping the final working state: a quote for work not yet submitted starts from
 * the fleet as this cycle leaves it. Internal to the library (index.ts exports scheduleCycle only).
 */
export function runCycle(snapshot: ClusterSnapshot, config: SchedulerConfig): CycleRun {
  return finish(cycleSteps(snapshot, config));
}

/** Decisions between two pauses of `cycleSteps`: a few milliseconds of work on the gigafactory snapshot. */
const DECISIONS_PER_STEP = 256;

/**
 * runCycle in steps: the generator pauses (yields) while and after building the working state
 * (`cycleStateSteps`), while and after ordering the queue (`pendingQueueSteps`), and after every
 * `DECISIONS_PER_STEP` decisions, and returns the CycleRun. A caller on an
 * event loop that must keep answering (the gateway's quotes, ADR 18) runs it a few milliseconds at a
 * time; the result is runCycle's whatever the pauses, since nothing outside the snapshot is read.
 */
export function* cycleSteps(snapshot: ClusterSnapshot, config: SchedulerConfig): Steps<CycleRun> {
  const state = yield* cycleStateSteps(snapshot, config);
  yield;
  const entries: PendingEntry[] = [];
  const orphans: PendingWorkload[] = [];
  const ordered = pauseEvery(ENTRIES_PER_STEP);
  for (const w of snapshot.pending) {
    const tenant = state.tenants.get(w.tenant);
    if (tenant) entries.push(toEntry(w, tenant));
    else orphans.push(w);
    if (ordered()) yield;
  }
  const queue = yield* pendingQueueSteps({ entries, tierWeights: config.tierWeights });
  yield;
  const ctx: CycleContext = {
    state,
    preemptionFailures: new Map(),
    levelHeadSeen: PRIORITY_ORDER.map(() => false),
    reservations: [],
    preemptions: [],
    tenantChanged: (tenant) => queue.tenantChanged(tenant),
  };
  const out = new Outcomes();
  const cap = config.maxDecisionsPerCycle ?? Infinity;
  const decided = pauseEvery(DECISIONS_PER_STEP);
  for (let entry = queue.next(); entry !== undefined; entry = queue.next()) {
    const outcome = out.decided < cap ? decide(ctx, entry) : deferred(cap);
    out.record(entry, outcome);
    if (decided()) yield;
  }
  for (const w of orphans) out.orphan(w);
  const result: CycleResult = {
    admitted: out.admitted,
    waiting: out.waiting,
    preemptions: ctx.preemptions,
    reservations: ctx.reservations,
    pools: allocations(state),
    counts: {
      pending: snapshot.pending.length,
      decided: out.decided,
      admitted: out.admitted.length,
      waiting: out.waiting.length,
      preempted: ctx.preemptions.length,
      reservations: ctx.reservations.length,
      waitingByCode: out.byCode,
    },
  };
  return { result, state };
}

function deferred(cap: number): Outcome {
  return {
    kind: 'waiting',
    code: 'deferred',
    reason: `not examined in this cycle (at most ${cap} decisions per cycle); it keeps its place in the queue`,
  };
}

/** Collects outcomes in decision order; positions are 1-based among waiting workloads. */
class Outcomes {
  readonly admitted: Admission[] = [];
  readonly waiting: Waiting[] = [];
  readonly byCode: Partial<Record<WaitCode, number>> = {};
  decided = 0;

  record(entry: PendingEntry, outcome: Outcome): void {
    if (outcome.kind !== 'waiting' || outcome.code !== 'deferred') this.decided++;
    if (outcome.kind === 'admitted') {
      this.admitted.push(outcome.admission);
      return;
    }
    const reason = entry.note === undefined ? outcome.reason : `${entry.note}; ${outcome.reason}`;
    const reservation = outcome.reservation && {
      pool: outcome.reservation.pool.pool.name,
      until: outcome.reservation.until,
    };
    this.push({
      key: entry.workload.key,
      tenant: entry.workload.tenant,
      code: outcome.code,
      reason,
      reservation,
    });
  }

  orphan(w: PendingWorkload): void {
    this.decided++;
    const reason = unknownTenantReason(w.tenant);
    this.push({ key: w.key, tenant: w.tenant, code: 'unknown-tenant', reason, reservation: undefined });
  }

  private push(w: Omit<Waiting, 'position'>): void {
    const position = this.waiting.length + 1;
    const { key, tenant, code, reason, reservation } = w;
    this.waiting.push(
      reservation
        ? { key, tenant, position, code, reason, reservation }
        : { key, tenant, position, code, reason },
    );
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
  }
}

function allocations(state: CycleState): PoolAllocation[] {
  return state.pools.map((p) => {
    const capacityDevices = p.pool.nodes.reduce((sum, n) => sum + n.capacity, 0);
    let freeDevices = 0;
    for (let node = 0; node < p.free.size; node++) freeDevices += p.free.level(node);
    return {
      pool: p.pool.name,
      vendor: p.pool.vendor,
      model: p.pool.model,
      site: p.pool.site,
      capacityDevices,
      allocatedDevices: capacityDevices - freeDevices,
      freeDevices,
    };
  });
}
