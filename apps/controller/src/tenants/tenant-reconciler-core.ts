import type { Tenant, Tier, Workload } from '@kentaur/api';
import {
  isConflict,
  type KubeApiError,
  type KubeClient,
  type KubeObject,
  Namespaces,
  ReconcileLoop,
  type ReconcileLoopOptions,
  type ReconcileResult,
  Tenants,
  WorkQueue,
  writeStatusIfChanged,
} from '@kentaur/k8s-runtime';
import { VendorRegistry } from '@kentaur/vendors';
import { BY_NAMESPACE, type InformerHub } from '../kube/informer-hub';
import { KitCache, type KitChange } from './kit-cache';
import {
  acceleratorResourceNames,
  admittedPriorityClass,
  conflictingLabels,
  isApplied,
  type KitObject,
  namespaceKit,
  namespaceOwners,
  withoutLabels,
} from './namespace-kit';
import { tenantStatus } from './tenant-status';

export const TENANTS_FIELD_MANAGER = 'kentaur-tenants';

/** Queue key of the cluster-scoped part of the kit (the PriorityClass); '*' is never a tenant name. */
const CLUSTER = '*';

export interface TenantLogger {
  warn(message: string): void;
}

export interface TenantReconcilerOptions {
  client: KubeClient;
  /** The controller's shared caches; read only. */
  informers: Pick<InformerHub, 'tenants' | 'workloads' | 'pools' | 'hasSynced'>;
  /** Every tenant is reconciled again this often without events (default 30 s). */
  resyncMs?: number;
  /** Quiet time after a workload event before its tenant's status is recomputed (bursts coalesce). */
  workloadDelayMs?: number;
  /** Called after every reconcile, for metrics. */
  observe?: ReconcileLoopOptions<string>['observe'];
  /** Vendors whose device resources the quota covers (default: the built-in ones). */
  registry?: VendorRegistry;
  /** The scheduler's tier weights (default: DEFAULT_TIER_WEIGHTS of @kentaur/core). */
  tierWeights?: Readonly<Record<Tier, number>>;
  log?: TenantLogger;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Gives every namespace of every Tenant its kit (namespace-kit.ts) and keeps each Tenant's status
 * in step with its workloads. Level-triggered: the key is a tenant's name; tenant events, workload
 * events (by namespace), kit objects changed or deleted by anyone and a periodic resync all add it;
 * a reconcile applies only what differs from the cache and writes the status only when it changed.
 *
 * Plain class, no Nest: the Nest provider (tenant.reconciler.ts) wraps it, and tests drive it with
 * a real client and informers.
 */
export class TenantReconcilerCore {
  private readonly queue = new WorkQueue<string>();
  private readonly loop: ReconcileLoop<string>;
  private readonly kit: KitCache;
  private readonly registry: VendorRegistry;
  private readonly log: TenantLogger;
  private readonly warned = new Set<string>();
  /** Namespace labels other managers hold, by namespace: label → the value they hold. */
  private readonly yielded = new Map<string, Record<string, string>>();
  private enabled = false;
  private resync: NodeJS.Timeout | undefined;
  /** Completed tenant reconciles (for metrics and tests). */
  passes = 0;

  constructor(private readonly o: TenantReconcilerOptions) {
    this.registry = o.registry ?? new VendorRegistry();
    this.log = o.log ?? { warn: (m) => console.warn(`[tenants] ${m}`) };
    this.kit = new KitCache({
      client: o.client,
      onRestart: (resource, e) => this.log.warn(`${resource} informer restarting: ${message(e)}`),
    });
    this.loop = new ReconcileLoop({
      name: 'tenants',
      queue: this.queue,
      observe: o.observe,
      concurrency: 2,
      reconcile: (key) => this.reconcile(key),
      onError: (key, e) => this.log.warn(`tenant ${key}: ${message(e)}`),
    });
    this.watch();
  }

  /**
   * Writes only while this replica leads. The kit caches start with the first leadership and then
   * stay warm, like the shared ones.
   */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    clearInterval(this.resync);
    this.resync = undefined;
    if (!enabled) return;
    this.kit.start();
    this.loop.start();
    this.addAll();
    this.resync = setInterval(() => this.addAll(), this.o.resyncMs ?? 30_000);
    this.resync.unref();
  }

  /** Finishes the reconciles in flight and closes the kit caches (the client stays open). */
  async stop(): Promise<void> {
    this.enabled = false;
    clearInterval(this.resync);
    await this.loop.stop();
    await this.kit.stop();
  }

  private watch(): void {
    const { tenants, workloads, pools } = this.o.informers;
    tenants.addHandlers({
      onAdd: (t) => this.queue.add(t.metadata.name!),
      // A namespace dropped by one tenant may now belong to another that also lists it.
      onUpdate: (old, t) => this.addClaimants([...old.spec.namespaces, ...t.spec.namespaces]),
      onDelete: (t) => this.addClaimants(t.spec.namespaces),
    });
    const byNamespace = (w: Workload) =>
      this.addClaimants([w.metadata.namespace!], this.o.workloadDelayMs ?? 250);
    workloads.addHandlers({
      onAdd: byNamespace,
      onUpdate: (_old, w) => byNamespace(w),
      onDelete: byNamespace,
    });
    // A new device resource must reach every quota. Pool status changes (frequent) change nothing here.
    pools.addHandlers({
      onAdd: () => this.addAll(),
      onUpdate: (old, p) => {
        if (old.spec.resourceName !== p.spec.resourceName) this.addAll();
      },
    });
    this.kit.onChange((c: KitChange) => this.queue.add('cluster' in c ? CLUSTER : c.tenant));
  }

