import { runQueue, schedulerConfig, type ClusterSnapshot, type QueueRun } from '@kentaur/core';

/** How long one run of the queue answers quotes: a quote shows the cluster as it was that long ago at most. */
export const QUEUE_RUN_FRESH_MS = 1_000;

/**
 * The current queue as the controller would run it, shared by the quotes of one second. A quote is
 * the candidate placed on the state that the queue's run leaves (`quoteOn`), and that run — a
 * snapshot of the caches and a whole scheduling cycle — was most of each quote's CPU time: 3.9 ms a
 * quote with 200 workloads queued (`npm run bench -- gateway`), and a cycle over 50,000 queued
 * workloads takes 0.5 s (`npm run bench -- core`). Now the queue is run at most once per
 * `freshMs`, when a quote asks, whatever the rate of quotes.
 *
 * What a quote may miss is at most `freshMs` old: a change of the caches since the run (a
 * submission, an admission, a pool), and time (the run's `now`; quote.resolver.ts starts nothing
 * before the request's own time).
 */
export class QueueRuns {
  private last: { at: number; queue: QueueRun } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly o: {
      /** The scheduler's view of the caches now (GatewayState.snapshot). */
      snapshot: () => ClusterSnapshot;
      freshMs?: number;
      now?: () => number;
    },
  ) {
    this.now = o.now ?? Date.now;
  }

  /** A run of the queue at most `freshMs` old. */
  current(): QueueRun {
    const now = this.now();
    const last = this.last;
    if (last && now - last.at < (this.o.freshMs ?? QUEUE_RUN_FRESH_MS) && now >= last.at) return last.queue;
    const queue = runQueue(this.o.snapshot(), schedulerConfig({ now }));
    this.last = { at: now, queue };
    return queue;
  }
}
