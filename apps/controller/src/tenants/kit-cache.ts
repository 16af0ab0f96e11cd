import {
  Informer,
  type KubeClient,
  type KubeObject,
  LimitRanges,
  Namespaces,
  ResourceQuotas,
  type ResourceType,
} from '@kentaur/k8s-runtime';
import { ADMITTED_PRIORITY_CLASS, MANAGED_BY, MANAGED_BY_LABEL, TENANT_LABEL } from './namespace-kit';
import { NetworkPolicies, PriorityClasses } from './resource-types';

/** What a kit object's change concerns: a tenant (by its label), or the cluster-scoped objects. */
export type KitChange = { tenant: string } | { cluster: true };

/**
 * Caches of the objects the kit writes, filtered by label to Kentaur's own. They serve two ends:
 * a deleted or edited kit object is an event that brings its tenant back into the queue (repaired
 * at once, not at the next resync), and an object that already matches is not applied again, so a
 * resync of every tenant costs reads from memory instead of writes to the API server.
 *
 * Namespaces are cached only once they carry the tenant label: a namespace without it is one
 * Kentaur has not labelled yet, and is applied.
 */
export class KitCache {
  private readonly informers = new Map<ResourceType, Informer<KubeObject>>();

  constructor(o: { client: KubeClient; onRestart?: (resource: string, cause: unknown) => void }) {
    const owned = `${MANAGED_BY_LABEL}=${MANAGED_BY},${TENANT_LABEL}`;
    const watch = (type: ResourceType, selector: { labelSelector?: string; fieldSelector?: string }) =>
      this.informers.set(
        type,
        new Informer<KubeObject>({
          client: o.client,
          type,
          ...selector,
          onRestart: (e) => o.onRestart?.(type.plural, e),
        }),
      );
    watch(Namespaces, { labelSelector: TENANT_LABEL });
    for (const type of [ResourceQuotas, LimitRanges, NetworkPolicies]) watch(type, { labelSelector: owned });
    watch(PriorityClasses, { fieldSelector: `metadata.name=${ADMITTED_PRIORITY_CLASS}` });
  }

  /** Calls `onChange` when a kit object is changed or deleted by anyone (Kentaur's writes included). */
  onChange(onChange: (change: KitChange) => void): void {
    for (const [type, informer] of this.informers) {
      const changed = (...objects: KubeObject[]) => {
        if (type === PriorityClasses) return onChange({ cluster: true });
        const tenants = new Set(objects.map((o) => o.metadata?.labels?.[TENANT_LABEL]));
        for (const tenant of tenants) if (tenant) onChange({ tenant });
      };
      informer.addHandlers({ onUpdate: changed, onDelete: changed });
    }
  }

  start(): void {
    for (const i of this.informers.values()) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  /** The cached copy of a kit object; never mutate it. */
  get(type: ResourceType, obj: KubeObject): KubeObject | undefined {
    const { name, namespace } = obj.metadata ?? {};
    return this.informers.get(type)?.get(namespace ? `${namespace}/${name}` : (name ?? ''));
  }
}
