import { tenantName, type ClusterSnapshot } from '@kentaur/core';
import { aPool, aSnapshot, aTenant, aWorkload } from '@kentaur/core/testing';
import { QueueRuns } from './queue-runs';

const T0 = 1_000_000;

/** QueueRuns on a hand-moved clock, counting the snapshots it takes (each takes `runMs`). */
function queueRuns(freshMs = 1_000, runMs = 0) {
  let now = T0;
  let snapshots = 0;
  let world: ClusterSnapshot = aSnapshot()
    .pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8))
    .tenants(aTenant('t'))
    .pending(aWorkload('t/a').gang(1, 8))
    .obj();
  const runSeconds: number[] = [];
  const runs = new QueueRuns({
    onRun: (seconds) => runSeconds.push(seconds),
    snapshot: () => {
      snapshots++;
      now += runMs;
      return world;
    },
    freshMs,
    now: () => now,
  });
  return {
    runs,
    runSeconds,
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
    expect(q.runs.current().pending.size).toBe(1);
    q.change(aSnapshot().pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8)).tenants(aTenant('t')).obj());
    expect(q.runs.current().pending.size).toBe(1);
    q.advance(1_000);
    expect(q.runs.current().pending.size).toBe(0);
  });

  it('runs the queue again for a tenant created since the last run, once', () => {
    const q = queueRuns(1_000);
    const first = q.runs.current('t');
    expect(q.runs.current('t')).toBe(first);
    q.change(
      aSnapshot()
        .pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8))
        .tenants(aTenant('t'), aTenant('new'))
        .obj(),
    );
    const second = q.runs.current('new');
    expect(second).not.toBe(first);
    expect(second.run.state.tenants.has(tenantName('new'))).toBe(true);
    expect(q.runs.current('new')).toBe(second);
    expect(q.runs.current('t')).toBe(second);
    expect(q.snapshots()).toBe(2);
  });

  it('runs the queue again when the clock went back', () => {
    const q = queueRuns(1_000);
    q.runs.current();
    q.advance(-5);
    expect(q.runs.current().run.state.config.now).toBe(T0 - 5);
    expect(q.snapshots()).toBe(2);
  });

  it('keeps a run that took long for ten times its duration, so quotes cannot keep the gateway running the queue', () => {
    const q = queueRuns(1_000, 2_500);
    const first = q.runs.current();
    expect(first.run.state.config.now).toBe(T0);
    // The run took 2.5 s: it answers until 25 s after it started.
    q.advance(25_000 - 2_500 - 1);
    expect(q.runs.current()).toBe(first);
    q.advance(1);
    expect(q.runs.current()).not.toBe(first);
    expect(q.snapshots()).toBe(2);
    expect(q.runSeconds).toEqual([2.5, 2.5]);
  });

  it('with freshMs 0, runs the queue for every quote', () => {
    const q = queueRuns(0);
    q.runs.current();
    q.runs.current();
    expect(q.snapshots()).toBe(2);
  });
});
