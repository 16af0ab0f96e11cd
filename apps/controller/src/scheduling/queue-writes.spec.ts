import type { Workload } from '@kentaur/api';
import type { Waiting, WaitCode } from '@kentaur/core';
import { makeWorkload } from '@kentaur/testing';
import { waitingStatus } from './admission-status';
import { dueQueueWrites, type QueueWritePolicy } from './queue-writes';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const policy: QueueWritePolicy = {
  maxPerCycle: 3,
  refreshMs: 30_000,
  maxRefreshPerCycle: 2,
  budgetMs: 1_000,
};

const wait = (
  name: string,
  position: number,
  code: WaitCode = 'capacity',
  reason = `waits (${code})`,
): Waiting => ({ key: `ns/${name}`, tenant: 't', position, code, reason }) as Waiting;

/** A workload whose status already shows `shown` (or no status at all). */
function workload(name: string, shown?: Waiting): Workload {
  const w = makeWorkload(name, 'ns').obj();
  return shown ? { ...w, status: waitingStatus(w, shown, new Date(NOW).toISOString()) } : w;
}

function due(
  waiting: Waiting[],
  shown: Record<string, Waiting | undefined>,
  lastWritten: Record<string, number> = {},
  p: QueueWritePolicy = policy,
): string[] {
  const cache = new Map(Object.keys(shown).map((n) => [`ns/${n}`, workload(n, shown[n])]));
  return dueQueueWrites({
    waiting,
    current: (k) => cache.get(k),
    lastWrittenMs: (k) => lastWritten[k],
    nowMs: NOW,
    policy: p,
  }).map((w) => w.key.slice(3));
}

describe('dueQueueWrites', () => {
  it('writes first statuses and changed wait codes at once, in queue order', () => {
    const waiting = [wait('c', 3), wait('a', 1, 'quota'), wait('b', 2)];
    // a: showed capacity, now quota (new code); b: no status yet; c: unchanged.
    expect(due(waiting, { a: wait('a', 1), b: undefined, c: wait('c', 3) })).toEqual(['a', 'b']);
  });

  it('never writes an unchanged status', () => {
    const waiting = [wait('a', 1), wait('b', 2)];
    expect(due(waiting, { a: wait('a', 1), b: wait('b', 2) })).toEqual([]);
  });

  it('rewrites a moved position or reason text only once the refresh interval has passed', () => {
    const waiting = [wait('a', 1), wait('b', 2), wait('c', 3, 'capacity', 'new words')];
    const shown = { a: wait('a', 5), b: wait('b', 6), c: wait('c', 3) };
    const last = { 'ns/a': NOW - 29_999, 'ns/b': NOW - 30_000 };
    // a was written too recently; b is due; c moved its reason and was never written by this replica.
    expect(due(waiting, shown, last)).toEqual(['b', 'c']);
  });

  it('puts urgent writes before refreshes and stops at the per-cycle budget', () => {
    const waiting = [wait('r1', 1), wait('r2', 2), wait('n1', 3), wait('n2', 4), wait('n3', 5)];
    const shown = { r1: wait('r1', 9), r2: wait('r2', 9), n1: undefined, n2: undefined, n3: undefined };
    expect(due(waiting, shown)).toEqual(['n1', 'n2', 'n3']);
    expect(due(waiting, shown, {}, { ...policy, maxPerCycle: 4 })).toEqual(['n1', 'n2', 'n3', 'r1']);
  });

  it('refreshes at most maxRefreshPerCycle moved positions, front of the queue first', () => {
    const waiting = [wait('a', 1), wait('b', 2), wait('c', 3)];
    const shown = { a: wait('a', 4), b: wait('b', 5), c: wait('c', 6) };
    expect(due(waiting, shown)).toEqual(['a', 'b']);
  });

  it('writes the queue status of a preempted workload, and skips workloads gone from the cache', () => {
    const w = makeWorkload('p', 'ns').obj();
    const preempted: Workload = {
      ...w,
      status: {
        phase: 'Preempted',
        queue: { reason: 'preempted' },
        conditions: [
          { type: 'Admitted', status: 'False', reason: 'Preempted', message: 'x', lastTransitionTime: '' },
        ],
      },
    };
    const got = dueQueueWrites({
      waiting: [wait('p', 1), wait('gone', 2)],
      current: (k) => (k === 'ns/p' ? preempted : undefined),
      lastWrittenMs: () => NOW,
      nowMs: NOW,
      policy,
    });
    expect(got.map((x) => x.key)).toEqual(['ns/p']);
  });
});
