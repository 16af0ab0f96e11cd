import type { Clock } from './clock';

/** How long to wait before an item may be retried. */
export interface RateLimiter<K> {
  when(key: K): number;
  forget(key: K): void;
  failures(key: K): number;
}

/** Per-item exponential backoff: base × 2^failures, capped (client-go: 5 ms → 1000 s). */
export class ExponentialBackoff<K> implements RateLimiter<K> {
  private readonly counts = new Map<K, number>();

  constructor(private readonly o: { baseMs: number; maxMs: number } = { baseMs: 5, maxMs: 1_000_000 }) {}

  when(key: K): number {
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    return Math.min(this.o.baseMs * 2 ** n, this.o.maxMs);
  }

  forget(key: K): void {
    this.counts.delete(key);
  }

  failures(key: K): number {
    return this.counts.get(key) ?? 0;
  }
}

/** A global token bucket: `qps` tokens a second, up to `burst`; returns the wait for the next token. */
export class TokenBucket<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(private readonly o: { qps: number; burst: number; clock: Clock }) {
    this.tokens = o.burst;
    this.last = o.clock.now();
  }

  when(_key: K): number {
    const now = this.o.clock.now();
    this.tokens = Math.min(this.o.burst, this.tokens + ((now - this.last) / 1000) * this.o.qps);
    this.last = now;
    this.tokens -= 1; // reserve a token, possibly going into debt: the debt is the wait
    return this.tokens >= 0 ? 0 : (-this.tokens / this.o.qps) * 1000;
  }

  forget(_key: K): void {}

  failures(_key: K): number {
    return 0;
  }
}

/** The longest wait of several limiters (client-go's default: per-item backoff and a global bucket). */
export class MaxOf<K> implements RateLimiter<K> {
  constructor(private readonly limiters: RateLimiter<K>[]) {}

  when(key: K): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  failures(key: K): number {
    return Math.max(...this.limiters.map((l) => l.failures(key)));
  }
}

export function defaultRateLimiter<K>(clock: Clock): RateLimiter<K> {
  return new MaxOf<K>([new ExponentialBackoff<K>(), new TokenBucket<K>({ qps: 10, burst: 100, clock })]);
}
