import {
  queueRunSteps,
  runQueue,
  schedulerConfig,
  tenantName,
  type ClusterSnapshot,
  type QueueRun,
} from '@kentaur/core';
import { aPool, aSnapshot, aTenant, aWorkload } from '@kentaur/core/testing';
import { QueueRuns } from './queue-runs';

const T0 = 1_000_000;

const oneWorkload = () =>
  aSnapshot()
    .pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8))
    .tenants(aTenant('t'))
    .pending(aWorkload('t/a').gang(1, 8))
    .obj();

/** A queue long enough for a run of many steps (cycleSteps pauses every 256 decisions). */
const longQueue = () =>
  aSnapshot()
    .pools(aPool('p').vendor('nvidia', 'H100').nodes(4, 8), aPool('q').vendor('amd', 'MI300X').nodes(4, 8))
    .tenants(aTenant('t'), aTenant('u'))
    .pending(
      ...Array.from({ length: 1_200 }, (_, i) =>
        aWorkload(`${i % 2 ? 't' : 'u'}/w${i}`)
          .gang(1 + (i % 3), 1)
          .createdAt(T0 - 10_000 + i),
      ),
    )
    .obj();

/**
 * QueueRuns on a hand-moved clock, counting the snapshots it takes (each takes `runMs`). With
 * `held`, every pause between two slices waits until the test lets it go (`release`).
 */
