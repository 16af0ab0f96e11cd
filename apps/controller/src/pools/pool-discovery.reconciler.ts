import type { AcceleratorPoolStatus } from '@kentaur/api';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  isApplied,
  AcceleratorPools,
  isConflict,
  ReconcileLoop,
  WorkQueue,
  writeStatusIfChanged,
} from '@kentaur/k8s-runtime';
import { discoverPools, type DiscoveredPool, VendorRegistry } from '@kentaur/vendors';
import { CONTROLLER_CONFIG, type ControllerConfig } from '../config';
import { ControllerMetrics } from '../metrics/controller-metrics';
import { KubeConnection } from '../kube/kube.module';
import type { SiteConnection } from '../sites/site-connections';
import { allocatedByNode, discoveredPoolObject, poolStatus } from './pool-state';

const FIELD_MANAGER = 'kentaur-pool-discovery';
const ALL = 'all';

/**
 * Keeps AcceleratorPool objects in step with the Nodes: every group of identical accelerator nodes
 * becomes (or updates) a pool, and every pool's status counts its nodes and devices. Node and pod
 * events all enqueue the one key `all` after a short quiet time: recomputing the whole picture is
 * cheap and cannot miss a node that moved between pools.
 *
 * Discovery owns only the fields it computes, written by server-side apply; fields an admin sets
 * (cordoned, evacuate, prices) are never touched. A pool an admin declared keeps its spec; if
 * discovery disagrees on a field the admin owns, the apply conflicts and the admin's value stays.
 */
@Injectable()
export class PoolDiscoveryReconciler implements OnApplicationShutdown {
  private readonly queue = new WorkQueue<string>();
  private readonly loop: ReconcileLoop<string>;
  private readonly log = new Logger('pools');
  private enabled = false;
  lastResult: { pools: number; unrecognised: number } = { pools: 0, unrecognised: 0 };
  /** Completed discovery passes (for metrics and tests). */
  passes = 0;

  /** The federation's clusters (ADR 13): the management cluster and the remote sites. */
  private get sites() {
    return this.kube.sites;
  }

  constructor(
    @Inject(CONTROLLER_CONFIG) private readonly config: ControllerConfig,
    private readonly kube: KubeConnection,
    @Inject(ControllerMetrics) metrics: ControllerMetrics,
    @Inject(VendorRegistry) private readonly registry: VendorRegistry,
  ) {
    this.loop = new ReconcileLoop({
      name: 'pools',
      queue: this.queue,
      observe: metrics.reconcileObserver('pools'),
      concurrency: 1,
      reconcile: () => this.reconcile(),
      onError: (_k, e) =>
        this.log.warn(`pool reconcile failed: ${e instanceof Error ? e.message : String(e)}`),
    });
    const poke = () => this.queue.addAfter(ALL, this.config.poolResyncDelayMs);
    this.kube.informers.pools.addHandlers({ onAdd: poke, onUpdate: poke, onDelete: poke });
    // Every site's nodes and pods, those of sites connected later too.
    kube.sites.onConnect(({ caches }) => {
      for (const informer of [caches.nodes, caches.pods] as const)
        informer.addHandlers({ onAdd: poke, onUpdate: poke, onDelete: poke });
    });
    kube.sites.onChange(poke);
  }

  /** Writes only while this replica leads; the caches stay warm either way. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled) {
      this.loop.start();
      this.queue.add(ALL);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * One pass per cluster: the management cluster's nodes form the pools of their region labels'
   * sites, a remote site's nodes the pools of that site. An unreachable site's pools keep their last
   * status (what is known of them), and nothing is admitted there meanwhile (scheduling loop).
   */
  private async reconcile(): Promise<void> {
    if (!this.enabled || !this.kube.informers.hasSynced()) return;
    const total = { pools: 0, unrecognised: 0 };
    for (const conn of this.sites.all()) {
      if (conn.site && !conn.reachable) continue;
      const found = await this.reconcileSite(conn);
      total.pools += found.pools;
      total.unrecognised += found.unrecognised;
    }
    this.lastResult = total;
    this.passes++;
  }

  private async reconcileSite(conn: SiteConnection): Promise<{ pools: number; unrecognised: number }> {
    const { nodes, pods } = conn.caches;
    // The management cluster's nodes that name a remote site in their region label are not that
    // site's: they would make a second pool of the same name.
    const claimed = (site: string) => (conn.site ? site === conn.site : !this.sites.isRemote(site));
    const own = nodes.list().filter((n) => {
      const site = this.sites.siteOfNode(conn, n);
      if (claimed(site)) return true;
      this.log.warn(`node ${n.metadata?.name}: region ${site} is a remote site; not counted`);
      return false;
    });
    const { pools, unrecognised } = discoverPools(own, {
      registry: this.registry,
      defaultSite: this.config.defaultSite,
      site: conn.site,
    });
    for (const u of unrecognised)
      this.log.warn(`node ${u.node}${conn.site ? ` (site ${conn.site})` : ''} not recognised: ${u.reason}`);
    const byName = new Map(pools.map((p) => [p.name, p]));
    for (const p of pools) await this.applySpec(p);
    const podList = pods.list();
    const cachedHere = this.kube.informers.pools
      .list()
      .filter((p) => claimed(p.spec.site))
      .map((p) => p.metadata.name!);
    for (const name of new Set([...byName.keys(), ...cachedHere]))
      await this.writeStatus(name, byName.get(name), podList);
    return { pools: pools.length, unrecognised: unrecognised.length };
  }

  private async applySpec(p: DiscoveredPool): Promise<void> {
    const desired = discoveredPoolObject(p);
    // Every pod and node change brings a pass here: an apply that would change nothing is not sent.
    if (isApplied(desired, this.kube.informers.pools.get(p.name))) return;
    try {
      await this.kube.client.patch(AcceleratorPools, p.name, desired, {
        patchType: 'apply',
        fieldManager: FIELD_MANAGER,
      });
    } catch (e) {
      if (!isConflict(e)) throw e;
      this.log.warn(
        `pool ${p.name}: an admin owns fields discovery would change; keeping the admin's values`,
      );
    }
  }

  /**
   * Status from the cache's copy: a stale copy fails with a conflict and the key is retried; a pool
   * created a moment ago is not cached yet, and its arrival in the cache triggers another pass.
   */
  private async writeStatus(
    name: string,
    discovered: DiscoveredPool | undefined,
    pods: Parameters<typeof allocatedByNode>[0],
  ): Promise<void> {
    const current = this.kube.informers.pools.get(name);
    if (!current) return;
    const resource = discovered?.resourceName ?? current.spec.resourceName ?? '';
    // Reservations belong to the scheduler (ADR 5): carried over; a stale copy fails with a conflict.
    const status: AcceleratorPoolStatus = { ...poolStatus(discovered, allocatedByNode(pods, resource)) };
    if (current.status?.reservations) status.reservations = current.status.reservations;
    await writeStatusIfChanged(this.kube.client, AcceleratorPools, current, status);
  }
}
