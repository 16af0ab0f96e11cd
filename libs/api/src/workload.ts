import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import {
  BUILTIN_VENDORS,
  dnsLabel,
  duration,
  envVar,
  image,
  keysIn,
  OPTIMIZE_FOR,
  PRECISIONS,
  PRIORITY_CLASSES,
  quantity,
  WORKLOAD_CLASSES,
  type WORKLOAD_PHASES,
} from './fields';
import { s, type Infer } from './schema';

/** Longest run a Workload may ask for; quotes, backfill and energy estimates use maxDuration. */
export const MAX_WORKLOAD_DURATION = '720h';
export const MAX_REPLICAS = 256;
export const MAX_DEVICES_PER_REPLICA = 64;
/**
 * Largest cpu and memory a replica may ask for. One replica is one node; the largest accelerator
 * nodes sold today have a few hundred cores and a few TiB of memory, so these leave headroom while
 * refusing sizes no node can have ("1e400", which the API server would refuse only at pod creation).
 */
export const MAX_CPU = '1024';
export const MAX_MEMORY = '16Ti';

/** What each replica needs, vendor-neutrally. */
function acceleratorsSchema() {
  return s.object({
    count: s.int({ minimum: 1, maximum: MAX_DEVICES_PER_REPLICA }).describe('Devices per replica.'),
    class: s.optional(s.enum(WORKLOAD_CLASSES).default('any')),
    minMemoryGB: s.optional(
      s
        .number({ minimum: 0, exclusiveMinimum: true, maximum: 4096 })
        .describe('Nominal device memory as the vendor states it (H100 = 80).'),
    ),
    precisions: s.optional(s.array(s.enum(PRECISIONS), { maxItems: PRECISIONS.length, listType: 'set' })),
    vendors: s.optional(
      s
        .array(dnsLabel('vendor name', 32), { maxItems: 16, listType: 'set' })
        .describe('Allowed vendors; default: all the tenant may use.'),
    ),
    models: s.optional(
      s
        .array(s.string({ maxLength: 64, minLength: 1 }), { maxItems: 32, listType: 'set' })
        .describe('Optional allow-list, e.g. [H100, MI300X].'),
    ),
  });
}

/** The container to run; per-vendor images keyed by the vendors Kentaur knows. */
function templateSchema(vendors: readonly string[]) {
  return s
    .object({
      image: s.optional(image().describe('Used for every vendor unless images overrides it.')),
      images: s.optional(
        s
          .map(image(), { maxProperties: 16 })
          .rule(keysIn(vendors, 'vendor names'))
          .describe('Per-vendor builds, keyed by vendor.'),
      ),
      command: s.optional(s.array(s.string({ maxLength: 4096 }), { maxItems: 64 })),
      args: s.optional(s.array(s.string({ maxLength: 4096 }), { maxItems: 256 })),
      env: s.optional(s.array(envVar(), { maxItems: 64 })),
      cpu: s.optional(
        quantity({ max: MAX_CPU, example: '32' }).describe(`Cores per replica, at most ${MAX_CPU}.`),
      ),
      memory: s.optional(
        quantity({ max: MAX_MEMORY, example: '512Gi' }).describe(
          `Memory per replica, at most ${MAX_MEMORY}.`,
        ),
      ),
    })
    .rule({
      cel: 'has(self.image) || (has(self.images) && size(self.images) > 0)',
      message: 'needs an image: set template.image, or template.images with one entry per vendor you allow',
      check: (t) => t.image !== undefined || Object.keys(t.images ?? {}).length > 0,
    });
}

export function workloadSpecSchema(vendors: readonly string[] = BUILTIN_VENDORS) {
  return s
    .object({
      kind: s
        .enum(['Batch', 'Service'] as const)
        .describe('Batch runs to completion; Service is a long-running endpoint.'),
      priorityClass: s.optional(s.enum(PRIORITY_CLASSES).default('standard')),
      replicas: s.optional(
        s
          .int({ minimum: 1, maximum: MAX_REPLICAS })
          .default(1)
          .describe('Gang size: all replicas are admitted together or none. One replica = one node.'),
      ),
      accelerators: acceleratorsSchema().describe('What each replica needs, vendor-neutrally.'),
      template: templateSchema(vendors),
      maxDuration: s.optional(duration(MAX_WORKLOAD_DURATION).describe('Hard run-time limit.')),
      budgetEUR: s.optional(
        s
          .number({ minimum: 0, exclusiveMinimum: true, maximum: 1e9 })
          .describe('Refuse placements whose quote exceeds it.'),
      ),
      placement: s.optional(
        s.object({
          sites: s.optional(s.array(dnsLabel('site name'), { maxItems: 16, listType: 'set' })),
          optimizeFor: s.optional(s.enum(OPTIMIZE_FOR).default('balanced')),
        }),
      ),
      cancel: s.optional(s.boolean().describe('true: stop the workload and remove what runs for it.')),
    })
    .rule({
      cel: "self.kind != 'Batch' || has(self.maxDuration)",
      fieldPath: '.maxDuration',
      message:
        'is required for Batch workloads (e.g. 6h): quotes, backfill and energy estimates depend on it',
      check: (w) => w.kind !== 'Batch' || w.maxDuration !== undefined,
    })
    .rule({
      cel: '!has(self.accelerators.vendors) || !has(self.template.images) || self.template.images.all(k, k in self.accelerators.vendors)',
      fieldPath: '.template.images',
      message:
        'has an image for a vendor that spec.accelerators.vendors does not allow; remove that entry or allow the vendor',
      check: (w) =>
        !w.accelerators.vendors ||
        Object.keys(w.template.images ?? {}).every((k) => w.accelerators.vendors!.includes(k)),
    });
}

export const WorkloadSpecSchema = workloadSpecSchema();
export type WorkloadSpec = Infer<typeof WorkloadSpecSchema>;

export interface WorkloadAdmission {
  site: string;
  pool: string;
  vendor: string;
  model: string;
  computeUnits: number;
  admittedAt: string;
  /** Compute units above the tenant's guaranteed quota: reclaimable by other tenants. */
  borrowed?: boolean;
  /** The node planned for each replica and its devices; the pods are pinned to these nodes. */
  placement?: { node: string; devices: number }[];
}

export interface WorkloadQuote {
  eurPerHour: number;
  estimatedEUR: number;
  estimatedKWh: number;
  estimatedCO2eKg: number;
}

export interface WorkloadUsage {
  deviceHours: number;
  computeUnitHours: number;
  energyKWh: number;
  co2eKg: number;
  costEUR: number;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface WorkloadStatus {
  phase?: (typeof WORKLOAD_PHASES)[number];
  observedGeneration?: number;
  conditions?: Condition[];
  queue?: { position?: number; reason?: string };
  admission?: WorkloadAdmission;
  quote?: WorkloadQuote;
  usage?: WorkloadUsage;
  attempts?: number;
  portable?: boolean;
}

export interface Workload {
  apiVersion: 'kentaur.io/v1alpha1';
  kind: 'Workload';
  metadata: ObjectMeta;
  spec: WorkloadSpec;
  status?: WorkloadStatus;
}
