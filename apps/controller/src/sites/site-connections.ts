import type { Node, Secret } from 'kubernetes-types/core/v1';
import { Logger } from '@nestjs/common';
import type { Site } from '@kentaur/api';
import {
  isNotFound,
  KubeClient,
  parseKubeconfig,
  Secrets,
  Sites,
  withTimeout,
  writeStatusIfChanged,
} from '@kentaur/k8s-runtime';
import type { ControllerConfig } from '../config';
import { ClusterCaches, type InformerHub } from '../kube/informer-hub';
import type { ControllerMetrics } from '../metrics/controller-metrics';
import { siteStatus, type SiteHealth } from './site-status';

const REGION_LABEL = 'topology.kubernetes.io/region';

/** A cluster Kentaur runs work in: the management cluster, or the cluster of a remote Site. */
export interface SiteConnection {
  /** The remote Site's name; undefined for the management cluster (its nodes carry their site). */
  readonly site: string | undefined;
  readonly client: KubeClient;
  readonly caches: ClusterCaches;
  /** The last probe answered and the caches follow the server: it can be read and written. */
  readonly reachable: boolean;
}

/** One remote site's connection, probed every `siteProbeIntervalMs`. */
class RemoteSite implements SiteConnection {
  reachable = false;
  /** Start of the current outage (or of the connection, until it first answers). */
  unreachableSinceMs: number | undefined;
  lastError = 'not probed yet';
  private probing = false;

  readonly site: string;
  /** The Secret's resourceVersion the client was built from: a rotated Secret rebuilds it. */
  readonly secretVersion: string;
  readonly client: KubeClient;
  readonly caches: ClusterCaches;

  constructor(o: {
    site: string;
    secretVersion: string;
    client: KubeClient;
    caches: ClusterCaches;
    nowMs: number;
  }) {
    this.site = o.site;
    this.secretVersion = o.secretVersion;
    this.client = o.client;
    this.caches = o.caches;
    this.unreachableSinceMs = o.nowMs;
  }

  /** Probes the API server; returns true when reachability changed. */
  async probe(timeoutMs: number, nowMs: () => number): Promise<boolean> {
    if (this.probing) return false;
    this.probing = true;
    const before = this.reachable;
    try {
      await withTimeout(this.client.request({ method: 'GET', path: '/version' }), timeoutMs);
      // Answering is not enough: decisions are made on the caches, which must follow the server.
      const now = nowMs();
      const current = this.caches.hasSynced() && this.caches.currentUntil(now) >= now;
      this.reachable = current;
      this.lastError = current ? '' : 'the API server answers; its caches are catching up';
      if (current) this.unreachableSinceMs = undefined;
      else this.unreachableSinceMs ??= now;
    } catch (e) {
      this.reachable = false;
      this.unreachableSinceMs ??= nowMs();
      this.lastError = e instanceof Error ? e.message : String(e);
    } finally {
      this.probing = false;
    }
    return before !== this.reachable;
  }

  async close(): Promise<void> {
    await this.caches.stop();
    this.client.close();
  }
}

/** Told the names of the sites whose connection or reachability changed. */
type Listener = (sites: ReadonlySet<string>) => void;

/**
 * The clusters of the federation (ADR 13). The management cluster is always one; every Site with a
 * kubeconfigSecretRef adds its own client and caches, built from the kubeconfig in that Secret and
 * rebuilt when the Secret changes. Each remote site is probed; a site that does not answer (or
 * whose caches lag) is unreachable: nothing new is admitted there, and after the failover grace its
 * portable Batch work is requeued elsewhere (scheduling loop). Caches of every site stay warm on
 * followers too; only the leader writes Site status.
 */
