import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import type { Tenant } from '@kentaur/api';

@ObjectType()
export class Quota {
  @Field(() => Float, { description: 'Compute units always available to the tenant.' }) guaranteedCU!: number;
  @Field(() => Float, { description: 'Most compute units it may use, borrowing idle capacity.' })
  limitCU!: number;
}

@ObjectType()
export class VendorUsage {
  @Field() vendor!: string;
  @Field(() => Float) computeUnits!: number;
}

@ObjectType()
export class TenantInfo {
  @Field() name!: string;
  @Field({ nullable: true }) displayName?: string;
  @Field({ description: 'public-interest | research | public-sector | sme | commercial' }) tier!: string;
  @Field(() => Quota) quota!: Quota;
  @Field(() => Float) weight!: number;
  @Field(() => Float, { description: 'Compute units of running work now.' }) usageCU!: number;
  @Field(() => [VendorUsage]) usageByVendor!: VendorUsage[];
  @Field(() => Float) monthSpentEUR!: number;
  @Field(() => Float, { nullable: true }) monthlyBudgetEUR?: number;
  @Field(() => Float, { nullable: true, description: "Monthly budget minus this month's spend." })
  remainingBudgetEUR?: number;
  @Field(() => [String], { nullable: true, description: 'Vendors it may use; null: all.' })
  vendors?: string[];
  @Field(() => [String], { nullable: true, description: 'Sites it may use; null: all.' }) sites?: string[];
  @Field() allowEmergency!: boolean;
  @Field(() => Int) admitted!: number;
  @Field(() => Int) queued!: number;
}

@ObjectType()
export class Me {
  @Field() subject!: string;
  @Field({ description: 'tenant | admin' }) role!: string;
  @Field({ description: 'oidc | api-key | development' }) via!: string;
  @Field(() => TenantInfo, { nullable: true }) tenant?: TenantInfo;
}

export function toTenantInfo(t: Tenant): TenantInfo {
  const spent = t.status?.monthSpentEUR ?? 0;
  const budget = t.spec.budget?.monthlyEUR;
  return {
    name: t.metadata.name!,
    displayName: t.spec.displayName,
    tier: t.spec.tier,
    quota: { guaranteedCU: t.spec.quota.guaranteedCU, limitCU: t.spec.quota.limitCU },
    weight: t.spec.weight ?? 1,
    usageCU: t.status?.usageCU ?? 0,
    usageByVendor: Object.entries(t.status?.usageByVendor ?? {})
      .map(([vendor, computeUnits]) => ({ vendor, computeUnits }))
      .sort((a, b) => a.vendor.localeCompare(b.vendor)),
    monthSpentEUR: spent,
    monthlyBudgetEUR: budget,
    remainingBudgetEUR: budget === undefined ? undefined : Math.max(0, budget - spent),
    vendors: t.spec.vendors,
    sites: t.spec.sites,
    allowEmergency: t.spec.allowEmergency ?? false,
    admitted: t.status?.admitted ?? 0,
    queued: t.status?.queued ?? 0,
  };
}
