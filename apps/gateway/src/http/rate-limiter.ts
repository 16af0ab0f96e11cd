/**
 * Per-client token buckets: `burst` requests at once, refilled at `perSecond`. In memory, so each
 * gateway replica limits on its own (ADR 7); buckets idle long enough to be full are dropped.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly o: { burst: number; perSecond: number; now?: () => number; maxClients?: number },
  ) {}

  /** 0 when allowed (a token is taken); otherwise the seconds until a token is available. */
  take(client: string): number {
    const now = this.o.now?.() ?? Date.now();
    const b = this.buckets.get(client) ?? { tokens: this.o.burst, at: now };
    b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.perSecond);
    b.at = now;
    this.buckets.set(client, b);
    if (this.buckets.size > (this.o.maxClients ?? 100_000)) this.sweep(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.o.perSecond);
  }

  private sweep(now: number): void {
    const fullAfterMs = (this.o.burst / this.o.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(k);
  }
}
