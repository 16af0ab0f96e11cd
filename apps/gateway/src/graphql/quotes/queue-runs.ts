import { runQueue, schedulerConfig, tenantName, type ClusterSnapshot, type QueueRun } from '@kentaur/core';

/** How long one run of the queue answers quotes at least: a quote shows the cluster as it was that long ago at most. */
export const QUEUE_RUN_FRESH_MS = 1_000;

/**
 * A run answers quotes for at least this many times its own duration, so that quotes keep the
 * gateway running the queue at most about a tenth of the time, however long a run takes.
 */
export const QUEUE_RUN_REUSE_FACTOR = 10;

/**
 * The current queue as the controller would run it, shared by the quotes of a second or more. A
 * quote is the candidate placed on the state that the queue's run leaves (`quoteOn`), and that run
 * — a snapshot of the caches and a whole scheduling cycle — was most of each quote's CPU time: 3.9
 * ms a quote with 200 workloads queued (`npm run bench -- gateway`). Now the queue is run when a
 * quote asks and the last run is older than `freshMs` and than `reuseFactor` times its own
 * duration, whatever the rate of quotes. The second bound is for a long queue, where one run takes
 * seconds (50,000 queued workloads, `npm run bench -- memory`): run again as soon as a second had
 * passed, the gateway ran the queue back to back and every quote waited for a whole run.
 *
 * What a quote may miss is what changed since the run (a submission, an admission, a pool) and the
 * time passed (the run's `now`; quote.resolver.ts starts nothing before the request's own time):
 * a second at most with a short queue, ten times a run's duration with a long one.
 */
export class QueueRuns {
  private last: { at: number; reuseMs: number; queue: QueueRun } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly o: {
      /** The scheduler's view of the caches now (GatewayState.snapshot). */
      snapshot: () => ClusterSnapshot;
      freshMs?: number;
      reuseFactor?: number;
      now?: () => number;
      /** Told each run's duration in seconds (the gateway's metrics). */
      onRun?: (seconds: number) => void;
    },
  ) {
    this.now = o.now ?? Date.now;
  }

  /**
   * The last run of the queue while it is fresh enough (see the class), else a new one; a new one
   * too when the last does not know `tenant` (created since: every cached Tenant is in a run, so
   * this runs the queue once more per new tenant at most).
   */
  current(tenant?: string): QueueRun {
    const now = this.now();
    const last = this.last;
    const fresh = last !== undefined && now >= last.at && now - last.at < last.reuseMs;
    if (fresh && (tenant === undefined || last.queue.run.state.tenants.has(tenantName(tenant))))
      return last.queue;
    const queue = runQueue(this.o.snapshot(), schedulerConfig({ now }));
    const tookMs = Math.max(0, this.now() - now);
    this.o.onRun?.(tookMs / 1000);
    const reuseMs = Math.max(
      this.o.freshMs ?? QUEUE_RUN_FRESH_MS,
      (this.o.reuseFactor ?? QUEUE_RUN_REUSE_FACTOR) * tookMs,
    );
    this.last = { at: now, reuseMs, queue };
    return queue;
  }
}