export class SiteConnections {
  readonly local: SiteConnection;
  private readonly remote = new Map<string, RemoteSite>();
  /** Sites whose kubeconfig could not be read or used, with the reason (no Secret content). */
  private readonly unconnected = new Map<string, { reason: string; sinceMs: number }>();
  /** Sites no cluster has (federation), since when they have been asked about. */
  private readonly lostSince = new Map<string, number>();
  /** localSites(), until a Site or a management node changes. */
  private localSiteCache: Set<string> | undefined;
  private readonly changeListeners: Listener[] = [];
  private readonly connectListeners: ((c: SiteConnection) => void)[] = [];
  private readonly log = new Logger('sites');
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private resyncWanted = false;
  private ticks = 0;
  private leading = false;
  private started = false;

  private readonly config: ControllerConfig;
  private readonly metrics: ControllerMetrics;
  /** The management cluster's client and caches (Sites and their Secrets are read there). */
  private readonly kube: { client: KubeClient; informers: InformerHub };

  constructor(o: {
    config: ControllerConfig;
    metrics: ControllerMetrics;
    client: KubeClient;
    informers: InformerHub;
  }) {
    this.config = o.config;
    this.metrics = o.metrics;
    this.kube = { client: o.client, informers: o.informers };
    this.local = { site: undefined, client: o.client, caches: o.informers, reachable: true };
    const poke = () => {
      this.localSiteCache = undefined;
      this.requestSync();
    };
    o.informers.sites.addHandlers({ onAdd: poke, onUpdate: poke, onDelete: poke });
    const forget = () => (this.localSiteCache = undefined);
    o.informers.nodes.addHandlers({
      onAdd: forget,
      onDelete: forget,
      onUpdate: (a, b) => {
        if (a.metadata?.labels?.[REGION_LABEL] !== b.metadata?.labels?.[REGION_LABEL]) forget();
      },
    });
  }

  /** Connects to the remote sites and probes them from now on (after the management caches sync). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.requestSync();
    this.timer = setInterval(() => void this.tick(), this.config.siteProbeIntervalMs);
    this.timer.unref();
  }

  /** Site status is written only while this replica leads. */
  setEnabled(leading: boolean): void {
    this.leading = leading;
    if (leading) void this.writeStatuses();
  }

  /** Called whenever a site becomes reachable or unreachable, or a connection comes or goes. */
  onChange(listener: Listener): void {
    this.changeListeners.push(listener);
  }

  /**
   * Called for the management cluster at once and for every remote connection when it is made,
   * before its caches start: the place to add handlers to a site's informers.
   */
  onConnect(listener: (c: SiteConnection) => void): void {
    this.connectListeners.push(listener);
    listener(this.local);
    for (const c of this.remote.values()) listener(c);
  }

  /** The management cluster and every remote site connected now (reachable or not). */
  all(): SiteConnection[] {
    return [this.local, ...this.remote.values()];
  }

  /** Remote sites connected now. */
  remotes(): SiteConnection[] {
    return [...this.remote.values()];
  }

  /** Whether the site is a remote one (its Site has a kubeconfigSecretRef). */
  isRemote(site: string): boolean {
    return this.remoteSiteNames().has(site);
  }

  /**
   * The cluster a site's work runs in: its remote connection, or the management cluster for one of
   * its own sites (a Site without kubeconfigSecretRef, a region of its nodes, the default site).
   * Undefined for a remote site that is not connected, and, in a federation, for a site no cluster
   * has (a remote Site deleted under its work): that work must not be recreated here. Without any
   * remote Site (one cluster) every site is the management cluster's, as before federation.
   */
  connection(site: string): SiteConnection | undefined {
    const remote = this.remote.get(site);
    if (remote) return remote;
    const remotes = this.remoteSiteNames();
    if (remotes.has(site)) return undefined;
    if (remotes.size === 0 && this.remote.size === 0) return this.local;
    return this.localSites().has(site) ? this.local : undefined;
  }

  /** The management cluster's sites: Sites without kubeconfigSecretRef, its nodes' regions, the default. */
  private localSites(): Set<string> {
    if (this.localSiteCache) return this.localSiteCache;
    const out = new Set<string>([this.config.defaultSite]);
    for (const s of this.kube.informers.sites.list())
      if (!s.spec.kubeconfigSecretRef) out.add(s.metadata.name!);
    for (const n of this.kube.informers.nodes.list()) out.add(this.siteOfNode(this.local, n));
    this.localSiteCache = out;
    return out;
  }

