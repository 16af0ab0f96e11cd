import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Workload } from '@kentaur/api';
import type { AccountResult, Ledger } from '@kentaur/ledger';
import { WORKLOAD_LABEL } from '@kentaur/api';
import { Pods, Tenants, withTimeout } from '@kentaur/k8s-runtime';
import { CONTROLLER_CONFIG, type ControllerConfig } from '../config';
import { KubeConnection } from '../kube/kube.module';
import { ControllerMetrics } from '../metrics/controller-metrics';
import { accountingFor, endOf, isFinished, type AccountingContext } from './accounting';
import { CacheFreshness } from './cache-freshness';
import { floorToSecond } from './pod-runs';
import { PodMeter } from './pod-meter';
import { PowerReader } from './power-reader';

export const LEDGER = Symbol('LEDGER');

/** A quorum read that takes longer than this counts as failed (etcd unreachable). */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Records usage in the ledger while this replica leads: every tick, each admission is accounted up
 * to now (running) or up to its end (finished); a victim is accounted by the scheduling loop just
 * before its admission is cleared. The ledger's cursor makes every call exactly-once (ADR 8), so
 * ticks, retries, restarts and a second replica never double-count. Each tick also writes the
 * tenants' month spend into their status, which admission budgets read.
 */
@Injectable()
export class UsageAccountant implements OnApplicationShutdown {
  private readonly log = new Logger('accounting');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Admissions accounted to their end: not asked again (`uid/attempt`). */
  private readonly closed = new Set<string>();
  private readonly meter: PodMeter;
  private readonly freshness: CacheFreshness;
  /** The last tick's CacheFreshness answer: victims accounted between ticks go no further. */
  private confirmedUntilMs = -Infinity;
  private readonly power: PowerReader | undefined;
  private lastPower: Map<string, number> | undefined;

  /** The federation's clusters (ADR 13): the management cluster and the remote sites. */
  private get sites() {
    return this.kube.sites;
  }

  constructor(
    @Inject(CONTROLLER_CONFIG) private readonly config: ControllerConfig,
    private readonly kube: KubeConnection,
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(ControllerMetrics) private readonly metrics: ControllerMetrics,
  ) {
    // Kentaur's pods in every cluster of the federation (the management cluster's alone without one).
    this.meter = new PodMeter({
      list: () => kube.sites.all().flatMap((c) => c.caches.workloadPods.list()),
      addHandlers: (h) => kube.sites.onConnect((c) => c.caches.workloadPods.addHandlers(h)),
    });
    this.freshness = new CacheFreshness({
      // A quorum read of one of Kentaur's pods: answered only while etcd is reachable.
      probe: () =>
        withTimeout(kube.client.list(Pods, { labelSelector: WORKLOAD_LABEL, limit: 1 }), PROBE_TIMEOUT_MS),
      settleMs: config.accountingSettleMs,
    });
    this.power = config.power ? new PowerReader(config.power) : undefined;
  }

