import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { AcceleratorPool, Workload, WorkloadStatus } from '@kentaur/api';
import { scheduleCycle, schedulerConfig, type ClusterSnapshot, type CycleResult } from '@kentaur/core';
import {
  AcceleratorPools,
  isConflict,
  isNotFound,
  jsonEqual,
  OwnWrites,
  Workloads,
} from '@kentaur/k8s-runtime';
import { CONTROLLER_CONFIG, type ControllerConfig } from '../config';
import { UsageAccountant } from '../accounting/usage-accountant';
import { ControllerMetrics } from '../metrics/controller-metrics';
import { KubeConnection } from '../kube/kube.module';
import {
  admittedStatus,
  evacuatedStatus,
  notPortableStatus,
  preemptedStatus,
  waitingStatus,
} from './admission-status';
import { evacuationDecisions } from './evacuation';
import { DEFAULT_QUEUE_WRITES, dueQueueWrites } from './queue-writes';
import { prunable, withAdmissions, type Reservations } from './reservations';
import { buildSnapshot, type BuiltSnapshot } from '@kentaur/vendors';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { failoverDecisions, failoverStatus } from '../sites/failover';

/**
 * The admission loop: on any relevant event (at most once per `schedulingIntervalMs`, and at least
 * every `schedulingResyncMs`), build a snapshot from the caches, run the pure scheduler, and commit
 * its decisions to Workload status. Each write carries the resourceVersion the decision was made
 * on, so a decision taken on stale data fails with a conflict and is simply retaken next cycle.
 * Victims are marked preempted before their preemptor is admitted; if any victim's write fails,
 * the preemptor waits for the next cycle.
 */
@Injectable()
export class SchedulingLoop implements OnApplicationShutdown {
  private readonly log = new Logger('scheduler');
  private enabled = false;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private lastRun = 0;
  cycles = 0;
  private decidedOn = new Map<string, Workload>();
  /** The pools a cycle decided on (by name): the cache with this loop's own writes over it. */
  private poolsDecidedOn = new Map<string, AcceleratorPool>();
  /**
   * This loop's own status writes, until the caches show them: a cycle run while the watch lags
   * must count the admissions of the cycle before (a tenant's limit spans pools, which no pool's
   * compare-and-swap protects).
   */
  private readonly ownWorkloads = new OwnWrites<Workload>();
  private readonly ownPools = new OwnWrites<AcceleratorPool>();
  /** When this replica last wrote each waiting workload's queue status (pacing, see queue-writes.ts). */
  private readonly queueWrittenAt = new Map<string, number>();
  lastResult: CycleResult | undefined;

  /** The federation's clusters (ADR 13): the management cluster and the remote sites. */
  private get sites() {
    return this.kube.sites;
  }

  constructor(
    @Inject(CONTROLLER_CONFIG) private readonly config: ControllerConfig,
    private readonly kube: KubeConnection,
    @Inject(ControllerMetrics) private readonly metrics: ControllerMetrics,
    @Inject(UsageAccountant) private readonly accountant: UsageAccountant,
  ) {
    const poke = () => this.trigger();
    const { workloads, tenants, pools, sites: siteCache } = kube.informers;
    for (const informer of [workloads, tenants, pools, siteCache] as const) {
      informer.addHandlers({ onAdd: poke, onUpdate: poke, onDelete: poke });
    }
    kube.sites.onConnect(({ caches }) =>
      caches.nodes.addHandlers({ onAdd: poke, onUpdate: poke, onDelete: poke }),
    );
    kube.sites.onChange(poke);
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    clearInterval(this.resync);
    if (enabled) {
      this.resync = setInterval(() => this.trigger(), this.config.schedulingResyncMs);
      this.resync.unref();
      this.trigger();
    }
  }

