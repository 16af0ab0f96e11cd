import type { TenantName } from './ids';
import type { PoolState, RunningState } from './cycle-state';
import type { NodeLevels } from './node-levels';
import type { Candidate } from './scoring';

/**
 * Step 5: which running workloads to preempt so a gang that does not fit now fits in one pool.
 *
 * Per pool, victims are taken greedily in preemption order (lowest priority first, most recently
 * admitted first) until the gang fits, then every victim that turned out unnecessary is dropped
 * (trying the most valuable ones first). The result is minimal: no victim can be spared. Across
 * pools the plan with the fewest victims wins, then the fewest preempted devices, then the pool name.
 * (A minimum set over all combinations is a knapsack problem; minimal is what Kueue settles for too.)
 */

export type PreemptionKind = 'emergency' | 'reclaim';

export interface PreemptionPlan {
  readonly candidate: Candidate;
  readonly victims: readonly RunningState[];
}

export interface PlanInput {
  readonly kind: PreemptionKind;
  readonly claimant: TenantName;
  /** Pools that pass quota, budget and reservations for the claimant. */
  readonly candidates: readonly Candidate[];
  readonly replicas: number;
  readonly devicesPerReplica: number;
  /**
   * Whether a tenant is above its guaranteed CU now. A reclaim takes only from tenants that still
   * borrow: work admitted as borrowed whose owner has since dropped to its guarantee is safe.
   */
  readonly isBorrowing: (tenant: TenantName) => boolean;
}

/** How many nodes would hold the gang's replica if some victims' devices were freed. */
class FitTrial {
  private readonly extra = new Map<number, number>();
  private readonly free: NodeLevels;
  private readonly need: number;
  count: number;

  constructor(options: { free: NodeLevels; need: number }) {
    this.free = options.free;
    this.need = options.need;
    this.count = this.free.countAtLeast(this.need);
  }

  /** sign +1 frees the victim's devices in the trial, −1 takes them back. */
  apply(victim: RunningState, sign: 1 | -1): void {
    victim.nodes.forEach((node, i) => {
      const before = this.free.level(node) + (this.extra.get(node) ?? 0);
      const after = before + sign * victim.devices[i]!;
      this.extra.set(node, after - this.free.level(node));
      this.count += Number(after >= this.need) - Number(before >= this.need);
    });
  }
}

function eligible(victim: RunningState, input: Omit<PlanInput, 'candidates'>): boolean {
  if (!victim.alive) return false;
  if (input.kind === 'emergency') return victim.emergencyVictim;
  const owner = victim.workload.tenant;
  return victim.reclaimVictim && owner !== input.claimant && input.isBorrowing(owner);
}

/** A minimal victim set in one pool, or undefined when even every eligible victim is not enough. */
export function planInPool(
  pool: PoolState,
  input: Omit<PlanInput, 'candidates'>,
): RunningState[] | undefined {
  const { kind, replicas, devicesPerReplica: d } = input;
  const potential = kind === 'emergency' ? pool.emergencyPotential : pool.reclaimPotential;
  if (potential.countAtLeast(d) < replicas) return undefined;
  const trial = new FitTrial({ free: pool.free, need: d });
  const chosen: RunningState[] = [];
  for (const victim of pool.victims) {
    if (trial.count >= replicas) break;
    if (!eligible(victim, input)) continue;
    trial.apply(victim, 1);
    chosen.push(victim);
  }
  if (trial.count < replicas) return undefined;
  for (let i = chosen.length - 1; i >= 0; i--) {
    trial.apply(chosen[i]!, -1);
    if (trial.count >= replicas) chosen.splice(i, 1);
    else trial.apply(chosen[i]!, 1);
  }
  return chosen;
}

const devicesOf = (victims: readonly RunningState[]) =>
  victims.reduce((sum, v) => sum + v.devices.reduce((a, b) => a + b, 0), 0);

function better(a: PreemptionPlan, b: PreemptionPlan): boolean {
  if (a.victims.length !== b.victims.length) return a.victims.length < b.victims.length;
  const da = devicesOf(a.victims);
  const db = devicesOf(b.victims);
  if (da !== db) return da < db;
  return a.candidate.pool.pool.name < b.candidate.pool.pool.name;
}

/**
 * The best plan over the candidate pools. `failed(pool)`/`markFailed(pool)` let the caller remember
 * pools where this kind of plan cannot succeed until the next preemption changes the fleet.
 */
export function planPreemption(
  input: PlanInput,
  memo: { failed(pool: PoolState): boolean; markFailed(pool: PoolState): void },
): PreemptionPlan | undefined {
  let best: PreemptionPlan | undefined;
  for (const candidate of input.candidates) {
    if (memo.failed(candidate.pool)) continue;
    const victims = planInPool(candidate.pool, input);
    if (victims === undefined) {
      memo.markFailed(candidate.pool);
      continue;
    }
    const plan = { candidate, victims };
    if (best === undefined || better(plan, best)) best = plan;
  }
  return best;
}
