import { ManualClock } from './clock';
import { ExponentialBackoff, TokenBucket } from './rate-limiter';
import { ReconcileLoop } from './reconcile-loop';
import { KubeApiError } from './errors';
import { WorkQueue } from './workqueue';

const flush = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('merges repeated adds of a waiting key', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key that is being processed; re-adds it on done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const first = await q.get();
    q.add('a'); // an event while the key is processed
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await flush();
    expect(second).toBeUndefined();
    q.done(first!);
    await flush();
    expect(second).toBe('a');
  });

  it('delays addAfter by the clock, and an earlier delay for the same key wins', () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 5000);
    clock.advance(999);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    clock.advance(10_000);
    expect(q.length).toBe(1);
  });

  it('backs off exponentially per item and resets on forget', () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({
      clock,
      rateLimiter: new ExponentialBackoff({ baseMs: 5, maxMs: 1000 }),
    });
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      q.addRateLimited('a');
      let waited = 0;
      while (q.length === 0 && waited < 5000) {
        clock.advance(1);
        waited++;
      }
      delays.push(waited);
      void q.get(); // pops synchronously: the key is now being processed
      q.done('a');
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    q.forget('a');
    expect(q.failures('a')).toBe(0);
  });

  it('shutDown releases waiting workers with undefined', async () => {
    const q = new WorkQueue<string>();
    const waiting = q.get();
    q.shutDown();
    await expect(waiting).resolves.toBeUndefined();
    q.add('late');
    expect(q.length).toBe(0);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then spaces items at the rate', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket<string>({ qps: 10, burst: 3, clock });
    expect([bucket.when('x'), bucket.when('x'), bucket.when('x')]).toEqual([0, 0, 0]);
    expect(bucket.when('x')).toBeCloseTo(100);
    expect(bucket.when('x')).toBeCloseTo(200);
    clock.advance(1000);
    expect(bucket.when('x')).toBe(0);
  });
});

describe('ReconcileLoop', () => {
  it('never reconciles one key concurrently and processes a key re-added meanwhile once more', async () => {
    const q = new WorkQueue<string>();
    let running = 0;
    let maxRunning = 0;
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loop = new ReconcileLoop<string>({
      name: 't',
      queue: q,
      concurrency: 4,
      reconcile: async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        calls.push(key);
        if (calls.length === 1) await gate;
        running--;
      },
    });
    loop.start();
    q.add('k');
    await flush();
    q.add('k');
    q.add('k');
    await flush();
    expect(calls).toEqual(['k']);
    release();
    await flush();
    await flush();
    expect(calls).toEqual(['k', 'k']);
    expect(maxRunning).toBe(1);
    await loop.stop();
  });

  it('retries errors with backoff, counts conflicts apart, and requeues on request', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({
      clock,
      rateLimiter: new ExponentialBackoff({ baseMs: 10, maxMs: 100 }),
    });
    const outcomes: string[] = [];
    let n = 0;
    const loop = new ReconcileLoop<string>({
      name: 't',
      queue: q,
      concurrency: 1,
      observe: (o) => outcomes.push(o),
      reconcile: () => {
        n++;
        if (n === 1) throw new Error('boom');
        if (n === 2)
          throw new KubeApiError({
            statusCode: 409,
            method: 'PUT',
            path: '/x',
            status: { reason: 'Conflict' },
          });
        if (n === 3) return Promise.resolve({ requeueAfterMs: 50 });
        return Promise.resolve();
      },
    });
    loop.start();
    q.add('k');
    for (let i = 0; i < 200 && n < 4; i++) {
      await flush();
      clock.advance(5);
    }
    await flush();
    expect(outcomes).toEqual(['error', 'conflict', 'requeue', 'success']);
    await loop.stop();
  });

  it('stop waits for the reconcile in flight', async () => {
    const q = new WorkQueue<string>();
    let finished = false;
    const loop = new ReconcileLoop<string>({
      name: 't',
      queue: q,
      reconcile: async () => {
        await new Promise((r) => setTimeout(r, 20));
        finished = true;
      },
    });
    loop.start();
    q.add('k');
    await flush();
    await loop.stop();
    expect(finished).toBe(true);
  });
});