  private addAll(): void {
    this.queue.add(CLUSTER);
    for (const t of this.o.informers.tenants.list()) this.queue.add(t.metadata.name!);
  }

  /** Adds every tenant that lists one of the namespaces (their owner is decided in the reconcile). */
  private addClaimants(namespaces: readonly string[], delayMs = 0): void {
    const wanted = new Set(namespaces);
    for (const t of this.o.informers.tenants.list()) {
      if (t.spec.namespaces.some((ns) => wanted.has(ns))) this.queue.addAfter(t.metadata.name!, delayMs);
    }
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    if (!this.enabled) return;
    if (!this.o.informers.hasSynced() || !this.kit.hasSynced()) return { requeueAfterMs: 500 };
    if (key === CLUSTER) return this.apply(admittedPriorityClass());
    const tenant = this.o.informers.tenants.get(key);
    // A deleted tenant leaves its namespaces and their kit as they are: they may hold data and running
    // pods, and deleting a namespace is an admin's decision, never a side effect. Likewise a namespace
    // removed from spec.namespaces keeps its labels and kit objects.
    if (!tenant || tenant.metadata.deletionTimestamp) return;
    await this.reconcileTenant(tenant);
    this.passes++;
  }

  private async reconcileTenant(tenant: Tenant): Promise<void> {
    const namespaces = this.ownedNamespaces(tenant);
    const resourceNames = acceleratorResourceNames({
      pools: this.o.informers.pools.list(),
      registry: this.registry,
    });
    let failure: Error | undefined;
    for (const namespace of namespaces) {
      try {
        for (const obj of namespaceKit({ tenant, namespace, resourceNames })) await this.apply(obj);
      } catch (e) {
        failure ??= e instanceof Error ? e : new Error(String(e));
      }
    }
    // The status is written even when a namespace failed (one being deleted fails until it is gone);
    // the failure is thrown after it, so the key is retried with backoff.
    await this.writeStatus(tenant, namespaces);
    if (failure) throw failure;
  }

  private ownedNamespaces(tenant: Tenant): string[] {
    const name = tenant.metadata.name!;
    const owners = namespaceOwners(this.o.informers.tenants.list());
    return tenant.spec.namespaces.filter((ns) => {
      const owner = owners.get(ns);
      if (owner === name) return true;
      this.warnOnce(
        `claim ${name} ${ns}`,
        `tenant ${name}: namespace ${ns} already belongs to tenant ${owner}; leaving it to that tenant`,
      );
      return false;
    });
  }

  /**
   * Server-side apply of one kit object, skipped when the cache shows it already applied. Only kit
   * objects Kentaur owns by name are forced; see applyYielding for a Namespace whose labels another
   * manager holds.
   */
  private async apply(desired: KitObject): Promise<void> {
    const k = this.yieldTo(desired);
    if (isApplied(k.object, this.kit.get(k.type, k.object))) return;
    try {
      await this.patch(k);
    } catch (e) {
      if (k.force || !isConflict(e)) throw e;
      await this.applyYielding(k, e as KubeApiError);
    }
  }

  private patch(k: KitObject): Promise<KubeObject> {
    const { name, namespace } = k.object.metadata!;
    return this.o.client.patch(k.type, name!, k.object, {
      patchType: 'apply',
      fieldManager: TENANTS_FIELD_MANAGER,
      force: k.force,
      namespace,
    });
  }

  /**
   * A Namespace label that another manager (an admin, Helm) set to another value stays theirs: an
   * explicit choice by someone who may edit Namespaces wins over Kentaur's default. The other labels
   * are applied, the values they hold are remembered, and the namespace is applied in full again once
   * those values change (the namespace's update event brings the tenant back). Without this, the
   * conflict would leave the namespace without any Kentaur label and cost a failed write every resync.
   */
  private async applyYielding(k: KitObject, conflict: KubeApiError): Promise<void> {
    const keys = conflictingLabels(conflict.causes);
    if (!keys.length) throw conflict;
    const name = k.object.metadata!.name!;
    const applied = await this.patch(withoutLabels(k, keys));
    const theirs = Object.fromEntries(keys.map((key) => [key, applied.metadata?.labels?.[key] ?? '']));
    this.yielded.set(name, { ...this.yielded.get(name), ...theirs });
    const held = Object.entries(theirs).map(([key, v]) => `${key}=${v}`);
    this.warnOnce(
      `yield ${name} ${held.join(',')}`,
      `namespace ${name}: another manager set ${held.join(', ')}; keeping their values, Kentaur's other labels applied`,
    );
  }

  /** The namespace without the labels another manager holds, for as long as they hold the same values. */
  private yieldTo(k: KitObject): KitObject {
    const name = k.object.metadata!.name!;
    const theirs = k.type === Namespaces ? this.yielded.get(name) : undefined;
    if (!theirs) return k;
    // Not cached yet (the watch lags the write that labelled it): still theirs.
    const cached = this.kit.get(k.type, k.object);
    const labels = cached?.metadata?.labels ?? {};
    if (cached && Object.entries(theirs).some(([key, v]) => labels[key] !== v)) {
      this.yielded.delete(name);
      return k;
    }
    return withoutLabels(k, Object.keys(theirs));
  }

  private async writeStatus(tenant: Tenant, namespaces: readonly string[]): Promise<void> {
    const workloads = namespaces.flatMap((ns) => this.o.informers.workloads.byIndex(BY_NAMESPACE, ns));
    const status = tenantStatus({ tenant, workloads, tierWeights: this.o.tierWeights });
    await writeStatusIfChanged(this.o.client, Tenants, tenant, status);
  }

  private warnOnce(key: string, text: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(text);
  }
}
