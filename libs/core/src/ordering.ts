import type { PriorityClass, Tier } from '@kentaur/api';
import type { TenantState } from './cycle-state';
import { compareUsage, entitlement } from './fair-share';
import { IndexedHeap, type HeapItem } from './heap';
import type { TenantName } from './ids';
import { PRIORITY_ORDER, priorityLevel } from './priority';
import type { PendingWorkload } from './snapshot';
import { pauseEvery, type Steps } from './steps';

/**
 * Step 1: the order in which pending workloads are decided. Priority class first; within a class,
 * the tenant with the lowest weighted dominant share goes next — counting what it was admitted
 * earlier in this cycle, so one tenant's deep queue cannot take a whole cycle; then age, then key.
 *
 * Implemented as one queue per tenant and priority level (sorted by age) and a heap of tenants
 * keyed by share: O(log tenants) per decision instead of re-sorting 50,000 workloads.
 */

export interface PendingEntry {
  readonly workload: PendingWorkload;
  readonly tenant: TenantState;
  /** After the emergency rule: emergency from a tenant without allowEmergency counts as standard. */
  readonly priorityClass: PriorityClass;
  readonly level: number;
  /** Said to the tenant with the outcome, e.g. why its emergency was treated as standard. */
  readonly note: string | undefined;
}

export function effectivePriority(
  w: Pick<PendingWorkload, 'priorityClass'>,
  tenant: TenantState,
): { priorityClass: PriorityClass; note: string | undefined } {
  if (w.priorityClass === 'emergency' && !tenant.tenant.allowEmergency)
    return {
      priorityClass: 'standard',
      note: `emergency is not allowed for tenant ${tenant.tenant.name} (allowEmergency is false): treated as standard`,
    };
  return { priorityClass: w.priorityClass, note: undefined };
}

export function toEntry(w: PendingWorkload, tenant: TenantState): PendingEntry {
  const { priorityClass, note } = effectivePriority(w, tenant);
  return { workload: w, tenant, priorityClass, level: priorityLevel(priorityClass), note };
}

/** Oldest first, then key: a total order, so equal ages stay deterministic. */
export function compareAge(a: PendingWorkload, b: PendingWorkload): number {
  return a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

class TenantQueue implements HeapItem {
  heapIndex = -1;
  next = 0;
  readonly entries: PendingEntry[] = [];

  readonly tenant: TenantState;
  /** Share denominator, fixed for the cycle (see fair-share.ts). */
  readonly entitlement: number;

  constructor(options: { tenant: TenantState; entitlement: number }) {
    this.tenant = options.tenant;
    this.entitlement = options.entitlement;
  }

  get head(): PendingEntry | undefined {
    return this.entries[this.next];
  }

  get usageCU(): number {
    return this.tenant.usageCU;
  }
}

/** Queued workloads grouped, sorted by age or put in order between two pauses of the cycle's steps. */
export const ENTRIES_PER_STEP = 5_000;

/**
 * A PendingQueue of `entries`, in steps (`Steps`): a pause after every 5,000 entries grouped by
 * priority level and tenant, and after every 5,000 sorted by age within their tenant's queue.
 */
export function* pendingQueueSteps(options: {
  entries: readonly PendingEntry[];
  tierWeights: Readonly<Record<Tier, number>>;
}): Steps<PendingQueue> {
  const levels = PRIORITY_ORDER.map(() => new Map<TenantName, TenantQueue>());
  const grouped = pauseEvery(ENTRIES_PER_STEP);
  for (const entry of options.entries) {
    const byTenant = levels[entry.level]!;
    let queue = byTenant.get(entry.tenant.tenant.name);
    if (!queue) {
      queue = new TenantQueue({
        tenant: entry.tenant,
        entitlement: entitlement(entry.tenant.tenant, options.tierWeights),
      });
      byTenant.set(entry.tenant.tenant.name, queue);
    }
    queue.entries.push(entry);
    if (grouped()) yield;
  }
  const sorted = pauseEvery(ENTRIES_PER_STEP);
  for (const byTenant of levels)
    for (const queue of byTenant.values()) {
      queue.entries.sort((a, b) => compareAge(a.workload, b.workload));
      if (sorted(queue.entries.length)) yield;
    }
  return new PendingQueue(levels);
}

export class PendingQueue {
  private readonly levels: Map<TenantName, TenantQueue>[];
  private level = -1;
  private readonly heap: IndexedHeap<TenantQueue>;
  /** The tenant queue whose head was handed out last: re-keyed once its decision is made. */
  private out: TenantQueue | undefined;

  /** Each priority level's tenant queues, each in age order (`pendingQueueSteps` builds them). */
  constructor(levels: Map<TenantName, TenantQueue>[]) {
    this.levels = levels;
    this.heap = new IndexedHeap<TenantQueue>(
      (a, b) =>
        compareUsage(a, b) ||
        compareAge(a.head!.workload, b.head!.workload) ||
        (a.tenant.tenant.name < b.tenant.tenant.name ? -1 : 1),
    );
  }

  /** The next workload to decide. Call only after the previous one's decision is applied. */
  next(): PendingEntry | undefined {
    this.requeueOut();
    while (this.heap.size === 0) {
      if (++this.level >= this.levels.length) return undefined;
      for (const queue of this.levels[this.level]!.values()) this.heap.push(queue);
    }
    const queue = this.heap.pop()!;
    const entry = queue.head!;
    queue.next++;
    this.out = queue;
    return entry;
  }

  /** A tenant's usage changed outside its own decision (it lost work to preemption): re-key it. */
  tenantChanged(tenant: TenantState): void {
    const queue = this.levels[this.level]?.get(tenant.tenant.name);
    if (queue) this.heap.update(queue);
  }

  private requeueOut(): void {
    if (this.out && this.out.head !== undefined) this.heap.push(this.out);
    this.out = undefined;
  }
}
