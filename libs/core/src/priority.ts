import type { PriorityClass } from '@kentaur/api';
import type { RunningWorkload } from './snapshot';

/** Priority classes from most to least important; a workload's level is its index here. */
export const PRIORITY_ORDER: readonly PriorityClass[] = [
  'emergency',
  'public-interest',
  'standard',
  'preemptible',
];

const LEVEL: Readonly<Record<PriorityClass, number>> = {
  emergency: 0,
  'public-interest': 1,
  standard: 2,
  preemptible: 3,
};

/** 0 = emergency (first) … 3 = preemptible (last). */
export function priorityLevel(priorityClass: PriorityClass): number {
  return LEVEL[priorityClass];
}

/**
 * Emergency work may preempt preemptible and standard work, and public-interest work only where it
 * is borrowed. Emergency work is never preempted: two crises evicting each other help neither.
 */
export function emergencyMayPreempt(victim: Pick<RunningWorkload, 'priorityClass' | 'borrowed'>): boolean {
  const p = victim.priorityClass;
  return p === 'preemptible' || p === 'standard' || (p === 'public-interest' && victim.borrowed);
}

/**
 * A tenant under its guarantee reclaims only borrowed capacity, and never from emergency or
 * public-interest work (those yield to emergencies only). The claimant's own work is excluded by
 * the caller: this predicate is the claimant-independent part, used for the pool-wide upper bound.
 */
export function reclaimMayPreempt(victim: Pick<RunningWorkload, 'priorityClass' | 'borrowed'>): boolean {
  const p = victim.priorityClass;
  return victim.borrowed && (p === 'preemptible' || p === 'standard');
}
