import type { Tenant, Workload } from '@kentaur/api';
import type { Informer } from '@kentaur/k8s-runtime';
import type { Principal } from '../auth/principal';

/**
 * A number for everything a principal's workload reads depend on, which grows whenever any of it
 * changes: the principal's Tenant (its namespaces) and the cached workloads of those namespaces; for
 * an administrator, every workload and tenant. Two reads of the same query with the same stamp read
 * the same data, which is what lets the response cache (ADR 19) answer the second from the first.
 *
 * Every change the informers report takes the next number of one sequence and records it for the
 * namespace (or tenant) it touched; a stamp is the largest number recorded for what the principal
 * reads. A change to any of that records a number larger than every stamp before it, so the stamp
 * grows; a change elsewhere leaves it as it was. The informers call their handlers synchronously
 * as they change their caches, relists included, so a stamp taken before a read never belongs to
 * older data than the read sees.
 */
export class ReadStamps {
  private last = 0;
  private readonly byNamespace = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();
  private readonly tenants: Informer<Tenant>;

  constructor(o: { workloads: Informer<Workload>; tenants: Informer<Tenant> }) {
    this.tenants = o.tenants;
    const workload = (w: Workload) => this.byNamespace.set(w.metadata.namespace ?? '', ++this.last);
    o.workloads.addHandlers({
      onAdd: workload,
      onUpdate: (old, w) => {
        workload(old);
        workload(w);
      },
      onDelete: workload,
    });
    const tenant = (t: Tenant) => this.byTenant.set(t.metadata.name ?? '', ++this.last);
    o.tenants.addHandlers({ onAdd: tenant, onUpdate: (_old, t) => tenant(t), onDelete: tenant });
  }

  /** The stamp of what `principal` reads; undefined when its tenant is unknown (its reads fail). */
  of(principal: Principal): number | undefined {
    if (principal.role === 'admin') return this.last;
    const name = principal.tenant;
    const tenant = name === undefined ? undefined : this.tenants.get(name);
    if (!tenant) return undefined;
    let stamp = this.byTenant.get(name!) ?? 0;
    for (const ns of tenant.spec.namespaces) stamp = Math.max(stamp, this.byNamespace.get(ns) ?? 0);
    return stamp;
  }
}
