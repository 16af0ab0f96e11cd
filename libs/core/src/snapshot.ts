import type { Precision, PriorityClass, Tier } from '@kentaur/api';
import type { EpochMs, NodeName, PoolName, SiteName, TenantName, WorkloadKey } from './ids';

/**
 * The scheduler's inputs: a frozen picture of the factory, already resolved by the controller from
 * the API server (no Kubernetes objects). Nothing here is mutated by the scheduler; it works on its
 * own copies of the counters it changes.
 */

export type PoolClass = 'training' | 'inference';
export type WorkloadClass = PoolClass | 'any';
export type OptimizeFor = 'balanced' | 'cost' | 'energy' | 'time';

export interface NodeSnapshot {
  readonly name: NodeName;
  /** Devices the node offers to Kentaur (allocatable). */
  readonly capacity: number;
  /** Devices not held by any running workload. Contract: capacity − Σ running placements on it. */
  readonly free: number;
}

export interface PoolSnapshot {
  readonly name: PoolName;
  readonly site: SiteName;
  readonly vendor: string;
  readonly model: string;
  readonly classes: readonly PoolClass[];
  /** Nominal device memory; unknown memory never satisfies a workload's minMemoryGB. */
  readonly memoryGB?: number;
  readonly precisions: readonly Precision[];
  readonly computeUnitsPerDevice: number;
  readonly pricePerDeviceHourEUR: number;
  readonly powerWattsPerDevice: number;
  readonly cordoned: boolean;
  readonly nodes: readonly NodeSnapshot[];
}

export interface SiteSnapshot {
  readonly name: SiteName;
  /** Facility energy ÷ IT energy (≥ 1). */
  readonly pue: number;
  readonly gridCarbonGramsPerKWh: number;
  readonly pricePerKWhEUR?: number;
}

export interface TenantSnapshot {
  readonly name: TenantName;
  readonly tier: Tier;
  readonly guaranteedCU: number;
  readonly limitCU: number;
  readonly weight: number;
  /** Vendors the tenant may use; absent: all. */
  readonly vendors?: readonly string[];
  /** Sites the tenant may use; absent: all. */
  readonly sites?: readonly SiteName[];
  readonly monthlyBudgetEUR?: number;
  readonly monthSpentEUR: number;
  readonly allowEmergency: boolean;
}

/** Stands in `imageVendors` for "the generic template.image covers every vendor". */
export const ANY_VENDOR_IMAGE = '*';

export interface PendingWorkload {
  readonly key: WorkloadKey;
  readonly tenant: TenantName;
  readonly priorityClass: PriorityClass;
  readonly createdAt: EpochMs;
  readonly replicas: number;
  readonly devicesPerReplica: number;
  readonly class: WorkloadClass;
  readonly minMemoryGB?: number;
  /** Every listed precision must be supported by the pool. */
  readonly precisions: readonly Precision[];
  /** The workload's allowed vendors; absent: all the tenant may use. */
  readonly vendors?: readonly string[];
  /** Optional allow-list of models, e.g. [H100, MI300X]. */
  readonly models?: readonly string[];
  /**
   * Vendors for which an image exists, computed by the controller from template.image/images.
   * `'*'` (ANY_VENDOR_IMAGE) means the generic image covers every vendor.
   */
  readonly imageVendors: readonly string[];
  readonly maxDurationSeconds?: number;
  readonly budgetEUR?: number;
  /** Allowed sites (data residency); absent: the tenant's sites. */
  readonly sites?: readonly SiteName[];
  readonly optimizeFor: OptimizeFor;
  /** How many times it was admitted before (preemptions requeue it); informational. */
  readonly attempts: number;
}

export interface ReplicaPlacement {
  readonly node: NodeName;
  readonly devices: number;
}

export interface RunningWorkload {
  readonly key: WorkloadKey;
  readonly tenant: TenantName;
  readonly priorityClass: PriorityClass;
  readonly pool: PoolName;
  readonly placement: readonly ReplicaPlacement[];
  readonly computeUnits: number;
  readonly admittedAt: EpochMs;
  /** admittedAt + maxDuration; absent: runs until stopped (a Service). */
  readonly expectedEndAt?: EpochMs;
  /** Admitted (partly) above the tenant's guaranteed CU: reclaimable by tenants under theirs. */
  readonly borrowed: boolean;
  readonly portable: boolean;
}

export interface ClusterSnapshot {
  readonly pools: readonly PoolSnapshot[];
  readonly sites: readonly SiteSnapshot[];
  readonly tenants: readonly TenantSnapshot[];
  /** Contract: keys are unique across pending and running. */
  readonly pending: readonly PendingWorkload[];
  readonly running: readonly RunningWorkload[];
}

export interface SchedulerConfig {
  readonly now: EpochMs;
  /** Multiplies each tenant's weight in fair share: a higher tier weight is a larger fair share. */
  readonly tierWeights: Readonly<Record<Tier, number>>;
  /** Average share of nominal device power drawn while a workload runs (energy estimates). */
  readonly utilisationFactor: number;
  /** Pending workloads examined per cycle at most; the rest wait for a later cycle. Absent: all. */
  readonly maxDecisionsPerCycle?: number;
}

/**
 * Default tier weights: public-interest projects get the largest share, research, public-sector
 * and SME work equal shares, commercial work the smallest (DESIGN.md, "Public governance").
 */
export const DEFAULT_TIER_WEIGHTS: Readonly<Record<Tier, number>> = Object.freeze({
  'public-interest': 3,
  research: 2,
  'public-sector': 2,
  sme: 2,
  commercial: 1,
});

/** 80 % average load, the figure DESIGN.md uses for a factory's yearly energy. */
export const DEFAULT_UTILISATION_FACTOR = 0.8;

/** A full config from the parts that differ from the defaults; `now` has no default. */
export function schedulerConfig(
  options: { now: EpochMs } & Partial<Omit<SchedulerConfig, 'now'>>,
): SchedulerConfig {
  return {
    tierWeights: DEFAULT_TIER_WEIGHTS,
    utilisationFactor: DEFAULT_UTILISATION_FACTOR,
    ...options,
  };
}
