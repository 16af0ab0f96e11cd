import type { TenantState } from './cycle-state';
import type { PlacementQuote } from './quote';
import { fmt } from './reasons';
import type { PendingWorkload } from './snapshot';

/**
 * Step 3 (quota) and budgets. CU are sums of products of decimals (0.99 × 8 × …), so comparisons
 * allow a rounding tolerance far below anything a person could mean.
 */
export const CU_EPSILON = 1e-9;

/** usage + request ≤ limit. */
export function withinLimit(tenant: TenantState, requestCU: number): boolean {
  return tenant.usageCU + requestCU <= tenant.tenant.limitCU + CU_EPSILON;
}

/** usage + request ≤ guaranteed: the whole request is within the guarantee (may reclaim for it). */
export function withinGuarantee(tenant: TenantState, requestCU: number): boolean {
  return tenant.usageCU + requestCU <= tenant.tenant.guaranteedCU + CU_EPSILON;
}

/** The part of a request that lies above the tenant's guaranteed CU: borrowed, reclaimable. */
export function borrowedCU(tenant: TenantState, requestCU: number): number {
  const { usageCU } = tenant;
  const part = usageCU + requestCU - Math.max(usageCU, tenant.tenant.guaranteedCU);
  return part > CU_EPSILON ? part : 0;
}

export function quotaReason(tenant: TenantState, requestCU: number): string {
  const t = tenant.tenant;
  return `quota: tenant ${t.name} limit ${fmt(t.limitCU)} CU reached (using ${fmt(tenant.usageCU)} CU, needs ${fmt(requestCU)})`;
}

/**
 * The amount a budget is checked against. Without maxDuration there is no total, so one hour (the
 * smallest run the quote describes) is charged: a Service whose hourly price alone exceeds the
 * budget is refused, one that fits runs until the controller stops it when the money is spent.
 */
export function budgetEstimate(q: PlacementQuote): number {
  return q.estimatedEUR ?? q.eurPerHour;
}

/** Why this quote is refused by the workload's budgetEUR or the tenant's monthly budget; undefined: allowed. */
export function budgetRefusal(
  w: Pick<PendingWorkload, 'budgetEUR'>,
  tenant: TenantState,
  q: PlacementQuote,
): string | undefined {
  const estimate = budgetEstimate(q);
  const what = () =>
    q.estimatedEUR === undefined
      ? `quote ${fmt(estimate)} EUR for the first hour`
      : `quote ${fmt(estimate)} EUR`;
  if (w.budgetEUR !== undefined && estimate > w.budgetEUR + CU_EPSILON)
    return `budget: ${what()} exceeds budgetEUR ${fmt(w.budgetEUR)}`;
  const monthly = tenant.tenant.monthlyBudgetEUR;
  if (monthly !== undefined && tenant.spentEUR + estimate > monthly + CU_EPSILON)
    return `budget: ${what()} would exceed tenant ${tenant.tenant.name}'s monthly budget of ${fmt(monthly)} EUR (${fmt(tenant.spentEUR)} EUR spent)`;
  return undefined;
}
