import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { AcceleratorPool, Site, Tenant, Workload } from '@kentaur/api';
import {
  AcceleratorPools,
  Deployments,
  Informer,
  type InformerOptions,
  Jobs,
  type KubeClient,
  Nodes,
  Pods,
  type ResourceType,
  Sites,
  Tenants,
  Workloads,
} from '@kentaur/k8s-runtime';

import { WORKLOAD_LABEL, workloadKeyOfObject } from '@kentaur/api';
import { trimPod } from '../accounting/pod-runs';

/**
 * Index of `pods`, `jobs` and `deployments`: the `namespace/name` of the Workload an object belongs
 * to (its workload label). A workload has a Job or Deployment per admission (ADR 16).
 */
export const BY_WORKLOAD = 'workload';
/** Index of `workloads`: their namespace. */
export const BY_NAMESPACE = 'namespace';

type OnRestart = (resource: string, cause: unknown) => void;

function informerFactory(client: KubeClient, onRestart: OnRestart, backoff?: InformerOptions['backoff']) {
  return <T extends object>(
    type: ResourceType,
    fieldSelector?: string,
    labelSelector?: string,
    transform?: (obj: never) => object,
  ) =>
    new Informer<T & { metadata?: object }>({
      client,
      type,
      fieldSelector,
      labelSelector,
      backoff,
      transform: (obj) =>
        withoutManagedFields(transform ? ((transform as (o: object) => object)(obj) as typeof obj) : obj),
      onRestart: (e) => onRestart(type.plural, e),
    });
}

/**
 * The caches of one cluster that runs work: its nodes, the pods that hold devices, Kentaur's own
 * pods (the usage meter's source) and the Jobs and Deployments Kentaur created. The management
 * cluster has one (InformerHub), and so has every remote site (SiteConnections).
 */
export class ClusterCaches {
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;
  readonly workloadPods: Informer<Pod>;
  readonly jobs: Informer<Job>;
  readonly deployments: Informer<Deployment>;
  protected readonly all: Informer<never>[];

  constructor(client: KubeClient, onRestart: OnRestart, backoff?: InformerOptions['backoff']) {
    const make = informerFactory(client, onRestart, backoff);
    this.nodes = make<Node>(Nodes);
    // Only pods that hold node resources: finished pods release their devices.
    this.pods = make<Pod>(Pods, 'status.phase!=Succeeded,status.phase!=Failed');
    // A reconcile asks for one workload's pods, or one tenant's workloads, not for the whole cache.
    this.pods.addIndex(BY_WORKLOAD, workloadKeyOfObject);
    // Kentaur's own pods in every phase, trimmed to their run times: the usage meter's source.
    this.workloadPods = make<Pod>(Pods, undefined, WORKLOAD_LABEL, trimPod);
    // Only what Kentaur created: other Jobs and Deployments of the cluster are none of its business.
    this.jobs = make<Job>(Jobs, undefined, WORKLOAD_LABEL);
    this.deployments = make<Deployment>(Deployments, undefined, WORKLOAD_LABEL);
    this.jobs.addIndex(BY_WORKLOAD, workloadKeyOfObject);
    this.deployments.addIndex(BY_WORKLOAD, workloadKeyOfObject);
    this.all = [
      this.nodes,
      this.pods,
      this.workloadPods,
      this.jobs,
      this.deployments,
    ] as unknown as Informer<never>[];
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.all.map((i) => i.waitForSync()));
  }

  hasSynced(): boolean {
    return this.all.every((i) => i.hasSynced());
  }

  /** Up to when every cache is known to follow its server (see Informer.currentUntil). */
  currentUntil(now: number): number {
    return Math.min(...this.all.map((i) => i.currentUntil(now)));
  }

  get restarts(): number {
    return this.all.reduce((n, i) => n + i.restarts, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }
}

/**
 * The shared informers of the controller: the management cluster's own caches (ClusterCaches:
 * nodes, pods, Jobs, Deployments) plus Kentaur's resources, which live only there. Started once,
 * read by every reconciler (controllers only keep the caches current; no reconciler lists from the
 * API server).
 */
export class InformerHub extends ClusterCaches {
  readonly pools: Informer<AcceleratorPool>;
  readonly workloads: Informer<Workload>;
  readonly tenants: Informer<Tenant>;
  readonly sites: Informer<Site>;

  constructor(client: KubeClient, onRestart: OnRestart) {
    super(client, onRestart);
    const make = informerFactory(client, onRestart);
    this.pools = make<AcceleratorPool>(AcceleratorPools);
    this.workloads = make<Workload>(Workloads);
    this.workloads.addIndex(BY_NAMESPACE, (w) => w.metadata.namespace);
    this.tenants = make<Tenant>(Tenants);
    this.sites = make<Site>(Sites);
    this.all.push(
      ...([this.pools, this.workloads, this.tenants, this.sites] as unknown as Informer<never>[]),
    );
  }
  /** Each tenant namespace's Tenant (a namespace belongs to one Tenant at most). */
  tenantsByNamespace(): Map<string, Tenant> {
    const byNamespace = new Map<string, Tenant>();
    for (const t of this.tenants.list()) for (const ns of t.spec.namespaces) byNamespace.set(ns, t);
    return byNamespace;
  }

  /** Every site named by a Site object or by a pool: the sites work may be placed in or moved to. */
  knownSites(): Set<string> {
    return new Set([
      ...this.sites.list().map((s) => s.metadata.name!),
      ...this.pools.list().map((p) => p.spec.site),
    ]);
  }
}

/**
 * Server-side apply's field ownership is never read from the caches, and it is a large share of a
 * busy object (nodes that KWOK, the kubelet and controllers all update): dropped before caching,
 * as client-go users do with SetTransform. A PUT of a cached copy without managedFields leaves the
 * server's as they are.
 */
export function withoutManagedFields<T extends { metadata?: object }>(obj: T): T {
  const m = obj.metadata as { managedFields?: unknown } | undefined;
  if (!m?.managedFields) return obj;
  const { managedFields: _dropped, ...metadata } = m;
  return { ...obj, metadata };
}
