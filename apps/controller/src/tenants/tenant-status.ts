import type { Tenant, TenantStatus, Tier, Workload, WorkloadPhase } from '@kentaur/api';
import { DEFAULT_TIER_WEIGHTS, entitlement } from '@kentaur/core';

/** Phases that hold devices: their compute units count as the tenant's usage. */
const HOLDING = new Set<WorkloadPhase | undefined>(['Admitted', 'Running']);
/** Phases that wait for an admission; no phase yet means the scheduler has not seen it. */
const WAITING = new Set<WorkloadPhase | undefined>(['Pending', 'Queued', 'Preempted', undefined]);

export interface TenantStatusInput {
  tenant: Pick<Tenant, 'spec' | 'status'>;
  /** The workloads in the tenant's namespaces (the caller filters by namespace). */
  workloads: readonly Pick<Workload, 'status'>[];
  /** The scheduler's tier weights, so the share reported is the share it orders by. */
  tierWeights?: Readonly<Record<Tier, number>>;
}

/**
 * Sums are rounded to a millionth: float sums depend on the order workloads are added in, and cache
 * order differs between replicas; without rounding a new leader would rewrite an unchanged status.
 */
const round = (x: number) => Math.round(x * 1e6) / 1e6;

const computeUnits = (w: Pick<Workload, 'status'>): number => {
  const cu = w.status?.admission?.computeUnits;
  return typeof cu === 'number' && Number.isFinite(cu) && cu > 0 ? cu : 0;
};

/**
 * The tenant's status from its workloads. Fields other writers own (monthSpentEUR: the usage
 * ledger) are kept as they are; observedGeneration is stamped by the status writer.
 */
export function tenantStatus(input: TenantStatusInput): TenantStatus {
  const { tenant } = input;
  let usage = 0;
  let admitted = 0;
  let queued = 0;
  const byVendor: Record<string, number> = {};
  for (const w of input.workloads) {
    const phase = w.status?.phase;
    if (WAITING.has(phase)) queued++;
    if (!HOLDING.has(phase)) continue;
    admitted++;
    const cu = computeUnits(w);
    usage += cu;
    const vendor = w.status?.admission?.vendor;
    if (vendor && cu > 0) byVendor[vendor] = (byVendor[vendor] ?? 0) + cu;
  }
  const usageByVendor = Object.fromEntries(
    Object.keys(byVendor)
      .sort()
      .map((v) => [v, round(byVendor[v]!)]),
  );
  const { observedGeneration: _stamped, ...kept } = tenant.status ?? {};
  return {
    ...kept,
    usageCU: round(usage),
    usageByVendor,
    admitted,
    queued,
    dominantShare: dominantShare(tenant, usage, input.tierWeights ?? DEFAULT_TIER_WEIGHTS),
  };
}

/**
 * usage CU ÷ (guaranteed CU × weight × tier weight), as the scheduler orders tenants; 0 for a
 * tenant without entitlement (the scheduler then sorts by raw usage, which usageCU already shows).
 */
export function dominantShare(
  tenant: Pick<Tenant, 'spec'>,
  usageCU: number,
  tierWeights: Readonly<Record<Tier, number>> = DEFAULT_TIER_WEIGHTS,
): number {
  const e = entitlement(
    { guaranteedCU: tenant.spec.quota.guaranteedCU, weight: tenant.spec.weight ?? 1, tier: tenant.spec.tier },
    tierWeights,
  );
  return e > 0 ? round(usageCU / e) : 0;
}
