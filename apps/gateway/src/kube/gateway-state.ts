import type { Node } from 'kubernetes-types/core/v1';
import type { AcceleratorPool, Site, Tenant, Workload } from '@kentaur/api';
import type { ClusterSnapshot, Steps } from '@kentaur/core';
import {
  AcceleratorPools,
  Informer,
  type KubeClient,
  type KubeObject,
  Nodes,
  type ResourceType,
  Sites,
  Tenants,
  Workloads,
} from '@kentaur/k8s-runtime';
import { snapshotSteps, type SnapshotDefaults } from '@kentaur/vendors';

/** Index of `workloads`: their namespace. */
export const BY_NAMESPACE = 'namespace';

/**
 * What the gateway reads, cached by informers: the gateway itself is stateless, and every query is
 * answered from these caches (kept current by watches) instead of a request to the API server.
 * Writes go to the API server and are seen here when their watch event arrives.
 */
export class GatewayState {
  readonly workloads: Informer<Workload>;
  readonly tenants: Informer<Tenant>;
  readonly pools: Informer<AcceleratorPool>;
  readonly sites: Informer<Site>;
  readonly nodes: Informer<Node>;
  private readonly all: Informer<KubeObject>[];

  constructor(
    readonly client: KubeClient,
    private readonly defaults: SnapshotDefaults,
  ) {
    const make = <T extends KubeObject>(type: ResourceType) => new Informer<T>({ client, type });
    this.workloads = make<Workload>(Workloads);
    // A tenant's list reads its namespaces' entries, not the whole cache (`npm run bench -- memory`:
    // filtering 50,000 cached workloads per request held workloads(first: 50) to 182 requests/s).
    this.workloads.addIndex(BY_NAMESPACE, (w) => w.metadata.namespace);
    this.tenants = make<Tenant>(Tenants);
    this.pools = make<AcceleratorPool>(AcceleratorPools);
    this.sites = make<Site>(Sites);
    this.nodes = make<Node>(Nodes);
    this.all = [this.workloads, this.tenants, this.pools, this.sites, this.nodes] as Informer<KubeObject>[];
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

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  tenant(name: string): Tenant | undefined {
    return this.tenants.get(name);
  }

  /**
   * The scheduler's view, as the controller builds it, for quotes and queue estimates. Pods are
   * left out: Kentaur's admissions hold their devices through the pools' reservations, which are
   * in the snapshot; devices taken by pods Kentaur did not create are not seen here, so estimates
   * may be early on a cluster shared with other work. Built in steps (libs/vendors snapshotSteps),
   * so that the gateway answers other requests between them (ADR 18).
   */
  *snapshotSteps(): Steps<ClusterSnapshot> {
    const built = yield* snapshotSteps({
      nodes: this.nodes.list(),
      pods: [],
      pools: this.pools.list(),
      sites: this.sites.list(),
      tenants: this.tenants.list(),
      workloads: this.workloads.list(),
      defaults: this.defaults,
    });
    return built.snapshot;
  }
}
