import type { EpochMs } from '@kentaur/core';
import type { DeviceRun, UsageRates, UsageTotals } from './figures';

/** Who used the devices and where: copied onto every interval, so reports never join Kubernetes state. */
export interface WorkloadAttribution {
  /** metadata.uid of the Workload: a deleted and re-created workload of the same name is another one. */
  readonly uid: string;
  /** status.attempts at this admission: a requeued (preempted) workload is accounted per attempt. */
  readonly attempt: number;
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
  readonly site: string;
  readonly pool: string;
  readonly vendor: string;
  readonly model: string;
  /** The tenant's tier (public-interest, research, …), for the transparency report. */
  readonly tier: string;
  readonly priorityClass: string;
  /** All replicas' devices together. */
  readonly devices: number;
  readonly computeUnits: number;
}

/**
 * One accounting call: "this admission ran from admittedAtMs and is accounted up to untilMs". The
 * controller calls it periodically with now while the workload runs and once with its end time.
 */
export interface Accounting extends WorkloadAttribution {
  readonly admittedAtMs: EpochMs;
  /** Now, or the time the admission ended (finished, preempted, cancelled). */
  readonly untilMs: EpochMs;
  readonly rates: UsageRates;
  /**
   * The admission's pods' runs (metered usage): each interval then counts the device-time the pods
   * really ran inside it. Absent: the admission's devices count from admittedAtMs (reserved usage).
   */
  readonly runs?: readonly DeviceRun[];
  /** Where `rates.kWhPerHour` comes from (default catalog). */
  readonly energySource?: EnergySource;
}

/** Measured: the vendors' exporters' power. Catalog: the pool's board power × the utilisation factor. */
export type EnergySource = 'measured' | 'catalog';

export interface LedgerInterval extends UsageTotals {
  uid: string;
  attempt: number;
  startMs: EpochMs;
  endMs: EpochMs;
  tenant: string;
  namespace: string;
  name: string;
  site: string;
  pool: string;
  vendor: string;
  model: string;
  tier: string;
  priorityClass: string;
  devices: number;
  computeUnits: number;
  energySource: EnergySource;
}

export interface AccountResult {
  /** The intervals this call wrote: none when untilMs was not past the cursor. */
  written: LedgerInterval[];
  /** Where the admission's cursor stands after the call. */
  accountedUntilMs: EpochMs;
}

/** The gateway's grouping dimensions (apps/gateway/src/graphql/usage/usage.ts). */
export type UsageDimension = 'vendor' | 'site' | 'model' | 'pool' | 'day' | 'priorityClass' | 'tenant';

export interface UsageRowKey {
  vendor?: string;
  site?: string;
  model?: string;
  pool?: string;
  /** UTC day, YYYY-MM-DD. */
  day?: string;
  priorityClass?: string;
  tenant?: string;
}

export interface UsageRow extends UsageTotals {
  key: UsageRowKey;
  /** The part of energyKWh from measured power (the rest from catalog power); the ledger sets it. */
  measuredEnergyKWh?: number;
}

export interface UsageQuery {
  readonly fromMs: EpochMs;
  readonly toMs: EpochMs;
  /** Only these namespaces (a tenant's scope); all when absent. */
  readonly namespaces?: readonly string[];
  readonly groupBy: readonly UsageDimension[];
}

/** Who the factory's devices served: by vendor and by tenant tier. */
export interface TransparencyTotals {
  all: UsageTotals;
  byVendor: (UsageTotals & { vendor: string })[];
  byTier: (UsageTotals & { tier: string })[];
}
