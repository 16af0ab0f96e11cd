import fc from 'fast-check';
import { RateLimiter } from './rate-limiter';

/** A limiter on a hand-moved clock. */
function limiter(o: { burst: number; perSecond: number; maxClients?: number }) {
  let nowMs = 1_000_000;
  const l = new RateLimiter({ ...o, now: () => nowMs });
  return {
    take: (client = 'a', n?: number) => l.take(client, n),
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

const takeN = (take: () => number, n: number) => Array.from({ length: n }, take);

describe('RateLimiter', () => {
  it.each([
    { name: 'a burst of 1', burst: 1 },
    { name: 'a burst of 5', burst: 5 },
    { name: 'a burst of 30', burst: 30 },
  ])('allows $name at once, then refuses', ({ burst }) => {
    const l = limiter({ burst, perSecond: 1 });
    expect(takeN(() => l.take(), burst)).toEqual(Array(burst).fill(0));
    expect(l.take()).toBeGreaterThan(0);
  });

  it.each([
    { name: 'one per second, nothing elapsed', perSecond: 1, elapsedMs: 0, retryAfter: 1 },
    { name: 'one per second, 0.5 s elapsed', perSecond: 1, elapsedMs: 500, retryAfter: 1 },
    { name: 'one per 10 s, nothing elapsed', perSecond: 0.1, elapsedMs: 0, retryAfter: 10 },
    { name: 'one per 10 s, 2.5 s elapsed', perSecond: 0.1, elapsedMs: 2500, retryAfter: 8 },
    { name: 'one per 10 s, 9.5 s elapsed', perSecond: 0.1, elapsedMs: 9500, retryAfter: 1 },
    { name: 'four per second: under a second is still 1', perSecond: 4, elapsedMs: 0, retryAfter: 1 },
  ])('retry-after in whole seconds: $name', ({ perSecond, elapsedMs, retryAfter }) => {
    const l = limiter({ burst: 1, perSecond });
    expect(l.take()).toBe(0);
    l.advance(elapsedMs);
    expect(l.take()).toBe(retryAfter);
  });

  it.each([
    { name: 'one token after 1/perSecond', perSecond: 2, elapsedMs: 500, allowed: 1 },
    { name: 'partial refill allows nothing', perSecond: 2, elapsedMs: 499, allowed: 0 },
    { name: 'two tokens after twice as long', perSecond: 2, elapsedMs: 1000, allowed: 2 },
    { name: 'never more than the burst', perSecond: 2, elapsedMs: 3_600_000, allowed: 3 },
  ])('refills: $name', ({ perSecond, elapsedMs, allowed }) => {
    const l = limiter({ burst: 3, perSecond });
    takeN(() => l.take(), 3);
    l.advance(elapsedMs);
    const results = takeN(() => l.take(), 4);
    expect(results.filter((r) => r === 0)).toHaveLength(allowed);
    expect(results.slice(allowed).every((r) => r > 0)).toBe(true);
  });

  it('a refused request takes no token', () => {
    const l = limiter({ burst: 1, perSecond: 1 });
    l.take();
    takeN(() => l.take(), 5);
    l.advance(1000);
    expect(l.take()).toBe(0);
  });

  it.each([
    { name: 'a batch within the burst', burst: 5, perSecond: 1, batches: [3], answers: [0] },
    { name: 'the whole burst at once', burst: 5, perSecond: 1, batches: [5, 1], answers: [0, 1] },
    { name: 'a batch larger than what is left', burst: 5, perSecond: 1, batches: [3, 3], answers: [0, 1] },
    {
      name: 'a refused batch takes nothing, a smaller one still fits',
      burst: 5,
      perSecond: 1,
      batches: [3, 3, 2],
      answers: [0, 1, 0],
    },
    {
      name: 'retry-after for the missing tokens',
      burst: 5,
      perSecond: 0.5,
      batches: [4, 3],
      answers: [0, 4],
    },
  ])('counts each operation of a batch: $name', ({ burst, perSecond, batches, answers }) => {
    const l = limiter({ burst, perSecond });
    expect(batches.map((n) => l.take('a', n))).toEqual(answers);
  });

  it('a refused batch is allowed once its retry-after has passed', () => {
    const l = limiter({ burst: 4, perSecond: 0.5 });
    l.take('a', 4);
    const wait = l.take('a', 3);
    expect(wait).toBe(6);
    l.advance((wait - 1) * 1000);
    expect(l.take('a', 3)).toBeGreaterThan(0);
    l.advance(1000);
    expect(l.take('a', 3)).toBe(0);
  });

  it('limits each client on its own', () => {
    const l = limiter({ burst: 2, perSecond: 1 });
    expect(takeN(() => l.take('a'), 3)).toEqual([0, 0, 1]);
    expect(takeN(() => l.take('b'), 2)).toEqual([0, 0]);
    expect(l.take('a')).toBe(1);
  });

  it('uses the real clock when none is injected', () => {
    const l = new RateLimiter({ burst: 1, perSecond: 0.001 });
    expect(l.take('x')).toBe(0);
    expect(l.take('x')).toBeGreaterThan(900);
  });

  it.each([
    { name: 'idle less than the refill time: its bucket is kept', idleMs: 3000, answers: [0, 0, 0, 1] },
    {
      name: 'idle the whole refill time: dropped, as full as it would be',
      idleMs: 4000,
      answers: [0, 0, 0, 0],
    },
  ])('sweeping with many clients, a client $name', ({ idleMs, answers }) => {
    const l = limiter({ burst: 4, perSecond: 1, maxClients: 1 });
    expect(l.take('a', 4)).toBe(0);
    l.advance(idleMs);
    l.take('b');
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('a')]).toEqual(answers);
  });

  // Sweeping drops only buckets that would be full anyway, so a limiter that sweeps on every call
  // (maxClients: 0) answers exactly like one that never sweeps.
  it('sweeping idle clients never changes an answer', () => {
    const step = fc.record({
      client: fc.constantFrom('a', 'b', 'c'),
      n: fc.integer({ min: 1, max: 3 }),
      advanceMs: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 10_000 })),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(0.5, 1, 3),
        fc.array(step, { maxLength: 80 }),
        (burst, perSecond, steps) => {
          const sweeping = limiter({ burst, perSecond, maxClients: 0 });
          const keeping = limiter({ burst, perSecond, maxClients: Infinity });
          for (const { client, n, advanceMs } of steps) {
            sweeping.advance(advanceMs);
            keeping.advance(advanceMs);
            expect(sweeping.take(client, n)).toBe(keeping.take(client, n));
          }
        },
      ),
    );
  });

  it('never allows more operations than burst + perSecond × elapsed to one client', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(0.5, 1, 3),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 2000 }), n: fc.integer({ min: 1, max: 3 }) }), {
          maxLength: 100,
        }),
        (burst, perSecond, requests) => {
          const l = limiter({ burst, perSecond });
          let elapsedMs = 0;
          let allowed = 0;
          for (const { gap, n } of requests) {
            l.advance(gap);
            elapsedMs += gap;
            if (l.take('a', n) === 0) allowed += n;
            expect(allowed).toBeLessThanOrEqual(burst + (perSecond * elapsedMs) / 1000 + 1e-9);
          }
        },
      ),
    );
  });
});
