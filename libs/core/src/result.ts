import type { PriorityClass } from '@kentaur/api';
import type { StaticCode } from './feasibility';
import type { EpochMs, PoolName, SiteName, TenantName, WorkloadKey } from './ids';
import type { PreemptionKind } from './preemption';
import type { PlacementQuote } from './quote';
import type { ReplicaPlacement } from './snapshot';

/**
 * What one cycle decided. Contract: every pending workload of the snapshot appears exactly once,
 * in `admitted` or in `waiting`; `preemptions` name only running workloads of the snapshot, each
 * at most once. The controller deletes the victims' pods and requeues them (Batch work is never
 * lost), and creates the admitted gangs' objects; pods of a gang that preempted wait on the
 * victims' nodes until those pods are gone.
 */
export interface CycleResult {
  readonly admitted: readonly Admission[];
  /** In queue order: waiting[i].position === i + 1. */
  readonly waiting: readonly Waiting[];
  readonly preemptions: readonly Preemption[];
  readonly reservations: readonly ReservationRecord[];
  /** Devices per pool after the cycle's admissions and preemptions. */
  readonly pools: readonly PoolAllocation[];
  readonly counts: DecisionCounts;
}

export interface Admission {
  readonly key: WorkloadKey;
  readonly tenant: TenantName;
  /** The class it was admitted under (emergency without allowEmergency becomes standard). */
  readonly priorityClass: PriorityClass;
  readonly pool: PoolName;
  readonly site: SiteName;
  readonly vendor: string;
  readonly model: string;
  /** One entry per replica, on distinct nodes of the pool. */
  readonly placement: readonly ReplicaPlacement[];
  readonly computeUnits: number;
  /** CU above the tenant's guaranteed quota; > 0 makes the workload reclaimable. */
  readonly borrowedCU: number;
  readonly borrowed: boolean;
  readonly quote: PlacementQuote;
  readonly admittedAt: EpochMs;
  readonly expectedEndAt: EpochMs | undefined;
  /** Running workloads preempted to make room for this one. */
  readonly preempted: readonly WorkloadKey[];
  readonly note?: string;
}

export type WaitCode =
  | StaticCode
  | 'unknown-tenant'
  | 'image-registry'
  | 'quota'
  | 'budget'
  | 'capacity'
  | 'reserved'
  | 'deferred';

export interface Waiting {
  readonly key: WorkloadKey;
  readonly tenant: TenantName;
  /** 1-based position in this cycle's decision order among waiting workloads. */
  readonly position: number;
  readonly code: WaitCode;
  /** Why it waits, in words its tenant understands. */
  readonly reason: string;
  /** Set when a pool is reserved for this workload. */
  readonly reservation?: { readonly pool: PoolName; readonly until: EpochMs };
}

export interface Preemption {
  readonly victim: WorkloadKey;
  readonly tenant: TenantName;
  readonly pool: PoolName;
  readonly priorityClass: PriorityClass;
  readonly computeUnits: number;
  readonly preemptor: WorkloadKey;
  readonly kind: PreemptionKind;
  readonly reason: string;
}

export interface ReservationRecord {
  readonly pool: PoolName;
  readonly workload: WorkloadKey;
  readonly until: EpochMs;
}

export interface PoolAllocation {
  readonly pool: PoolName;
  readonly vendor: string;
  readonly model: string;
  readonly site: SiteName;
  readonly capacityDevices: number;
  readonly allocatedDevices: number;
  readonly freeDevices: number;
}

export interface DecisionCounts {
  readonly pending: number;
  /** Pending workloads examined this cycle (all of them unless maxDecisionsPerCycle cut it short). */
  readonly decided: number;
  readonly admitted: number;
  readonly waiting: number;
  readonly preempted: number;
  readonly reservations: number;
  readonly waitingByCode: Readonly<Partial<Record<WaitCode, number>>>;
}
