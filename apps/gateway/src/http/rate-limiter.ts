/**
 * Per-client token buckets: `burst` requests at once, refilled at `perSecond`. In memory, so each
 * gateway replica limits on its own (ADR 7); buckets idle long enough to be full are dropped.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly o: { burst: number; perSecond: number; now?: () => number; maxClients?: number },
  ) {}

  /** 0 when allowed (`n` tokens are taken); otherwise the seconds until they are available. */
  take(client: string, n = 1): number {
    const now = this.o.now?.() ?? Date.now();
    const b = this.buckets.get(client) ?? { tokens: this.o.burst, at: now };
    b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.perSecond);
    b.at = now;
    this.buckets.set(client, b);
    if (this.buckets.size > (this.o.maxClients ?? 100_000)) this.sweep(now);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((n - b.tokens) / this.o.perSecond));
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.o.burst / this.o.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(k);
  }
}
