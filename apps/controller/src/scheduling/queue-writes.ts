import type { Workload } from '@kentaur/api';
import type { Waiting } from '@kentaur/core';
import { reasonOf } from './admission-status';

/** How the scheduler paces the queue statuses it writes (ADR 10). */
export interface QueueWritePolicy {
  /** At most this many waiting workloads get their status written per cycle (admissions first). */
  maxPerCycle: number;
  /** A queue position or reason text that merely moved is rewritten at most this often per workload. */
  refreshMs: number;
  /** ...and at most this many such refreshes per cycle, front of the queue first. */
  maxRefreshPerCycle: number;
  /** No queue status write is started later than this after the cycle's decisions were written. */
  budgetMs: number;
}

export const DEFAULT_QUEUE_WRITES: QueueWritePolicy = {
  maxPerCycle: 200,
  refreshMs: 30_000,
  maxRefreshPerCycle: 10,
  budgetMs: 1_000,
};

/**
 * Which waiting workloads get their queue status written this cycle. A cycle's decisions move
 * every position behind each admission; rewriting all of them each cycle costs one API write per
 * waiting workload per cycle and holds the next admissions back (measured: `npm run bench -- e2e`,
 * docs/benchmarks.md). So:
 * - urgent, in queue order: a workload without a queue status yet (just submitted, or just
 *   preempted), and one whose wait code changed (capacity → quota says something new);
 * - then, in queue order, those whose position or reason text moved and were last written at
 *   least `refreshMs` ago (or never by this replica), at most `maxRefreshPerCycle` of them: the
 *   front of a long queue stays current, positions deep in it may lag (they move anyway);
 * - no more than `maxPerCycle` in all; the rest stay due and are written by the next cycles.
 * Unchanged statuses are never written. Pure.
 */
export function dueQueueWrites(o: {
  waiting: readonly Waiting[];
  current: (key: string) => Workload | undefined;
  lastWrittenMs: (key: string) => number | undefined;
  nowMs: number;
  policy: QueueWritePolicy;
}): Waiting[] {
  const urgent: Waiting[] = [];
  const refresh: Waiting[] = [];
  const inOrder = [...o.waiting].sort((a, b) => a.position - b.position);
  for (const wait of inOrder) {
    const w = o.current(wait.key);
    if (!w) continue;
    if (saysSomethingNew(w, wait)) {
      urgent.push(wait);
      continue;
    }
    const queue = w.status?.queue;
    if (queue?.position === wait.position && queue.reason === wait.reason) continue;
    const last = o.lastWrittenMs(wait.key);
    if (last === undefined || o.nowMs - last >= o.policy.refreshMs) refresh.push(wait);
  }
  return [...urgent, ...refresh.slice(0, o.policy.maxRefreshPerCycle)].slice(0, o.policy.maxPerCycle);
}

/** The workload shows no queue status yet, or one with another wait code than this cycle's. */
function saysSomethingNew(w: Workload, wait: Waiting): boolean {
  const s = w.status;
  const queued = s?.phase === 'Queued' || s?.phase === 'Preempted';
  const condition = s?.conditions?.find((c) => c.type === 'Admitted');
  return !queued || !s?.queue || condition?.status !== 'False' || condition.reason !== reasonOf(wait.code);
}