function queueRuns(o: { freshMs?: number; runMs?: number; sliceMs?: number; held?: boolean } = {}) {
  let now = T0;
  let snapshots = 0;
  let world: ClusterSnapshot = oneWorkload();
  let failNext: Error | undefined;
  const runSeconds: number[] = [];
  const errors: unknown[] = [];
  const paused: (() => void)[] = [];
  let pauses = 0;
  const runs = new QueueRuns({
    onRun: (seconds) => runSeconds.push(seconds),
    onError: (e) => errors.push(e),
    snapshot: function* () {
      snapshots++;
      if (failNext) {
        const e = failNext;
        failNext = undefined;
        yield;
        throw e;
      }
      now += o.runMs ?? 0;
      return world;
    },
    freshMs: o.freshMs ?? 1_000,
    sliceMs: o.sliceMs,
    now: () => now,
    pause: () => {
      pauses++;
      return o.held ? new Promise<void>((resolve) => paused.push(resolve)) : Promise.resolve();
    },
  });
  return {
    runs,
    runSeconds,
    errors,
    snapshots: () => snapshots,
    pauses: () => pauses,
    advance: (ms: number) => (now += ms),
    change: (next: ClusterSnapshot) => (world = next),
    failNextSnapshot: (e: Error) => (failNext = e),
    /** Lets every held pause go, until none is left (a run's last slice needs no pause). */
    release: async () => {
      while (paused.length > 0) {
        paused.shift()!();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    /** Pauses waiting to be let go: a run is in progress while there is one. */
    held: () => paused.length,
  };
}

/** Whether `p` has settled, after the microtasks queued so far have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('QueueRuns', () => {
  it('runs the queue once for the quotes of freshMs; the first quote after it is on the last run while the next one runs', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    const first = await q.runs.current();
    expect(first.run.state.config.now).toBe(T0);
    expect(first.run.result.admitted.map((a) => a.key)).toEqual(['t/a']);
    q.advance(999);
    expect(await q.runs.current()).toBe(first);
    expect(q.snapshots()).toBe(1);
    q.advance(1);
    expect(await q.runs.current()).toBe(first);
    const second = await q.runs.current();
    expect(second).not.toBe(first);
    expect(second.run.state.config.now).toBe(T0 + 1_000);
    expect(q.snapshots()).toBe(2);
  });

  it('sees a change of the caches in the run after freshMs', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    expect((await q.runs.current()).pending.size).toBe(1);
    q.change(aSnapshot().pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8)).tenants(aTenant('t')).obj());
    expect((await q.runs.current()).pending.size).toBe(1);
    q.advance(1_000);
    await q.runs.current();
    expect((await q.runs.current()).pending.size).toBe(0);
  });

  it('runs a long queue in slices, one turn of the event loop between two, to the result of one run at once', async () => {
    const q = queueRuns({ sliceMs: 0, held: true });
    q.change(longQueue());
    const quote = q.runs.current();
    expect(await settled(quote)).toBe(false);
    expect(q.held()).toBe(1);
    await q.release();
    const run = await quote;
    // Every step a slice of its own: the snapshot, then each step of the queue's run.
    let pausesOfTheRun = 0;
    const steps = queueRunSteps(longQueue(), schedulerConfig({ now: T0 }));
    while (!steps.next().done) pausesOfTheRun++;
    expect(pausesOfTheRun).toBeGreaterThan(Math.floor(1_200 / 256));
    expect(q.pauses()).toBe(1 + pausesOfTheRun);
    const atOnce = runQueue(longQueue(), schedulerConfig({ now: T0 }));
    expect(run.run.result).toEqual(atOnce.run.result);
    expect(run.run.result.counts.decided).toBe(1_200);
    expect([...run.pending.keys()]).toEqual([...atOnce.pending.keys()]);
  });

  it('places quotes on the last run while the next one is in progress, and starts one run at a time', async () => {
    const q = queueRuns({ sliceMs: 0, held: true, freshMs: 1_000 });
    const firstQuote = q.runs.current();
    await q.release();
    const first = await firstQuote;
    q.change(longQueue());
    q.advance(1_000);
    expect(await q.runs.current()).toBe(first);
    expect(q.held()).toBe(1);
    expect(await q.runs.current()).toBe(first);
    expect(await q.runs.current('t')).toBe(first);
    expect(q.snapshots()).toBe(2);
    await q.release();
    const second = await q.runs.current();
    expect(second).not.toBe(first);
    expect(second.pending.size).toBe(1_200);
    expect(q.snapshots()).toBe(2);
  });

  it('waits for a new run for a tenant created since the last run, once', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    const first = await q.runs.current('t');
    expect(await q.runs.current('t')).toBe(first);
    q.change(
      aSnapshot()
        .pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8))
        .tenants(aTenant('t'), aTenant('new'))
        .obj(),
    );
    const second = await q.runs.current('new');
    expect(second).not.toBe(first);
    expect(second.run.state.tenants.has(tenantName('new'))).toBe(true);
    expect(await q.runs.current('new')).toBe(second);
    expect(await q.runs.current('t')).toBe(second);
    expect(q.snapshots()).toBe(2);
  });

  it('for a tenant the run in progress may not know, waits for it and then for one started after the request', async () => {
    const q = queueRuns({ sliceMs: 0, held: true, freshMs: 1_000 });
    const firstQuote = q.runs.current('t');
    await q.release();
    await firstQuote;
    q.advance(1_000);
    await q.runs.current('t'); // starts a run whose snapshot has no tenant `new`
    expect(q.held()).toBe(1);
    q.advance(1);
    q.change(
      aSnapshot()
        .pools(aPool('p').vendor('nvidia', 'H100').nodes(1, 8))
        .tenants(aTenant('t'), aTenant('new'))
        .obj(),
    );
    const quote = q.runs.current('new');
    await q.release();
    await q.release();
    const run: QueueRun = await quote;
    expect(run.run.state.tenants.has(tenantName('new'))).toBe(true);
    expect(run.run.state.config.now).toBe(T0 + 1_001);
    expect(q.snapshots()).toBe(3);
  });

  it('a tenant no run knows gets the fresh run that does not know it, not a run per quote', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    await q.runs.current('t');
    const unknown = await q.runs.current('nobody');
    expect(unknown.run.state.tenants.has(tenantName('nobody'))).toBe(false);
    expect(q.snapshots()).toBe(2);
  });

  it('runs the queue again when the clock went back', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    await q.runs.current();
    q.advance(-5);
    await q.runs.current();
    expect((await q.runs.current()).run.state.config.now).toBe(T0 - 5);
    expect(q.snapshots()).toBe(2);
  });

  it('keeps a run that took long for ten times its duration, so quotes cannot keep the gateway running the queue', async () => {
    const q = queueRuns({ freshMs: 1_000, runMs: 2_500 });
    const first = await q.runs.current();
    expect(first.run.state.config.now).toBe(T0);
    // The run took 2.5 s: it answers until 25 s after it started.
    q.advance(25_000 - 2_500 - 1);
    expect(await q.runs.current()).toBe(first);
    expect(q.snapshots()).toBe(1);
    q.advance(1);
    expect(await q.runs.current()).toBe(first);
    expect(await q.runs.current()).not.toBe(first);
    expect(q.snapshots()).toBe(2);
    expect(q.runSeconds).toEqual([2.5, 2.5]);
  });

  it('with freshMs 0, starts a run for every quote', async () => {
    const q = queueRuns({ freshMs: 0 });
    await q.runs.current();
    await q.runs.current();
    await q.runs.current();
    expect(q.snapshots()).toBe(3);
  });

  it('a run that fails in the background is reported and the quotes stay on the last run; the next quote tries again', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    const first = await q.runs.current();
    q.advance(1_000);
    q.failNextSnapshot(new Error('cache gone'));
    expect(await q.runs.current()).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(q.errors).toEqual([new Error('cache gone')]);
    expect(await q.runs.current()).toBe(first);
    const second = await q.runs.current();
    expect(second).not.toBe(first);
    expect(q.snapshots()).toBe(3);
  });

  it('a failing run that no quote waits for is reported once, however many quotes came during it', async () => {
    const q = queueRuns({ sliceMs: 0, held: true, freshMs: 1_000 });
    const firstQuote = q.runs.current();
    await q.release();
    const first = await firstQuote;
    q.advance(1_000);
    q.failNextSnapshot(new Error('cache gone'));
    for (let i = 0; i < 5; i++) expect(await q.runs.current()).toBe(first);
    expect(q.held()).toBe(1);
    await q.release();
    expect(q.errors).toEqual([new Error('cache gone')]);
    expect(q.snapshots()).toBe(2);
  });

  it('a run that a quote waits for and that fails fails that quote; the next quote runs again', async () => {
    const q = queueRuns({ freshMs: 1_000 });
    q.failNextSnapshot(new Error('cache gone'));
    await expect(q.runs.current()).rejects.toThrow('cache gone');
    expect((await q.runs.current()).pending.size).toBe(1);
    expect(q.snapshots()).toBe(2);
  });
});