  /** Runs a cycle soon: coalesces bursts of events into one cycle per interval. */
  trigger(): void {
    if (!this.enabled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastRun + this.config.schedulingIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runCycle();
    }, wait);
  }

  async onApplicationShutdown(): Promise<void> {
    this.enabled = false;
    clearTimeout(this.timer);
    clearInterval(this.resync);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  private async runCycle(): Promise<void> {
    if (!this.enabled || !this.kube.informers.hasSynced()) return;
    this.running = true;
    this.lastRun = Date.now();
    try {
      const stopTimer = this.metrics.cycleDuration.startTimer();
      await this.cycle();
      stopTimer();
    } catch (e) {
      this.log.warn(`scheduling cycle failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.running = false;
      this.cycles++;
      if (this.again) {
        this.again = false;
        this.trigger();
      }
    }
  }

  private async cycle(): Promise<void> {
    const { informers } = this.kube;
    // The copies the decisions are made on: every write carries their resourceVersion, so a decision
    // about an object that changed meanwhile (admitted by another cycle or scheduler) is refused.
    const workloadList = this.ownWorkloads.overlay(informers.workloads.list());
    this.decidedOn = new Map(workloadList.map((w) => [`${w.metadata.namespace}/${w.metadata.name}`, w]));
    const poolList = this.ownPools.overlay(informers.pools.list());
    this.poolsDecidedOn = new Map(poolList.map((p) => [p.metadata.name!, p]));
    const clusters = this.clusters();
    const built = this.cordonUnreachable(
      buildSnapshot({
        ...clusters,
        pools: poolList,
        sites: informers.sites.list(),
        tenants: informers.tenants.list(),
        workloads: workloadList,
        defaults: this.config.snapshotDefaults,
        imageRegistries: this.config.imageRegistries,
      }),
    );
    const now = new Date().toISOString();
    // Work of sites that stopped answering: marked at once, requeued elsewhere after the grace.
    if (await this.failOver(workloadList, now)) return this.trigger();
    // Evacuation first: moved work is requeued and placed elsewhere by a later cycle.
    const evacuations = evacuationDecisions({
      workloads: workloadList,
      pools: poolList,
      snapshotPools: built.snapshot.pools,
    });
    for (const e of evacuations) {
      if (e.move) await this.accountBeforeRelease(e.key);
      await this.write(e.key, (w) =>
        e.move ? evacuatedStatus(w, e.reason, now) : notPortableStatus(w, e.reason, now),
      );
    }
    if (evacuations.some((e) => e.move)) return this.trigger();
    const result = scheduleCycle(built.snapshot, schedulerConfig({ now: Date.now() }));
    this.lastResult = result;
    // Reserve in the pools first (compare-and-swap on each pool): only then is a decision ours.
    const reserved = await this.reserve(result, now);
    const failedVictims = new Set<string>();
    for (const p of result.preemptions) {
      if (reserved.has(p.pool)) await this.accountBeforeRelease(p.victim);
      if (!reserved.has(p.pool) || !(await this.write(p.victim, (w) => preemptedStatus(w, p, now))))
        failedVictims.add(p.preemptor);
    }
    // Writes of different workloads are independent: several in flight, as the API server allows.
    const admitted = result.admitted.filter(
      (a) => reserved.has(a.pool) && !(a.preempted.length && failedVictims.has(a.key)),
    );
    await inParallel(admitted, WRITES_IN_FLIGHT, (a) => this.write(a.key, (w) => admittedStatus(w, a, now)));
    const nowMs = Date.now();
    for (const key of this.queueWrittenAt.keys())
      if (!this.decidedOn.has(key)) this.queueWrittenAt.delete(key);
    const due = dueQueueWrites({
      waiting: result.waiting,
      current: (key) => this.decidedOn.get(key),
      lastWrittenMs: (key) => this.queueWrittenAt.get(key),
      nowMs,
      policy: this.config.queueWrites ?? DEFAULT_QUEUE_WRITES,
    });
    // On a busy API server (a write taking most of a second) the budget ends the writes early: the
    // next cycle, and its admissions, do not wait for queue positions (ADR 10).
    const policy = this.config.queueWrites ?? DEFAULT_QUEUE_WRITES;
    const written = await inParallel(
      due,
      WRITES_IN_FLIGHT,
      async (wait) => {
        if (await this.write(wait.key, (w) => waitingStatus(w, wait, now)))
          this.queueWrittenAt.set(wait.key, nowMs);
      },
      nowMs + policy.budgetMs,
    );
    // Statuses still due are written by the next cycles: run one soon even if nothing else happens.
    if (due.length === policy.maxPerCycle || written < due.length) this.again = true;
    this.record(result, built.snapshot);
    await this.writeOutsideQueue(built, now);
    await this.prune();
  }

  /**
   * Nodes and pods of every cluster, each node with its site. An unreachable site's last known
   * nodes and pods stay in: its running work still holds them.
   */
  private clusters(): { nodes: Node[]; pods: Pod[]; siteOfNode?: (n: Node) => string | undefined } {
    const siteOf = new Map<Node, string>();
    const seen = new Map<string, string | undefined>();
    const nodes: Node[] = [];
    const pods: Pod[] = [];
    for (const conn of this.sites.all()) {
      const skipped = new Set<string>();
      for (const n of conn.caches.nodes.list()) {
        const name = n.metadata?.name ?? '';
        // Nodes (and the pods on them) are known by name: one name in two clusters would mix them.
        if (seen.has(name) && seen.get(name) !== conn.site) {
          this.warnOnce(
            `node ${name} exists in two clusters (${seen.get(name) ?? 'management'}, ${conn.site ?? 'management'}); left out until one is renamed`,
          );
          skipped.add(name);
          continue;
        }
        seen.set(name, conn.site);
        siteOf.set(n, this.sites.siteOfNode(conn, n));
        nodes.push(n);
      }
      for (const p of conn.caches.pods.list()) if (!skipped.has(p.spec?.nodeName ?? '')) pods.push(p);
    }
    // One cluster: pools match nodes by their selectors alone, as before federation.
    const federated = this.sites.remotes().length > 0;
    return { nodes, pods, siteOfNode: federated ? (n) => siteOf.get(n) : undefined };
  }

  private readonly warned = new Set<string>();
  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log.warn(message);
  }

  /** Nothing new is admitted at a site that does not answer: its pools count as cordoned. */
  private cordonUnreachable(built: BuiltSnapshot): BuiltSnapshot {
    const { pools } = built.snapshot;
    if (pools.every((p) => this.sites.isReachable(p.site))) return built;
    const cordoned = pools.map((p) => (this.sites.isReachable(p.site) ? p : { ...p, cordoned: true }));
    return { ...built, snapshot: { ...built.snapshot, pools: cordoned } };
  }

  /** Writes the failover decisions; true when work was requeued (a new cycle places it). */
  private async failOver(workloads: readonly Workload[], now: string): Promise<boolean> {
    const decisions = this.failovers(workloads);
    for (const f of decisions) {
      if (f.action === 'requeue') await this.accountBeforeRelease(f.key);
      await this.write(f.key, (w) => failoverStatus(w, f, now));
    }
    return decisions.some((f) => f.action === 'requeue');
  }

  private failovers(workloads: readonly Workload[]) {
    const tenants = this.kube.informers.tenantsByNamespace();
    const known = this.kube.informers.knownSites();
    return failoverDecisions({
      workloads,
      tenantOf: (ns) => tenants.get(ns),
      unreachableSince: (site) =>
        this.sites.isReachable(site) ? undefined : (this.sites.unreachableSince(site) ?? Date.now()),
      reachableSites: [...known].filter((s) => this.sites.isReachable(s)),
      nowMs: Date.now(),
      graceMs: this.config.siteFailoverGraceMs,
    });
  }

  /**
   * Workloads the scheduler never saw wait outside the queue (position 0) with their reason: no
   * Tenant lists their namespace, or the image allow-list refuses an image (ADR 12). Until fixed.
   */
  private async writeOutsideQueue(built: BuiltSnapshot, now: string): Promise<void> {
    const outside = [
      ...built.orphans.map((o) => ({ ...o, code: 'unknown-tenant' as const })),
      ...built.refused.map((r) => ({ ...r, code: 'image-registry' as const })),
    ];
    for (const o of outside)
      await this.write(o.key, (w) => waitingStatus(w, { position: 0, reason: o.reason, code: o.code }, now));
  }

  /** Decisions for the metrics: outcomes by reason, queue waits of the admitted, preemptions. */
  private record(result: CycleResult, snapshot: ClusterSnapshot): void {
    const m = this.metrics;
    const tierOf = new Map(snapshot.tenants.map((t) => [t.name as string, t.tier]));
    const createdAt = new Map(snapshot.pending.map((p) => [p.key as string, p.createdAt]));
    for (const a of result.admitted) {
      m.admissionAttempts.inc({ result: 'admitted', reason: 'admitted' });
      const since = createdAt.get(a.key);
      if (since)
        m.queueWait.observe(
          { priority_class: a.priorityClass, tier: tierOf.get(a.tenant) ?? 'unknown' },
          Math.max(0, (a.admittedAt - since) / 1000),
        );
    }
    for (const w of result.waiting) m.admissionAttempts.inc({ result: 'waiting', reason: w.code });
    for (const p of result.preemptions) m.preemptions.inc({ kind: p.kind });
  }

  /**
   * Writes this cycle's admissions (and removes its victims) into each pool's reservations with the
   * pool's cached resourceVersion. A pool whose copy was stale answers 409: none of this cycle's
   * decisions for it are committed, and the next cycle decides again on fresh data (ADR 5).
   */
  private async reserve(result: CycleResult, now: string): Promise<Set<string>> {
    const names = new Set<string>([
      ...result.admitted.map((a) => a.pool),
      ...result.preemptions.map((p) => p.pool),
    ]);
    const ok = new Set<string>();
    // Each pool is its own compare-and-swap: the writes are independent.
    await inParallel([...names], WRITES_IN_FLIGHT, async (name) => {
      const cached = this.poolsDecidedOn.get(name);
      if (!cached) return;
      const reservations = withAdmissions({
        current: cached.status?.reservations,
        admissions: result.admitted.filter((a) => a.pool === name),
        victims: result.preemptions.filter((p) => p.pool === name).map((p) => p.victim),
        attempts: (key) => this.decidedOn.get(key)?.status?.attempts ?? 0,
        now,
      });
      if (await this.writePool(cached, reservations)) ok.add(name);
    });
    return ok;
  }

  /** Removes reservations whose admission is over (finished, requeued, preempted, deleted). */
  private async prune(): Promise<void> {
    await inParallel([...this.poolsDecidedOn.values()], WRITES_IN_FLIGHT, async (pool) => {
      const keys = prunable({
        pool: pool.metadata.name!,
        current: pool.status?.reservations,
        workloads: (k) => this.decidedOn.get(k),
        nowMs: Date.now(),
        graceMs: 60_000,
      });
      if (keys.length === 0) return;
      const next = { ...pool.status!.reservations };
      for (const k of keys) delete next[k];
      await this.writePool(pool, next);
    });
  }

  private async writePool(cached: AcceleratorPool, reservations: Reservations): Promise<boolean> {
    if (!this.enabled) return false;
    try {
      const written = await this.kube.client.replace(
        AcceleratorPools,
        { ...cached, status: { ...cached.status, reservations } },
        { subresource: 'status' },
      );
      this.ownPools.remember(written);
      this.poolsDecidedOn.set(written.metadata.name!, written);
      return true;
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return false;
      throw e;
    }
  }

  /** Writes a status computed from the cached object; false when the object moved on (conflict) or is gone. */
  /**
   * A victim's usage up to now, while its status still names the admission (the write that follows
   * clears it). Should that write fail, the workload keeps running and later ticks go on from here.
   */
  private async accountBeforeRelease(key: string): Promise<void> {
    const w = this.decidedOn.get(key);
    if (w && this.enabled) await this.accountant.account(w);
  }

  private async write(key: string, next: (w: Workload) => WorkloadStatus): Promise<boolean> {
    if (!this.enabled) return false; // leadership lost during the cycle: commit nothing more
    const cached = this.decidedOn.get(key);
    if (!cached) return false;
    const status = { ...next(cached), observedGeneration: cached.metadata.generation };
    if (jsonEqual(cached.status, status)) return true;
    try {
      const written = await this.kube.client.replace(
        Workloads,
        { ...cached, status },
        { subresource: 'status' },
      );
      this.ownWorkloads.remember(written);
      this.decidedOn.set(key, written);
      return true;
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return false;
      throw e;
    }
  }
}

/** Status writes a cycle keeps in flight at once. */
const WRITES_IN_FLIGHT = 16;

/**
 * Runs `task` over `items` with at most `limit` running at once; rejects with the first failure.
 * With `deadlineMs` (epoch ms), no item is started after it. Returns how many were started.
 */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
  deadlineMs = Infinity,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && Date.now() < deadlineMs) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return next;
}
