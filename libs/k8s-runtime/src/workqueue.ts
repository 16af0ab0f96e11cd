import { realClock, type Clock } from './clock';
import { defaultRateLimiter, type RateLimiter } from './rate-limiter';

/**
 * A work queue of keys with the guarantees of client-go's:
 *  - a key is queued at most once however often it is added (adds merge while it waits);
 *  - a key is never handed to two workers at once: added while processing, it is queued again
 *    only when `done` is called for it;
 *  - `addRateLimited` delays by per-item exponential backoff under a global rate limit;
 *    `forget` resets the backoff after a success; `addAfter` delays explicitly.
 */
export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private readonly delayed = new Map<K, { at: number; cancel(): void }>();
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;

  constructor(o: { clock?: Clock; rateLimiter?: RateLimiter<K> } = {}) {
    this.clock = o.clock ?? realClock;
    this.limiter = o.rateLimiter ?? defaultRateLimiter<K>(this.clock);
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // queued again by done()
    this.push(key);
  }

  /** Adds after `ms`; an earlier pending delay for the same key wins (like client-go's delaying queue). */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel: () => timer.cancel() });
  }

  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: K): void {
    this.limiter.forget(key);
  }

  failures(key: K): number {
    return this.limiter.failures(key);
  }

  /** The next key; waits while the queue is empty. Resolves undefined once shut down and drained. */
  get(): Promise<K | undefined> {
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Stops accepting keys, cancels delayed adds and releases waiting workers. Queued keys still drain. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    while (this.waiters.length) this.waiters.shift()!(this.pop());
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  private pop(): K | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
