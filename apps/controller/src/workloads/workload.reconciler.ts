import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { AcceleratorPool, Workload, WorkloadPhase } from '@kentaur/api';
import {
  Deployments,
  isAlreadyExists,
  isNotFound,
  Jobs,
  type KubeObject,
  ReconcileLoop,
  type ReconcileResult,
  type ResourceType,
  Services,
  setCondition,
  WorkQueue,
  Workloads,
} from '@kentaur/k8s-runtime';
import { VendorRegistry } from '@kentaur/vendors';
import { CONTROLLER_CONFIG, type ControllerConfig } from '../config';
import { ControllerMetrics } from '../metrics/controller-metrics';
import { BY_WORKLOAD } from '../kube/informer-hub';
import { KubeConnection } from '../kube/kube.module';
import { parseDuration, workloadKeyOfObject } from '@kentaur/api';
import type { SiteConnection } from '../sites/site-connections';
import { SiteKit } from '../sites/site-kit';
import { mayMove } from '../sites/failover';
import {
  affectedBySiteChange,
  ATTEMPT_LABEL,
  desiredObjects,
  fenceRenewal,
  isCurrentObject,
  madeForAnother,
  observedPhase,
  stoppedByFence,
} from './workload-objects';

const TERMINAL = new Set<WorkloadPhase | undefined>(['Succeeded', 'Failed', 'Cancelled']);
const WAITING = new Set<WorkloadPhase | undefined>(['Pending', 'Queued', 'Preempted']);

/**
 * Makes each Workload's Kubernetes objects match its status: an admitted workload gets its vendor
 * objects, a cancelled or preempted one loses them; the phase follows the Job or Deployment and
 * its pods. Level-triggered: the key is all it gets, everything else comes from the caches.
 */
