/**
 * Up to when the usage meter may trust its pod cache, beyond what the informer itself knows
 * (`Informer.currentUntil` only sees its own watch fail). Two ways a cache whose watch looks
 * healthy is still behind, both found by the chaos suite (docs/reliability.md):
 *
 * - **A stalled control plane.** With etcd down, kube-apiserver keeps the watch open and sends
 *   nothing; a pod's finish (written by its kubelet during the outage, committed when etcd
 *   returns) arrives seconds later with its true, earlier time. Billing "still running" meanwhile
 *   cannot be taken back (the ledger never rewrites, ADR 8).
 * - **Events in flight.** Pod times are whole seconds: a pod that started at 48.9 s is `48`, and
 *   its event may arrive after a tick at 49.0 s has billed [48, 49) without it.
 *
 * So each tick first makes one quorum read (`probe`, a list of at most one pod: served only with
 * etcd reachable). The cache is trusted up to `settleMs` before the probe's start; while probes
 * fail, and for `settleMs` after they succeed again, only up to the start of the last probe that
 * succeeded before the failure — the reports written during the stall arrive meanwhile.
 */
export class CacheFreshness {
  private lastOkMs: number | undefined;
  /** The last success before the current failure run (or before a recovery not yet settled). */
  private frozenAtMs: number | undefined;
  private recoveredAtMs: number | undefined;

  constructor(
    private readonly o: {
      probe: () => Promise<unknown>;
      settleMs: number;
      now?: () => number;
    },
  ) {}

  /** Probes once and returns up to when the cache may be trusted (epoch ms). */
  async confirmedUntil(): Promise<number> {
    const now = this.o.now ?? Date.now;
    const startedMs = now();
    const ok = await this.o.probe().then(
      () => true,
      () => false,
    );
    if (!ok) {
      this.frozenAtMs ??= this.lastOkMs ?? -Infinity;
      this.recoveredAtMs = undefined;
      return this.frozenAtMs;
    }
    this.lastOkMs = startedMs;
    if (this.frozenAtMs !== undefined) {
      this.recoveredAtMs ??= startedMs;
      if (startedMs - this.recoveredAtMs < this.o.settleMs) return this.frozenAtMs;
      this.frozenAtMs = undefined;
      this.recoveredAtMs = undefined;
    }
    return startedMs - this.o.settleMs;
  }
}
