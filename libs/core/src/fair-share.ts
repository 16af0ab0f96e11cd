import type { Tier } from '@kentaur/api';
import type { TenantSnapshot } from './snapshot';

/**
 * Weighted dominant share: usage CU ÷ (guaranteed CU × weight × tier weight). CU is the only
 * resource the scheduler meters (devices of every vendor are converted to CU), so the "dominant"
 * share is this single ratio.
 *
 * Edge case: a tenant with no entitlement (guaranteed CU, weight or tier weight of 0) has no
 * meaningful ratio. Such a tenant sorts after every entitled tenant, and among themselves by raw
 * usage CU, lowest first: idle capacity still goes to whoever uses least.
 */
export interface WeightedShare {
  /** false: guaranteed × weight × tier weight is 0; `value` is then the raw usage CU. */
  readonly entitled: boolean;
  readonly value: number;
}

export function weightedShare(
  tenant: Pick<TenantSnapshot, 'guaranteedCU' | 'weight' | 'tier'>,
  usageCU: number,
  tierWeights: Readonly<Record<Tier, number>>,
): WeightedShare {
  const e = entitlement(tenant, tierWeights);
  if (e === 0) return { entitled: false, value: usageCU };
  return { entitled: true, value: usageCU / e };
}

/** guaranteedCU × weight × tier weight: the denominator of the share; ≤ 0 means no entitlement. */
export function entitlement(
  tenant: Pick<TenantSnapshot, 'guaranteedCU' | 'weight' | 'tier'>,
  tierWeights: Readonly<Record<Tier, number>>,
): number {
  const e = tenant.guaranteedCU * tenant.weight * (tierWeights[tenant.tier] ?? 0);
  return e > 0 ? e : 0;
}

/**
 * compareShares without building share objects, for the ordering heap's hot comparisons:
 * `a` and `b` are (usage CU, entitlement) pairs.
 */
export function compareUsage(
  a: { usageCU: number; entitlement: number },
  b: { usageCU: number; entitlement: number },
): number {
  const ea = a.entitlement > 0;
  const eb = b.entitlement > 0;
  if (ea !== eb) return ea ? -1 : 1;
  return ea ? a.usageCU / a.entitlement - b.usageCU / b.entitlement : a.usageCU - b.usageCU;
}

/** Lowest share first; entitled tenants before tenants without entitlement. */
export function compareShares(a: WeightedShare, b: WeightedShare): number {
  if (a.entitled !== b.entitled) return a.entitled ? -1 : 1;
  return a.value - b.value;
}