  /** Whether work can be placed at the site now. */
  isReachable(site: string): boolean {
    return this.connection(site)?.reachable ?? false;
  }

  /** Start of the site's current outage; undefined while it is reachable. */
  unreachableSince(site: string, nowMs = Date.now()): number | undefined {
    const remote = this.remote.get(site);
    if (remote) return remote.reachable ? undefined : remote.unreachableSinceMs;
    const unconnected = this.unconnected.get(site);
    if (unconnected) return unconnected.sinceMs;
    if (this.connection(site)) {
      this.lostSince.delete(site);
      return undefined;
    }
    // A site no cluster has: lost from the first time it was asked about.
    if (!this.lostSince.has(site)) this.lostSince.set(site, nowMs);
    return this.lostSince.get(site);
  }

  /** The site a node belongs to: its remote site, or (management cluster) its region label. */
  siteOfNode(conn: SiteConnection, node: Node): string {
    return conn.site ?? (node.metadata?.labels?.[REGION_LABEL] || this.config.defaultSite);
  }

  /** Each site's health, for status and the snapshot. */
  health(): Map<string, SiteHealth> {
    const out = new Map<string, SiteHealth>();
    for (const s of this.kube.informers.sites.list()) {
      const name = s.metadata.name!;
      const remote = this.remote.get(name);
      if (!s.spec.kubeconfigSecretRef) out.set(name, { state: 'management' });
      else if (remote)
        out.set(name, {
          state: remote.reachable ? 'reachable' : 'unreachable',
          server: remote.client.server,
          sinceMs: remote.unreachableSinceMs,
          error: remote.lastError,
        });
      else {
        const failed = this.unconnected.get(name);
        out.set(
          name,
          failed
            ? { state: 'unconnected', sinceMs: failed.sinceMs, error: failed.reason }
            : { state: 'connecting' },
        );
      }
    }
    return out;
  }

  /** Stops probing and closes every remote site's caches and client. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.started = false;
    await this.syncing;
    await Promise.all([...this.remote.values()].map((r) => r.close()));
    this.remote.clear();
  }

  private remoteSiteNames(): Set<string> {
    return new Set(
      this.kube.informers.sites
        .list()
        .filter((s) => s.spec.kubeconfigSecretRef)
        .map((s) => s.metadata.name!),
    );
  }

  private async tick(): Promise<void> {
    // The Secrets are read again now and then: a rotated kubeconfig takes effect without an event.
    if (++this.ticks % SECRET_REREAD_TICKS === 0) this.requestSync();
    const changed = await Promise.all(
      [...this.remote.values()].map((r) => r.probe(this.config.siteProbeTimeoutMs, Date.now)),
    );
    const sites = new Set<string>();
    for (const [i, r] of [...this.remote.values()].entries()) {
      if (!changed[i]) continue;
      sites.add(r.site);
      if (r.reachable) this.log.log(`site ${r.site} reachable again`);
      else this.log.warn(`site ${r.site} unreachable: ${r.lastError}`);
    }
    if (sites.size > 0) this.changed(sites);
    else if (this.leading) await this.writeStatuses();
  }

  /** Runs a connection pass; one at a time, a request during a pass runs one more after it. */
  private requestSync(): void {
    if (!this.started) return;
    if (this.syncing) {
      this.resyncWanted = true;
      return;
    }
    this.syncing = this.syncConnections()
      .catch((e: unknown) => this.log.warn(`site connections: ${(e as Error).message}`))
      .finally(() => {
        this.syncing = undefined;
        if (this.resyncWanted) {
          this.resyncWanted = false;
          this.requestSync();
        }
      });
  }