  setEnabled(enabled: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!enabled) return;
    this.timer = setInterval(() => this.tickOnce(), this.config.accountingIntervalMs);
    this.timer.unref();
    this.tickOnce();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a tick unless one is still running (ticks never overlap). */
  private tickOnce(): void {
    if (this.running) return;
    this.running = this.tick()
      .catch((e: unknown) =>
        this.log.warn(`accounting tick failed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => (this.running = undefined));
  }

  private context(nowMs: number, wattsPerDevice: Map<string, number> | undefined): AccountingContext {
    const { informers } = this.kube;
    const tenantOf = informers.tenantsByNamespace();
    const pools = informers.pools.list();
    const view = this.meter.view();
    return {
      pools: new Map(pools.map((p) => [p.metadata.name!, p])),
      sites: new Map(informers.sites.list().map((s) => [s.metadata.name!, s])),
      tenantOf,
      defaults: this.config.snapshotDefaults,
      nowMs,
      runsOf: view.runsOf,
      podsCurrentUntilMs: Math.min(
        this.kube.informers.workloadPods.currentUntil(nowMs),
        this.confirmedUntilMs,
      ),
      siteCurrentUntilMs: (site) => this.siteCurrentUntil(site, nowMs),
      ...(wattsPerDevice ? { power: { wattsPerDevice, devicesByNodeOf: view.devicesByNodeOf } } : {}),
    };
  }

  /**
   * How far a remote site's pods are known: its caches' own staleness, and no further than the start
   * of an outage the probes saw (a hung watch may not have failed yet). A site not connected: not at all.
   */
  private siteCurrentUntil(site: string, nowMs: number): number {
    const conn = this.sites.connection(site);
    if (!conn) return -Infinity;
    if (!conn.site) return nowMs;
    return Math.min(conn.caches.workloadPods.currentUntil(nowMs), this.sites.unreachableSince(site) ?? nowMs);
  }

  /** Watts per device by node from the exporters, when configured; a failed read falls back to catalog power. */
  private async measuredPower(vendors: string[]): Promise<Map<string, number> | undefined> {
    if (!this.power) return undefined;
    try {
      return await this.power.wattsPerDevice(vendors);
    } catch (e) {
      this.metrics.powerReadErrors.inc();
      this.log.warn(`measured power unavailable, catalog power this tick: ${(e as Error).message}`);
      return undefined;
    }
  }

  async tick(nowMs = Date.now()): Promise<void> {
    this.confirmedUntilMs = await this.freshness.confirmedUntil();
    const vendors = this.kube.informers.pools.list().map((p) => p.spec.vendor);
    this.lastPower = await this.measuredPower(vendors);
    const ctx = this.context(nowMs, this.lastPower);
    const workloads = this.kube.informers.workloads.list();
    for (const w of workloads) await this.accountWith(w, ctx);
    this.meter.prune(workloads);
    await this.writeSpend(nowMs);
  }

  /** Accounts one workload's admission up to now (or its end); the scheduling loop calls it for victims. */
  async account(w: Workload, nowMs = Date.now()): Promise<void> {
    // The last tick's power reading: preemption does not wait on Prometheus.
    await this.accountWith(w, this.context(nowMs, this.lastPower));
  }

  private async accountWith(w: Workload, ctx: AccountingContext): Promise<void> {
    const a = accountingFor(w, ctx);
    if (!a) return;
    const id = `${a.uid}/${a.attempt}`;
    if (this.closed.has(id)) return;
    const result = await this.ledger.account(a);
    this.record(result);
    // Accounted to its end (not only as far as a lagging pod cache allowed): never asked again.
    if (isFinished(w) && result.accountedUntilMs >= floorToSecond(endOf(w, ctx.nowMs))) {
      this.closed.add(id);
      this.meter.forget(w);
    }
  }

  private record(result: AccountResult): void {
    for (const i of result.written) {
      const labels = { site: i.site, vendor: i.vendor };
      this.metrics.energyKWh.inc({ ...labels, source: i.energySource }, i.energyKWh);
      this.metrics.co2eKg.inc(labels, i.co2eKg);
      this.metrics.costEUR.inc(labels, i.costEUR);
      this.metrics.deviceHours.inc({ ...labels, tier: i.tier }, i.deviceHours);
    }
  }

  /** Each tenant's spend this month, from the ledger, into Tenant status.monthSpentEUR when it changed. */
  private async writeSpend(nowMs: number): Promise<void> {
    for (const t of this.kube.informers.tenants.list()) {
      const spent = Math.round((await this.ledger.monthSpentEUR(t.metadata.name!, nowMs)) * 1e4) / 1e4;
      if (spent === (t.status?.monthSpentEUR ?? 0)) continue;
      await this.kube.client.patch(
        Tenants,
        t.metadata.name!,
        { status: { monthSpentEUR: spent } },
        { patchType: 'merge', subresource: 'status', fieldManager: 'kentaur-accounting' },
      );
    }
  }
}