@Injectable()
export class WorkloadReconciler implements OnApplicationShutdown {
  private readonly queue = new WorkQueue<string>();
  private readonly loop: ReconcileLoop<string>;
  private readonly log = new Logger('workloads');
  private enabled = false;
  private readonly kit: SiteKit;

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
    this.kit = new SiteKit(registry, () => kube.informers.pools.list());
    this.loop = new ReconcileLoop({
      name: 'workloads',
      queue: this.queue,
      observe: metrics.reconcileObserver('workloads'),
      // Each reconcile waits on the API server (Service, Job, status): with 4 workers, 1,000 workloads
      // admitted in one cycle waited minutes for their Jobs (`npm run bench -- e2e`, 2026-12-05).
      // A key is never reconciled by two workers at once (the work queue), so more are safe.
      concurrency: 16,
      reconcile: (key) => this.reconcile(key),
      onError: (key, e) => this.log.warn(`${key}: ${e instanceof Error ? e.message : String(e)}`),
    });
    const own = (o: KubeObject) => this.queue.add(`${o.metadata?.namespace}/${o.metadata?.name}`);
    kube.informers.workloads.addHandlers({ onAdd: own, onUpdate: (_o, n) => own(n), onDelete: own });
    const byLabel = (o: KubeObject) => {
      const key = workloadKeyOfObject(o);
      if (key) this.queue.add(key);
    };
    // The objects of every site, those of sites connected later too.
    kube.sites.onConnect(({ caches }) => {
      for (const informer of [caches.jobs, caches.deployments, caches.pods] as const)
        informer.addHandlers({ onAdd: byLabel, onUpdate: (_o, n) => byLabel(n), onDelete: byLabel });
    });
    // A site that went away or came back: the workloads admitted there, and those with objects there
    // (a site that comes back may hold objects of admissions that moved away meanwhile), are looked
    // at again; the site's kit is applied again before its next object.
    kube.sites.onChange((sites) => {
      for (const c of kube.sites.remotes()) if (!c.reachable) this.kit.forget(c.site!);
      if (this.enabled) this.addAffected(sites);
    });
  }

  private addAffected(sites: ReadonlySet<string>): void {
    const connected = this.sites.remotes().filter((c) => sites.has(c.site!));
    const keys = affectedBySiteChange({
      sites,
      workloads: this.kube.informers.workloads.list(),
      objects: connected.flatMap(({ caches }) => [...caches.jobs.list(), ...caches.deployments.list()]),
    });
    for (const k of keys) this.queue.add(k);
  }

  private addAll(): void {
    for (const w of this.kube.informers.workloads.list())
      this.queue.add(`${w.metadata.namespace}/${w.metadata.name}`);
  }

  /** Writes only while this replica leads (ADR 5); a deposed leader stops at its next key. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) return;
    this.loop.start();
    this.addAll();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    if (!this.enabled) return; // re-added by events or the enabling pass once leading again
    const w = this.kube.informers.workloads.get(key);
    if (!w || w.metadata.deletionTimestamp) {
      // In the management cluster owned objects go with it (garbage collection); remote sites'
      // objects have no owner there and are deleted here.
      for (const conn of this.sites.remotes()) await this.removeObjects(key, conn);
      return;
    }
    const target = this.targetOf(w);
    // Objects in any cluster the current admission is not in: of an earlier admission (preempted,
    // requeued, moved away from a site that stopped answering).
    for (const conn of this.sites.all())
      if (conn !== target) await this.removeObjects(key, conn, { workload: w, keepNewer: true });
    if (w.spec.cancel) return this.cancel(w, target);
    // A site that does not answer: nothing can be done there now; its work is marked, and moved
    // after the grace period, by the scheduling loop. Its return is an event (sites.onChange).
    if (TERMINAL.has(w.status?.phase) || !target?.reachable) return;
    return this.runAdmitted(w, target);
  }

  /** The cluster of the workload's current admission; none while it waits. */
  private targetOf(w: Workload): SiteConnection | undefined {
    const site = w.status?.admission?.site;
    if (site === undefined || WAITING.has(w.status?.phase)) return undefined;
    return this.sites.connection(site);
  }

  private async cancel(w: Workload, target: SiteConnection | undefined): Promise<void> {
    if (target) await this.removeObjects(key(w), target, { workload: w });
    if (w.status?.phase !== 'Cancelled')
      await this.writePhase(w, 'Cancelled', 'Cancelled', 'cancelled by spec.cancel');
  }

  private async runAdmitted(w: Workload, conn: SiteConnection): Promise<ReconcileResult | void> {
    if (this.hasStaleObjects(w, conn)) {
      // Objects of an earlier admission (before a preemption or requeue): remove them first; their
      // deletion is an event that brings the workload back here to create this attempt's.
      await this.removeObjects(key(w), conn, { workload: w });
      return { requeueAfterMs: 1000 };
    }
    const pool = this.kube.informers.pools.get(w.status!.admission!.pool);
    if (!pool) return { requeueAfterMs: 2000 }; // the pool's arrival in the cache will be an event too
    const fenced = conn.site !== undefined && this.fenced(w, conn.site);
    await this.ensureObjects(w, pool, conn, fenced);
    const { job } = current(w, conn);
    if (fenced && stoppedByFence(job, maxSecondsOf(w))) return this.requeue(w, fencedMessage(w));
    const renewAfter = fenced ? await this.renewFence(w, conn) : undefined;
    const result = await this.advance(w, this.observe(w, conn));
    if (renewAfter === undefined) return result;
    return { requeueAfterMs: Math.min(result?.requeueAfterMs ?? Infinity, renewAfter) };
  }

  private hasStaleObjects(w: Workload, conn: SiteConnection): boolean {
    return cachedObjects(key(w), conn).some(([, o]) => !isCurrentObject(o, w));
  }

  /** Work a failover could move away from its remote site runs fenced there (ADR 13). */
  private fenced(w: Workload, site: string): boolean {
    const { informers } = this.kube;
    const tenant = informers.tenants.list().find((t) => t.spec.namespaces.includes(w.metadata.namespace!));
    return mayMove(w, tenant, [...informers.knownSites()], site);
  }

  private async ensureObjects(
    w: Workload,
    pool: AcceleratorPool,
    conn: SiteConnection,
    fenced: boolean,
  ): Promise<void> {
    const running = current(w, conn);
    if (running.job ?? running.deployment) return;
    const { informers } = this.kube;
    const tenant = informers.tenants.list().find((t) => t.spec.namespaces.includes(w.metadata.namespace!));
    const desired = desiredObjects({
      workload: w,
      tenant: tenant?.metadata.name ?? '',
      pool,
      registry: this.registry,
      sandbox: this.config.sandbox,
      ...(conn.site
        ? { remote: { fenceLeaseSeconds: fenced ? this.config.siteFenceLeaseMs / 1000 : undefined } }
        : {}),
    });
    // A remote site has no Tenant to keep its namespaces' kit: applied here, before the first object.
    if (conn.site && tenant) await this.kit.ensure(conn, tenant, w.metadata.namespace!);
    // Services first (the gang's rendezvous must exist when its pods start). There is no Service
    // cache: once this attempt's Job or Deployment is cached, its Services were created before it.
    for (const svc of desired.services) await this.ensure(conn, Services, svc);
    if (desired.job) await this.ensure(conn, Jobs, desired.job);
    if (desired.deployment) await this.ensure(conn, Deployments, desired.deployment);
  }

  /**
   * Keeps a remote Job's deadline a fence lease ahead while its site answers (ADR 13); returns
   * when to look again.
   */
  private async renewFence(w: Workload, conn: SiteConnection): Promise<number | undefined> {
    const { job } = current(w, conn);
    if (!job || job.status?.completionTime || job.status?.conditions?.some((c) => c.status === 'True'))
      return undefined;
    const leaseSeconds = this.config.siteFenceLeaseMs / 1000;
    const next = fenceRenewal({ job, maxSeconds: maxSecondsOf(w), nowMs: Date.now(), leaseSeconds });
    if (next !== undefined)
      await conn.client.patch(
        Jobs,
        job.metadata!.name!,
        {
          metadata: { resourceVersion: job.metadata?.resourceVersion },
          spec: { activeDeadlineSeconds: next },
        },
        { namespace: job.metadata!.namespace, patchType: 'merge' },
      );
    return this.config.siteFenceLeaseMs / 6;
  }

  /**
   * The phase the objects show. Phases only move forward: finished pods leave the cache a moment
   * before the Job counts them, and that moment must not take a Running workload back to Admitted.
   */
  private observe(w: Workload, conn: SiteConnection): WorkloadPhase {
    const pods = conn.caches.pods.byIndex(BY_WORKLOAD, key(w));
    const observed = observedPhase({ workload: w, ...current(w, conn), pods });
    return observed === 'Admitted' && w.status?.phase === 'Running' ? 'Running' : observed;
  }

  /** Writes the observed phase; work that never got going past the start timeout is requeued. */
  private async advance(w: Workload, next: WorkloadPhase): Promise<ReconcileResult | void> {
    if (next === 'Admitted') {
      const waited = Date.now() - Date.parse(w.status!.admission!.admittedAt);
      if (waited >= this.config.startTimeoutMs)
        return this.requeue(
          w,
          `pods did not all start within ${Math.round(waited / 1000)} s on ${w.status!.admission!.pool}; requeued`,
          'StartTimeout',
        );
      if (next !== w.status?.phase) await this.writePhase(w, next, next, describe(next, w));
      return { requeueAfterMs: this.config.startTimeoutMs - waited };
    }
    if (next !== w.status?.phase) await this.writePhase(w, next, next, describe(next, w));
  }

  /**
   * Pods that do not all start in time (a node died, an image cannot be pulled) would hold the
   * admitted devices forever: give them back and queue the workload again, saying why.
   */
  private async requeue(w: Workload, message: string, reason = 'Fenced'): Promise<void> {
    const conn = this.sites.connection(w.status!.admission!.site);
    if (conn) await this.removeObjects(key(w), conn, { workload: w });
    const now = new Date().toISOString();
    const conditions = setCondition(
      w.status?.conditions,
      {
        type: 'Admitted',
        status: 'False',
        reason,
        message,
        observedGeneration: w.metadata.generation,
      },
      now,
    );
    const status = {
      ...w.status,
      phase: 'Queued' as const,
      admission: undefined,
      queue: { reason: message },
      conditions,
      observedGeneration: w.metadata.generation,
    };
    await this.kube.client.replace(Workloads, { ...w, status }, { subresource: 'status' });
  }

  /** Creates the object; an existing one counts as done. */
  private async ensure(conn: SiteConnection, type: ResourceType, obj: KubeObject): Promise<void> {
    try {
      await conn.client.create(type, obj);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  /**
   * Deletes a workload's objects in one cluster: its Jobs and Deployments of every admission, and
   * its Service once none of them is left. With `keepNewer` (a cluster the current admission is not
   * in, or a waiting workload), objects of an attempt the cached workload does not know yet are
   * kept: they belong to an admission that this replica's cache has not seen (another scheduler
   * admitted it a moment ago), not to a past one. Without `workload` (it is gone), everything of
   * that workload Kentaur created there.
   */
  private async removeObjects(
    name: string,
    conn: SiteConnection,
    o: { workload?: Workload; keepNewer?: boolean } = {},
  ): Promise<void> {
    if (conn.site && !conn.reachable) return; // cleaned up when it answers again (sites.onChange)
    const w = o.workload;
    const attempts = w?.status?.attempts ?? 0;
    const cached = cachedObjects(name, conn);
    const doomed = cached.filter(
      ([, obj]) => !o.keepNewer || !w || attemptLabel(obj) <= attempts || madeForAnother(obj, w),
    );
    // Only a newer attempt's: the cache will catch up, an event follows.
    if (cached.length > 0 && doomed.length === 0) return;
    if (cached.length === 0 && !serviceMayLinger(conn, w)) return; // nothing there, no request
    const [ns, workload] = name.split('/') as [string, string];
    for (const [type, obj] of doomed)
      await conn.client
        .delete(type, obj.metadata!.name!, { namespace: ns, propagationPolicy: 'Background' })
        .catch(unlessNotFound);
    // The Service is named after the workload and serves whichever admission runs: a newer one keeps it.
    if (doomed.length < cached.length) return;
    await conn.client.delete(Services, workload, { namespace: ns }).catch(unlessNotFound);
  }

  private async writePhase(
    w: Workload,
    phase: WorkloadPhase,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    const conditions = setCondition(
      w.status?.conditions,
      {
        type: 'Finished',
        status: TERMINAL.has(phase) ? 'True' : 'False',
        reason,
        message,
        observedGeneration: w.metadata.generation,
      },
      now,
    );
    // A conflict propagates: the loop retries the key with the fresh object from the cache.
    await this.kube.client.replace(
      Workloads,
      { ...w, status: { ...w.status, phase, conditions, observedGeneration: w.metadata.generation } },
      { subresource: 'status' },
    );
  }
}

const key = (w: Workload) => `${w.metadata.namespace}/${w.metadata.name}`;

/** The Job and Deployment of the workload's current admission in one cluster, from its caches. */
function current(w: Workload, conn: SiteConnection): { job?: Job; deployment?: Deployment } {
  const { jobs, deployments } = conn.caches;
  return {
    job: jobs.byIndex(BY_WORKLOAD, key(w)).find((o) => isCurrentObject(o, w)),
    deployment: deployments.byIndex(BY_WORKLOAD, key(w)).find((o) => isCurrentObject(o, w)),
  };
}

/** Every Job and Deployment of a workload (`namespace/name`) in one cluster: one per admission. */
function cachedObjects(workload: string, conn: SiteConnection): [ResourceType, KubeObject][] {
  const { jobs, deployments } = conn.caches;
  return [
    ...jobs.byIndex(BY_WORKLOAD, workload).map((o): [ResourceType, KubeObject] => [Jobs, o]),
    ...deployments.byIndex(BY_WORKLOAD, workload).map((o): [ResourceType, KubeObject] => [Deployments, o]),
  ];
}

function unlessNotFound(e: unknown): void {
  if (!isNotFound(e)) throw e;
}

const maxSecondsOf = (w: Workload) => (w.spec.maxDuration ? parseDuration(w.spec.maxDuration) : undefined);

/**
 * Nothing cached, yet a Service may be left: in the management cluster, a requeued workload's
 * Service outlives its Job when a delete failed; it is deleted once more.
 */
function serviceMayLinger(conn: SiteConnection, w: Workload | undefined): boolean {
  return conn.site === undefined && w !== undefined && (w.status?.attempts ?? 0) > 0 && !w.status?.admission;
}

const attemptLabel = (obj: KubeObject) => Number(obj.metadata?.labels?.[ATTEMPT_LABEL] ?? 0);

function fencedMessage(w: Workload): string {
  const a = w.status!.admission!;
  return `the Job on ${a.pool} was stopped by its fence: site ${a.site} did not hear from the controller for longer than the fence lease; requeued`;
}

function describe(phase: WorkloadPhase, w: Workload): string {
  const a = w.status?.admission;
  const where = a ? `${a.pool} (${a.vendor} ${a.model})` : '';
  switch (phase) {
    case 'Running':
      return `all ${w.spec.replicas ?? 1} replicas running on ${where}`;
    case 'Succeeded':
      return `completed on ${where}`;
    case 'Failed':
      return `failed on ${where}: see the Job's events`;
    default:
      return `admitted to ${where}; waiting for pods`;
  }
}
