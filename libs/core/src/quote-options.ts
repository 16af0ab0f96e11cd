import type { PoolState } from './cycle-state';
import { staticFeasibility, type StaticCode } from './feasibility';
import type { EpochMs, PoolName, SiteName, WorkloadKey } from './ids';
import { computeUnits, quote, type PlacementQuote } from './quote';
import { budgetRefusal, CU_EPSILON, quotaReason } from './quota';
import { unknownTenantReason } from './reasons';
import { cycleSteps, type CycleRun } from './scheduler';
import type { ClusterSnapshot, PendingWorkload, SchedulerConfig } from './snapshot';
import { estimateStart, runShared, startContext, type RunShared, type StartContext } from './start-estimate';
import { finish, type Steps } from './steps';

/**
 * "Price before you run": where a workload not yet submitted could run, what each placement costs,
 * and when it would start if submitted now behind the current queue. The same checks, quotes and
 * budgets as the scheduler, so a quote shown to a tenant is the figure the scheduler works with.
 */

export interface PoolOption {
  readonly pool: PoolName;
  readonly site: SiteName;
  readonly vendor: string;
  readonly model: string;
  readonly computeUnits: number;
  readonly quote: PlacementQuote;
  /**
   * config.now when it would be admitted in the next cycle; later when it must wait for running
   * work to end; undefined when no end is known (capacity held by work without maxDuration).
   */
  readonly estimatedStartAt: EpochMs | undefined;
  /** Why it would wait, in words (capacity, reservation of an earlier workload, tenant quota); absent when it starts now. */
  readonly waitReason?: string;
}

export type InfeasibleCode = StaticCode | 'budget' | 'quota';

export interface InfeasibleVendor {
  readonly vendor: string;
  readonly code: InfeasibleCode;
  /** The first reason, in the words the scheduler would use restricted to this vendor's pools. */
  readonly reason: string;
}

export interface QuoteOptions {
  /** One per pool the candidate could run in, best first (earliest start, then lowest estimatedEUR ?? eurPerHour, then pool name). */
  readonly options: readonly PoolOption[];
  /** One per vendor in the fleet (plus vendors the workload names that the fleet lacks) with no feasible pool, by vendor name. */
  readonly infeasible: readonly InfeasibleVendor[];
}

/**
 * The current queue run as the controller would run it, and the state that run leaves: what every
 * quote of one cluster state reads. Running the queue is most of a quote's cost (a whole cycle, 0.47–1.05 s
 * over 50,000 queued workloads in `npm run bench -- core` runs), the rest is the candidate's own pools,
 * so a caller that quotes often may share one QueueRun between quotes of the same state
 * (`quoteOn`). Nothing reads it mutably.
 */
export interface QueueRun {
  readonly snapshot: ClusterSnapshot;
  /** The queue that was run, by key. */
  readonly pending: ReadonlyMap<WorkloadKey, PendingWorkload>;
  readonly run: CycleRun;
  /** What the estimates of every candidate read (runShared). */
  readonly shared: RunShared;
}

/** The queue of `snapshot` run at config.now, without the workload `except` should it be queued. */
export function runQueue(snapshot: ClusterSnapshot, config: SchedulerConfig, except?: WorkloadKey): QueueRun {
  return finish(queueRunSteps(snapshot, config, except));
}

/**
 * runQueue in steps (the cycle's, `cycleSteps`): a caller that must keep answering while a long
 * queue is run (50,000 queued workloads take about a second) resumes it a few milliseconds at a
 * time. Drained, it returns what runQueue returns.
 */
export function* queueRunSteps(
  snapshot: ClusterSnapshot,
  config: SchedulerConfig,
  except?: WorkloadKey,
): Steps<QueueRun> {
  const pending = except === undefined ? snapshot.pending : snapshot.pending.filter((w) => w.key !== except);
  const run = yield* cycleSteps({ ...snapshot, pending }, config);
  const byKey = new Map(pending.map((w) => [w.key, w]));
  return { snapshot, pending: byKey, run, shared: runShared(run, byKey) };
}

/**
 * Runs the current queue as the controller would (without the candidate, should it already be
 * queued), then quotes the candidate on the state that cycle leaves. Pure: time is config.now.
 */
export function quoteOptions(
  snapshot: ClusterSnapshot,
  candidate: PendingWorkload,
  config: SchedulerConfig,
): QuoteOptions {
  if (!snapshot.tenants.some((t) => t.name === candidate.tenant)) return unknownTenant(snapshot, candidate);
  return quoteOn(runQueue(snapshot, config, candidate.key), candidate);
}

