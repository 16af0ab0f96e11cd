import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  queueRunSteps,
  schedulerConfig,
  tenantName,
  type ClusterSnapshot,
  type QueueRun,
  type Steps,
} from '@kentaur/core';

/** How long one run of the queue answers quotes at least: a quote shows the cluster as it was that long ago at most. */
export const QUEUE_RUN_FRESH_MS = 1_000;

/**
 * A run answers quotes for at least this many times its own duration, so that quotes keep the
 * gateway running the queue at most about a tenth of the time, however long a run takes.
 */
export const QUEUE_RUN_REUSE_FACTOR = 10;

/** The longest a run holds the event loop before other requests are answered (ADR 18). */
export const QUEUE_RUN_SLICE_MS = 10;

/**
 * The current queue as the controller would run it, shared by the quotes of a second or more. A
 * quote is the candidate placed on the state that the queue's run leaves (`quoteOn`), and that run
 * — a snapshot of the caches and a whole scheduling cycle — was most of each quote's CPU time: 3.9
 * ms a quote with 200 workloads queued (`npm run bench -- gateway`). Now the queue is run when a
 * quote asks and the last run is older than `freshMs` and than `reuseFactor` times its own
 * duration, whatever the rate of quotes (ADR 17). The second bound is for a long queue, where one
 * run takes seconds (50,000 queued workloads, `npm run bench -- memory`): run again as soon as a
 * second had passed, the gateway ran the queue back to back and every quote waited for a whole run.
 *
 * A run goes in slices of about `sliceMs` (ADR 18), with a turn of the event loop between them, so
 * that requests arriving during a long run are answered meanwhile; quotes go on being placed on the
 * last run until the new one is done. Only a quote with no run to stand on waits: the first one, or
 * one of a tenant the last run does not know.
 *
 * What a quote may miss is what changed since its run (a submission, an admission, a pool) and the
 * time passed (the run's `now`; quote.resolver.ts starts nothing before the request's own time):
 * a second with a short queue, ten times a run's duration with a long one, plus the time the next
 * run takes.
 */
export class QueueRuns {
  private last: { at: number; reuseMs: number; queue: QueueRun } | undefined;
  private running: Promise<QueueRun> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly o: {
      /** The scheduler's view of the caches now, in steps (GatewayState.snapshotSteps). */
      snapshot: () => Steps<ClusterSnapshot>;
      freshMs?: number;
      reuseFactor?: number;
      sliceMs?: number;
      now?: () => number;
      /** Between two slices of a run: a turn of the event loop (setImmediate). */
      pause?: () => Promise<unknown>;
      /** Told each run's time in seconds, the slices' sum (the gateway's metrics). */
      onRun?: (seconds: number) => void;
      /** Told why a run that no quote waited for failed (the quotes go on with the last run). */
      onError?: (error: unknown) => void;
    },
  ) {
    this.now = o.now ?? Date.now;
  }

  /**
   * A run to place a quote of `tenant` on: the last run while it is fresh enough (see the class);
   * the last run, too, once it is older, while a new one is started and runs in slices; a new run,
   * waited for, when there is none yet or the last does not know `tenant` (created since: every
   * cached Tenant is in a run started after it was cached).
   */
  async current(tenant?: string): Promise<QueueRun> {
    const knows = (q: QueueRun) => tenant === undefined || q.run.state.tenants.has(tenantName(tenant));
    const now = this.now();
    const last = this.last;
    if (last !== undefined && knows(last.queue)) {
      const stale = now < last.at || now - last.at >= last.reuseMs;
      // Started here, a run is reported once if it fails: no quote waits for it.
      if (stale && this.running === undefined) this.next().catch((e: unknown) => this.o.onError?.(e));
      return last.queue;
    }
    const queue = await this.next();
    // A run started before this request may not know a tenant cached since: one more, started after.
    return knows(queue) || queue.run.state.config.now >= now ? queue : this.next();
  }

  /** The run in progress, or a new one. */
  private next(): Promise<QueueRun> {
    this.running ??= this.run(this.now()).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The snapshot and the queue's run at `at`, a slice at a time. */
  private async run(at: number): Promise<QueueRun> {
    const snapshot = this.o.snapshot;
    const steps = (function* () {
      const taken = yield* snapshot();
      yield;
      return yield* queueRunSteps(taken, schedulerConfig({ now: at }));
    })();
    const sliceMs = this.o.sliceMs ?? QUEUE_RUN_SLICE_MS;
    const pause = this.o.pause ?? (() => nextTurn());
    let workMs = 0;
    for (;;) {
      const start = this.now();
      let step = steps.next();
      while (!step.done && this.now() - start < sliceMs) step = steps.next();
      workMs += Math.max(0, this.now() - start);
      if (step.done) {
        this.o.onRun?.(workMs / 1000);
        const reuseMs = Math.max(
          this.o.freshMs ?? QUEUE_RUN_FRESH_MS,
          (this.o.reuseFactor ?? QUEUE_RUN_REUSE_FACTOR) * workMs,
        );
        this.last = { at, reuseMs, queue: step.value };
        return step.value;
      }
      await pause();
    }
  }
}
