import { isConflict } from './errors';
import type { WorkQueue } from './workqueue';

/**
 * What a reconcile returns. Nothing (or `{}`) means "converged": the key is forgotten (its backoff
 * reset) and processed again only when an event adds it. `requeueAfterMs` asks for another pass
 * after that delay, e.g. to check a timeout. A thrown error retries the key with per-item
 * exponential backoff; a 409 Conflict is expected under optimistic concurrency and is not logged.
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type Reconcile<K> = (key: K) => Promise<ReconcileResult | void>;

export type ReconcileOutcome = 'success' | 'requeue' | 'conflict' | 'error';

export interface ReconcileLoopOptions<K> {
  name: string;
  queue: WorkQueue<K>;
  reconcile: Reconcile<K>;
  /** Keys reconciled at once; the queue guarantees one key is never reconciled twice concurrently. */
  concurrency?: number;
  onError?: (key: K, error: unknown) => void;
  /** Called after every reconcile, for metrics. */
  observe?: (outcome: ReconcileOutcome, durationMs: number) => void;
}

/** Workers that take keys from a queue and reconcile them until stopped. */
export class ReconcileLoop<K> {
  private workers: Promise<void>[] = [];

  constructor(private readonly o: ReconcileLoopOptions<K>) {}

  get name(): string {
    return this.o.name;
  }

  start(): void {
    if (this.workers.length) return;
    const n = this.o.concurrency ?? 4;
    this.workers = Array.from({ length: n }, () => this.work());
  }

  /** Stops taking new keys and waits for the reconciles in flight to finish (graceful shutdown). */
  async stop(): Promise<void> {
    this.o.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(): Promise<void> {
    for (let key = await this.o.queue.get(); key !== undefined; key = await this.o.queue.get()) {
      await this.processOne(key);
    }
  }

  private async processOne(key: K): Promise<void> {
    const { queue } = this.o;
    const started = performance.now();
    let outcome: ReconcileOutcome = 'success';
    try {
      const result = await this.o.reconcile(key);
      queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        outcome = 'requeue';
        queue.addAfter(key, result.requeueAfterMs);
      }
    } catch (e) {
      outcome = isConflict(e) ? 'conflict' : 'error';
      if (outcome === 'error') this.o.onError?.(key, e);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
      this.o.observe?.(outcome, performance.now() - started);
    }
  }
}
