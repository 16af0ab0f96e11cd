import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
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
import { ATTEMPT_LABEL, attemptOf, desiredObjects, observedPhase, WORKLOAD_LABEL } from './workload-objects';

const TERMINAL = new Set<WorkloadPhase | undefined>(['Succeeded', 'Failed', 'Cancelled']);

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

  constructor(
    @Inject(CONTROLLER_CONFIG) private readonly config: ControllerConfig,
    private readonly kube: KubeConnection,
    @Inject(ControllerMetrics) metrics: ControllerMetrics,
    @Inject(VendorRegistry) private readonly registry: VendorRegistry,
  ) {
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
    const { workloads, jobs, deployments, pods } = kube.informers;
    const own = (o: KubeObject) => this.queue.add(`${o.metadata?.namespace}/${o.metadata?.name}`);
    workloads.addHandlers({ onAdd: own, onUpdate: (_o, n) => own(n), onDelete: own });
    const byLabel = (o: KubeObject) => {
      const owner = o.metadata?.labels?.[WORKLOAD_LABEL];
      if (owner) this.queue.add(`${o.metadata?.namespace}/${owner}`);
    };
    for (const informer of [jobs, deployments, pods] as const) {
      informer.addHandlers({ onAdd: byLabel, onUpdate: (_o, n) => byLabel(n), onDelete: byLabel });
    }
  }

  /** Writes only while this replica leads (ADR 5); a deposed leader stops at its next key. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) return;
    this.loop.start();
    for (const w of this.kube.informers.workloads.list())
      this.queue.add(`${w.metadata.namespace}/${w.metadata.name}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    if (!this.enabled) return; // re-added by events or the enabling pass once leading again
    const w = this.kube.informers.workloads.get(key);
    if (!w || w.metadata.deletionTimestamp) return; // owned objects go with it (garbage collection)
    const phase = w.status?.phase;
    if (w.spec.cancel) {
      await this.removeObjects(w);
      if (phase !== 'Cancelled')
        await this.writePhase(w, 'Cancelled', 'Cancelled', 'cancelled by spec.cancel');
      return;
    }
    if (phase === 'Preempted' || phase === 'Queued' || phase === 'Pending')
      return this.removeObjects(w, { onlyKnownAttempts: true });
    if (TERMINAL.has(phase) || !w.status?.admission) return;
    return this.runAdmitted(w);
  }

  private async runAdmitted(w: Workload): Promise<ReconcileResult | void> {
    if (this.hasStaleObjects(w)) {
      // Objects of an earlier admission (before a preemption or requeue): remove them first; their
      // deletion is an event that brings the workload back here to create this attempt's.
      await this.removeObjects(w);
      return { requeueAfterMs: 1000 };
    }
    const pool = this.kube.informers.pools.get(w.status!.admission!.pool);
    if (!pool) return { requeueAfterMs: 2000 }; // the pool's arrival in the cache will be an event too
    await this.ensureObjects(w, pool);
    return this.advance(w, this.observe(w));
  }

  private hasStaleObjects(w: Workload): boolean {
    const { jobs, deployments } = this.kube.informers;
    return [jobs.get(key(w)), deployments.get(key(w))].some(
      (o) => o && o.metadata?.labels?.[ATTEMPT_LABEL] !== attemptOf(w),
    );
  }

  private async ensureObjects(w: Workload, pool: AcceleratorPool): Promise<void> {
    const { informers } = this.kube;
    const tenant = informers.tenants.list().find((t) => t.spec.namespaces.includes(w.metadata.namespace!));
    const desired = desiredObjects({
      workload: w,
      tenant: tenant?.metadata.name ?? '',
      pool,
      registry: this.registry,
      sandbox: this.config.sandbox,
    });
    // Services first (the gang's rendezvous must exist when its pods start). There is no Service
    // cache: once this attempt's Job or Deployment is cached, its Services were created before it.
    const running = informers.jobs.get(key(w)) ?? informers.deployments.get(key(w));
    if (!running) for (const svc of desired.services) await this.ensure(Services, svc);
    if (desired.job) await this.ensure(Jobs, desired.job, informers.jobs.get(key(w)));
    if (desired.deployment)
      await this.ensure(Deployments, desired.deployment, informers.deployments.get(key(w)));
  }

  /**
   * The phase the objects show. Phases only move forward: finished pods leave the cache a moment
   * before the Job counts them, and that moment must not take a Running workload back to Admitted.
   */
  private observe(w: Workload): WorkloadPhase {
    const { informers } = this.kube;
    const pods = informers.pods.byIndex(BY_WORKLOAD, key(w));
    const observed = observedPhase({
      workload: w,
      job: informers.jobs.get(key(w)),
      deployment: informers.deployments.get(key(w)),
      pods,
    });
    return observed === 'Admitted' && w.status?.phase === 'Running' ? 'Running' : observed;
  }

  /** Writes the observed phase; work that never got going past the start timeout is requeued. */
  private async advance(w: Workload, next: WorkloadPhase): Promise<ReconcileResult | void> {
    if (next === 'Admitted') {
      const waited = Date.now() - Date.parse(w.status!.admission!.admittedAt);
      if (waited >= this.config.startTimeoutMs) return this.requeue(w, waited);
      if (next !== w.status?.phase) await this.writePhase(w, next, next, describe(next, w));
      return { requeueAfterMs: this.config.startTimeoutMs - waited };
    }
    if (next !== w.status?.phase) await this.writePhase(w, next, next, describe(next, w));
  }

  /**
   * Pods that do not all start in time (a node died, an image cannot be pulled) would hold the
   * admitted devices forever: give them back and queue the workload again, saying why.
   */
  private async requeue(w: Workload, waitedMs: number): Promise<void> {
    await this.removeObjects(w);
    const now = new Date().toISOString();
    const message = `pods did not all start within ${Math.round(waitedMs / 1000)} s on ${w.status!.admission!.pool}; requeued`;
    const conditions = setCondition(
      w.status?.conditions,
      {
        type: 'Admitted',
        status: 'False',
        reason: 'StartTimeout',
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

  /** Creates the object unless the cache already has it; an existing one counts as done. */
  private async ensure(type: ResourceType, obj: KubeObject, cached?: KubeObject): Promise<void> {
    if (cached) return;
    try {
      await this.kube.client.create(type, obj);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  /**
   * Deletes the workload's objects. With `onlyKnownAttempts` (a waiting workload), objects of an
   * attempt the cached workload does not know yet are kept: they belong to an admission that this
   * replica's cache has not seen (another scheduler admitted it a moment ago), not to a past one.
   */
  private async removeObjects(w: Workload, o: { onlyKnownAttempts?: boolean } = {}): Promise<void> {
    const ns = w.metadata.namespace!;
    const name = w.metadata.name!;
    const { jobs, deployments } = this.kube.informers;
    const cached = [jobs.get(`${ns}/${name}`), deployments.get(`${ns}/${name}`)];
    const newer = (obj: KubeObject | undefined) =>
      Number(obj?.metadata?.labels?.[ATTEMPT_LABEL] ?? 0) > (w.status?.attempts ?? 0);
    if (o.onlyKnownAttempts && cached.some(newer)) return; // the cache will catch up: an event follows
    const targets: [ResourceType, boolean][] = [
      [Jobs, Boolean(cached[0])],
      [Deployments, Boolean(cached[1])],
    ];
    // A workload that was never admitted has no objects: nothing to delete, no request to send.
    if (!cached.some(Boolean) && !(w.status?.attempts ?? 0)) return;
    for (const [type, present] of targets) {
      if (!present) continue;
      await this.kube.client
        .delete(type, name, { namespace: ns, propagationPolicy: 'Background' })
        .catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
    }
    await this.kube.client.delete(Services, name, { namespace: ns }).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
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
