import type { WorkloadKey } from '../ids';
import type { Admission, CycleResult, Waiting } from '../result';
import { scheduleCycle } from '../scheduler';
import { schedulerConfig, type ClusterSnapshot, type SchedulerConfig } from '../snapshot';
import type { SnapshotBuilder } from './builders';

/** One cycle at `now` (default 0) with default config, from a builder or a snapshot. */
export function runCycle(
  snapshot: SnapshotBuilder | ClusterSnapshot,
  config: Partial<SchedulerConfig> = {},
): CycleResult {
  const s = 'obj' in snapshot ? snapshot.obj() : snapshot;
  return scheduleCycle(s, schedulerConfig({ now: 0, ...config }));
}

export function admissionOf(result: CycleResult, key: string): Admission | undefined {
  return result.admitted.find((a) => a.key === (key as WorkloadKey));
}

export function waitingOf(result: CycleResult, key: string): Waiting | undefined {
  return result.waiting.find((w) => w.key === (key as WorkloadKey));
}

/** Keys in decision order: admitted ones, then waiting ones by position. */
export const admittedKeys = (result: CycleResult) => result.admitted.map((a) => a.key as string);
export const waitingKeys = (result: CycleResult) => result.waiting.map((w) => w.key as string);
