import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { dnsLabel, POOL_CLASSES, PRECISIONS } from './fields';
import { s, type Infer } from './schema';
import type { Condition } from './workload';

export const AcceleratorPoolSpecSchema = s
  .object({
    site: dnsLabel('site name'),
    vendor: dnsLabel('vendor name', 32),
    model: s
      .string({ maxLength: 64, minLength: 1 })
      .describe('Catalog model name, e.g. H100, MI300X, Gaudi3, p150.'),
    nodeSelector: s
      .map(s.string({ maxLength: 253 }), { maxProperties: 16 })
      .describe("Labels that select exactly this pool's nodes."),
    classes: s.optional(
      s
        .array(s.enum(POOL_CLASSES), { maxItems: 2, minItems: 1, listType: 'set' })
        .default(['training', 'inference']),
    ),
    allocation: s.optional(
      s
        .enum(['devicePlugin', 'dra'] as const)
        .default('devicePlugin')
        .describe('devicePlugin: extended resources; dra: ResourceClaimTemplates.'),
    ),
    resourceName: s.optional(
      s
        .string({ maxLength: 253, minLength: 3 })
        .describe('Extended resource of the devices, e.g. amd.com/gpu; default from the vendor.'),
    ),
    partition: s.optional(
      s
        .string({ maxLength: 32, minLength: 1 })
        .describe('Partition profile when devices are slices of a chip, e.g. 3g.40gb.'),
    ),
    devicesPerNode: s.optional(s.int({ minimum: 1, maximum: 256 })),
    precisions: s.optional(
      s
        .array(s.enum(PRECISIONS), { maxItems: PRECISIONS.length, listType: 'set' })
        .describe('Number formats the devices compute in; default from the catalog.'),
    ),
    memoryGB: s.optional(
      s
        .number({ minimum: 0, exclusiveMinimum: true, maximum: 4096 })
        .describe('Nominal device memory; default from the catalog.'),
    ),
    pricePerDeviceHourEUR: s.optional(s.number({ minimum: 0, maximum: 10000 })),
    powerWattsPerDevice: s.optional(
      s.number({ minimum: 0, exclusiveMinimum: true, maximum: 10000 }).describe('Default from the catalog.'),
    ),
    computeUnitsPerDevice: s.optional(
      s
        .number({ minimum: 0, exclusiveMinimum: true, maximum: 1000 })
        .describe('1 CU = 1 PFLOP/s dense BF16; default from the catalog.'),
    ),
    cordoned: s.optional(s.boolean().default(false).describe('true: no new admissions.')),
    evacuate: s.optional(
      s.boolean().default(false).describe('true: also move portable running workloads to other pools.'),
    ),
  })
  .rule({
    cel: 'size(self.nodeSelector) > 0',
    fieldPath: '.nodeSelector',
    message:
      "must select the pool's nodes with at least one label, e.g. {amd.com/gpu.product-name: AMD_Instinct_MI300X_OAM}",
    check: (p) => Object.keys(p.nodeSelector).length > 0,
  })
  .rule({
    cel: '!has(self.evacuate) || !self.evacuate || (has(self.cordoned) && self.cordoned)',
    fieldPath: '.evacuate',
    message: 'requires spec.cordoned: true as well: a pool being evacuated must not take new work',
    check: (p) => !p.evacuate || p.cordoned === true,
  });

export type AcceleratorPoolSpec = Infer<typeof AcceleratorPoolSpecSchema>;

/**
 * The devices one admission holds in a pool: written into the pool's status together with the
 * admission (compare-and-swap on the pool), so two schedulers can never both fill the same devices.
 */
export interface PoolReservation {
  nodes: { node: string; devices: number }[];
  /** status.attempts of the workload for this admission: later admissions replace it. */
  attempt: number;
  at: string;
}

export interface AcceleratorPoolStatus {
  /** Admissions into this pool, by workload key (namespace/name). */
  reservations?: Record<string, PoolReservation>;
  nodes?: number;
  nodesReady?: number;
  devices?: { capacity: number; allocatable: number; allocated: number };
  discovered?: boolean;
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface AcceleratorPool {
  apiVersion: 'kentaur.io/v1alpha1';
  kind: 'AcceleratorPool';
  metadata: ObjectMeta;
  spec: AcceleratorPoolSpec;
  status?: AcceleratorPoolStatus;
}