  private async syncConnections(): Promise<void> {
    const sites = new Map(this.kube.informers.sites.list().map((s) => [s.metadata.name!, s]));
    const changed = new Set<string>();
    for (const [name, r] of this.remote) {
      if (sites.get(name)?.spec.kubeconfigSecretRef) continue;
      this.remote.delete(name);
      await r.close();
      changed.add(name);
    }
    for (const name of this.unconnected.keys())
      if (!sites.get(name)?.spec.kubeconfigSecretRef) this.unconnected.delete(name);
    for (const [name, site] of sites) if (await this.connect(site)) changed.add(name);
    if (changed.size > 0) this.changed(changed);
  }

  /** Makes (or remakes, after the Secret changed) one remote site's connection; true if it did. */
  private async connect(site: Site): Promise<boolean> {
    const ref = site.spec.kubeconfigSecretRef;
    if (!ref) return false;
    const name = site.metadata.name!;
    const where = `Secret ${ref.namespace}/${ref.name} key ${ref.key}`;
    let secret: Secret;
    try {
      secret = await this.kube.client.get<Secret>(Secrets, ref.name, ref.namespace);
    } catch (e) {
      const reason = isNotFound(e) ? `${where} does not exist` : `${where}: ${(e as Error).message}`;
      return this.fail(name, reason);
    }
    const current = this.remote.get(name);
    if (current && current.secretVersion === secret.metadata?.resourceVersion) return false;
    const data = secret.data?.[ref.key];
    if (!data) return this.fail(name, `${where} has no such key`);
    let client: KubeClient;
    try {
      const credentials = parseKubeconfig(Buffer.from(data, 'base64').toString('utf8'), { source: where });
      client = new KubeClient({
        credentials,
        userAgent: `kentaur-controller/${this.config.identity}`,
        observe: this.metrics.apiObserver(name),
        requestTimeoutMs: this.config.siteProbeTimeoutMs * 4,
      });
    } catch (e) {
      return this.fail(name, (e as Error).message);
    }
    if (current) {
      this.remote.delete(name);
      await current.close();
    }
    const caches = new ClusterCaches(
      client,
      (resource, cause) => {
        this.metrics.informerRestarts.inc({ resource, site: name });
        this.log.debug(`${name} ${resource} informer restarting: ${(cause as Error).message}`);
      },
      // A site that comes back is followed again within seconds, not after a 30 s backoff.
      { initialMs: 250, maxMs: this.config.siteProbeIntervalMs },
    );
    const conn = new RemoteSite({
      site: name,
      secretVersion: secret.metadata?.resourceVersion ?? '',
      client,
      caches,
      nowMs: Date.now(),
    });
    this.unconnected.delete(name);
    this.remote.set(name, conn);
    for (const l of this.connectListeners) l(conn);
    caches.start();
    this.log.log(`site ${name}: connected to ${client.server}`);
    void conn.probe(this.config.siteProbeTimeoutMs, Date.now);
    return true;
  }

  private fail(name: string, reason: string): boolean {
    const before = this.unconnected.get(name);
    if (before?.reason === reason) return false;
    this.log.warn(`site ${name}: ${reason}`);
    this.unconnected.set(name, { reason, sinceMs: before?.sinceMs ?? Date.now() });
    const stale = this.remote.get(name);
    if (stale) {
      this.remote.delete(name);
      void stale.close();
    }
    return true;
  }

  private changed(sites: ReadonlySet<string>): void {
    for (const l of this.changeListeners) l(sites);
    if (this.leading) void this.writeStatuses();
  }

  private async writeStatuses(): Promise<void> {
    const health = this.health();
    for (const s of this.kube.informers.sites.list()) {
      const h = health.get(s.metadata.name!);
      if (!h || !this.leading) continue;
      try {
        await writeStatusIfChanged(this.kube.client, Sites, s, siteStatus(s, h, new Date().toISOString()));
      } catch (e) {
        // A conflict: the cache's copy was stale; the next probe tick writes again.
        this.log.debug(`site ${s.metadata.name} status: ${(e as Error).message}`);
      }
    }
  }
}

/** The Secrets are read again every this many probe ticks. */
const SECRET_REREAD_TICKS = 12;
