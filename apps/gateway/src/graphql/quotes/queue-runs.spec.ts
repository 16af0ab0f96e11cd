import type { ClusterSnapshot } from '@kentaur/core';
import { aPool, aSnapshot, aTenant, aWorkload } from '@kentaur/core/testing';
import { QueueRuns } from './queue-runs';

const T0 = 1_000_000;

/** QueueRuns on a hand-moved clock, counting the snapshots it takes. */
function queueRuns(freshMs = 1_000) {
  let now = T0;
  let snapshots = 0;
  let world: ClusterSnapshot = aSnapshot()
    .pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8))
    .tenants(aTenant('t'))
    .pending(aWorkload('t/a').gang(1, 8))
    .obj();
  const runs = new QueueRuns({
    snapshot: () => {
      snapshots++;
      return world;
    },
    freshMs,
    now: () => now,
  });
  return {
    runs,
    snapshots: () => snapshots,
    advance: (ms: number) => (now += ms),
    change: (next: ClusterSnapshot) => (world = next),
  };
}

describe('QueueRuns', () => {
  it('runs the queue once for the quotes of freshMs, and again after', () => {
    const q = queueRuns(1_000);
    const first = q.runs.current();
    expect(first.run.state.config.now).toBe(T0);
    expect(first.run.result.admitted.map((a) => a.key)).toEqual(['t/a']);
    q.advance(999);
    expect(q.runs.current()).toBe(first);
    expect(q.snapshots()).toBe(1);
    q.advance(1);
    const second = q.runs.current();
    expect(second).not.toBe(first);
    expect(second.run.state.config.now).toBe(T0 + 1_000);
    expect(q.snapshots()).toBe(2);
  });

  it('sees a change of the caches once its run is older than freshMs', () => {
    const q = queueRuns(1_000);
    expect(q.runs.current().pending).toHaveLength(1);
    q.change(aSnapshot().pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8)).tenants(aTenant('t')).obj());
    expect(q.runs.current().pending).toHaveLength(1);
    q.advance(1_000);
    expect(q.runs.current().pending).toHaveLength(0);
  });

  it('runs the queue again when the clock went back', () => {
    const q = queueRuns(1_000);
    q.runs.current();
    q.advance(-5);
    expect(q.runs.current().run.state.config.now).toBe(T0 - 5);
    expect(q.snapshots()).toBe(2);
  });

  it('with freshMs 0, runs the queue for every quote', () => {
    const q = queueRuns(0);
    q.runs.current();
    q.runs.current();
    expect(q.snapshots()).toBe(2);
  });
});
