import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { dnsLabel, TIERS } from './fields';
import { imageRegistryPrefix } from './image-registries';
import { s, type Infer } from './schema';

export const TenantSpecSchema = s.object({
  displayName: s.string({ maxLength: 128, minLength: 1 }),
  tier: s.enum(TIERS),
  namespaces: s.array(dnsLabel('namespace name'), { maxItems: 32, minItems: 1, listType: 'set' }),
  quota: s
    .object({
      guaranteedCU: s
        .number({ minimum: 0, maximum: 1e6 })
        .describe('Compute units always obtainable (by reclaim if needed).'),
      limitCU: s
        .number({ minimum: 0, maximum: 1e6 })
        .describe('Most compute units the tenant may hold, borrowing idle capacity.'),
    })
    .rule({
      cel: 'self.guaranteedCU <= self.limitCU',
      fieldPath: '.guaranteedCU',
      message: 'must not exceed quota.limitCU: raise limitCU or lower guaranteedCU',
      check: (q) => q.guaranteedCU <= q.limitCU,
    }),
  weight: s.optional(
    s
      .number({ minimum: 0, exclusiveMinimum: true, maximum: 100 })
      .default(1)
      .describe('Fair-share weight, multiplied by the tier weight. Default 1.'),
  ),
  vendors: s.optional(s.array(dnsLabel('vendor name', 32), { maxItems: 16, listType: 'set' })),
  sites: s.optional(s.array(dnsLabel('site name'), { maxItems: 16, listType: 'set' })),
  budget: s.optional(s.object({ monthlyEUR: s.number({ minimum: 0, maximum: 1e10 }) })),
  allowEmergency: s.optional(s.boolean().default(false)),
  imageRegistries: s.optional(
    s
      .array(imageRegistryPrefix(), { maxItems: 32, minItems: 1, listType: 'set' })
      .describe(
        "Prefixes the images of this tenant's workloads must start with (e.g. registry.example/acme/); replaces the controller's global list. Absent: the global list.",
      ),
  ),
});

export type TenantSpec = Infer<typeof TenantSpecSchema>;

export interface TenantStatus {
  usageCU?: number;
  usageByVendor?: Record<string, number>;
  monthSpentEUR?: number;
  admitted?: number;
  queued?: number;
  dominantShare?: number;
  observedGeneration?: number;
}

export interface Tenant {
  apiVersion: 'kentaur.io/v1alpha1';
  kind: 'Tenant';
  metadata: ObjectMeta;
  spec: TenantSpec;
  status?: TenantStatus;
}