/**
 * The quote of `candidate` on a queue already run (`runQueue`), at that run's config.now. The
 * candidate must not be in that queue (a workload not yet submitted is not).
 */
export function quoteOn(queue: QueueRun, candidate: PendingWorkload): QuoteOptions {
  const { snapshot, run, pending, shared } = queue;
  if (pending.has(candidate.key))
    throw new Error(`quoteOn: ${candidate.key} is in the queue run; run it without (runQueue's except)`);
  const tenant = run.state.tenants.get(candidate.tenant);
  if (!tenant) return unknownTenant(snapshot, candidate);
  const ctx = startContext({ run, pending, shared, workload: candidate, tenant });
  const options: PoolOption[] = [];
  const infeasible: InfeasibleVendor[] = [];
  for (const vendor of vendorsToReport(snapshot, candidate)) {
    const verdict = vendorVerdict(
      ctx,
      vendor,
      run.state.pools.filter((p) => p.pool.vendor === vendor),
    );
    if (Array.isArray(verdict)) options.push(...verdict);
    else infeasible.push(verdict);
  }
  return { options: options.sort(compareOptions), infeasible };
}

/** A tenant the fleet does not know: every vendor infeasible, in the scheduler's words. */
function unknownTenant(snapshot: ClusterSnapshot, candidate: PendingWorkload): QuoteOptions {
  const reason = unknownTenantReason(candidate.tenant);
  const vendors = vendorsToReport(snapshot, candidate);
  return { options: [], infeasible: vendors.map((vendor) => ({ vendor, code: 'vendor', reason })) };
}

/** The fleet's vendors and those the workload names, sorted. */
function vendorsToReport(snapshot: ClusterSnapshot, candidate: PendingWorkload): string[] {
  return [...new Set([...snapshot.pools.map((p) => p.vendor), ...(candidate.vendors ?? [])])].sort();
}

/**
 * The options in one vendor's pools, or why there are none: the static reason first, then a budget
 * refusal, then a request larger than the tenant's whole limit (no end of running work helps).
 */
function vendorVerdict(
  ctx: StartContext,
  vendor: string,
  pools: readonly PoolState[],
): PoolOption[] | InfeasibleVendor {
  if (pools.length === 0) return { vendor, code: 'vendor', reason: `no ${vendor} pools in the fleet` };
  const { workload: w, tenant } = ctx;
  const feasible = staticFeasibility(w, tenant.tenant, pools);
  if (!feasible.ok) return { vendor, code: feasible.code, reason: feasible.reason };
  const options: PoolOption[] = [];
  let budget: string | undefined;
  let quota: string | undefined;
  for (const pool of feasible.pools) {
    const cu = computeUnits(w, pool.pool);
    if (cu > tenant.tenant.limitCU + CU_EPSILON) {
      quota ??= quotaReason(tenant, cu);
      continue;
    }
    const utilisationFactor = ctx.state.config.utilisationFactor;
    const q = quote({ shape: w, pool: pool.pool, site: pool.site, utilisationFactor });
    const refusal = budgetRefusal(w, tenant, q);
    if (refusal !== undefined) {
      budget ??= refusal;
      continue;
    }
    options.push(poolOption(ctx, pool, cu, q));
  }
  if (options.length > 0) return options;
  return budget !== undefined
    ? { vendor, code: 'budget', reason: budget }
    : { vendor, code: 'quota', reason: quota! };
}

function poolOption(ctx: StartContext, pool: PoolState, cu: number, q: PlacementQuote): PoolOption {
  const start = estimateStart(ctx, pool, cu);
  const p = pool.pool;
  return {
    pool: p.name,
    site: p.site,
    vendor: p.vendor,
    model: p.model,
    computeUnits: cu,
    quote: q,
    estimatedStartAt: start.at,
    ...(start.reasons.length > 0 && { waitReason: start.reasons.join('; ') }),
  };
}

/** Earliest start (unknown last), then cheapest, then pool name. */
function compareOptions(a: PoolOption, b: PoolOption): number {
  const start = (o: PoolOption) => o.estimatedStartAt ?? Infinity;
  const cost = (o: PoolOption) => o.quote.estimatedEUR ?? o.quote.eurPerHour;
  if (start(a) !== start(b)) return start(a) - start(b);
  if (cost(a) !== cost(b)) return cost(a) - cost(b);
  return a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0;
}
