import type { Tenant, Workload } from '@kentaur/api';
import type { Informer, InformerHandlers } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import type { Principal } from '../../auth/principal';
import { TenantScope } from '../../access/tenant-scope';
import { BY_NAMESPACE, type GatewayState } from '../../kube/gateway-state';
import { ListWorkloads } from './list-workloads.use-case';
import { WorkloadOrder } from './workload-order';

/**
 * The informer's side of the contract: its cache, its namespace index, and its handlers, which it
 * calls after its cache (and index) changed. This stands in for the informer only, not for Kubernetes.
 */
class CacheStandIn {
  private readonly objects = new Map<string, Workload>();
  private readonly handlers: InformerHandlers<Workload>[] = [];
  addHandlers(h: InformerHandlers<Workload>): void {
    this.handlers.push(h);
  }
  list(): Workload[] {
    return [...this.objects.values()];
  }
  byIndex(index: string, ns: string): Workload[] {
    if (index !== BY_NAMESPACE) throw new Error(`no index ${index}`);
    return this.list().filter((w) => w.metadata.namespace === ns);
  }
  upsert(w: Workload): void {
    const key = `${w.metadata.namespace}/${w.metadata.name}`;
    const old = this.objects.get(key);
    this.objects.set(key, w);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, w);
      else h.onAdd?.(w);
    }
  }
  delete(w: Workload): void {
    this.objects.delete(`${w.metadata.namespace}/${w.metadata.name}`);
    for (const h of this.handlers) h.onDelete?.(w);
  }
}

/** A workload created `second` seconds into 2025. */
const wl = (name: string, ns: string, second: number, phase?: Workload['status']): Workload => {
  const w = makeWorkload(name, ns).obj();
  const creationTimestamp = new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString();
  return { ...w, metadata: { ...w.metadata, creationTimestamp }, ...(phase ? { status: phase } : {}) };
};

function setup(...workloads: Workload[]) {
  const cache = new CacheStandIn();
  const order = new WorkloadOrder(cache as unknown as Informer<Workload>);
  for (const w of workloads) cache.upsert(w);
  return { cache, order };
}

const ns = (...names: string[]) => new Set(names);
const ids = (entries: readonly { item: Workload }[]) =>
  entries.map((e) => `${e.item.metadata.namespace}/${e.item.metadata.name}`);

describe('WorkloadOrder', () => {
  it('orders a namespace newest first, equal times by id', () => {
    const { order } = setup(
      wl('b', 'team-a', 5),
      wl('old', 'team-a', 1),
      wl('a', 'team-a', 5),
      wl('x', 'team-b', 9),
    );
    expect(ids(order.of(ns('team-a')))).toEqual(['team-a/a', 'team-a/b', 'team-a/old']);
  });

  it('sorts once while nothing changes', () => {
    const { order } = setup(wl('a', 'team-a', 1), wl('b', 'team-a', 2));
    expect(order.of(ns('team-a'))).toBe(order.of(ns('team-a')));
  });

  it('a workload added to a namespace is in its next read; other namespaces keep their order', () => {
    const { cache, order } = setup(wl('a', 'team-a', 1), wl('x', 'team-b', 1));
    order.of(ns('team-a'));
    const teamB = order.of(ns('team-b'));
    cache.upsert(wl('new', 'team-a', 7));
    expect(ids(order.of(ns('team-a')))).toEqual(['team-a/new', 'team-a/a']);
    expect(order.of(ns('team-b'))).toBe(teamB);
  });

  it('a changed workload is read as it is now', () => {
    const { cache, order } = setup(wl('a', 'team-a', 1, { phase: 'Queued' }));
    expect(order.of(ns('team-a'))[0]?.item.status?.phase).toBe('Queued');
    cache.upsert(wl('a', 'team-a', 1, { phase: 'Running' }));
    expect(order.of(ns('team-a'))[0]?.item.status?.phase).toBe('Running');
  });

  it('a deleted workload is gone from the next read', () => {
    const doomed = wl('doomed', 'team-a', 2);
    const { cache, order } = setup(wl('a', 'team-a', 1), doomed);
    expect(ids(order.of(ns('team-a')))).toEqual(['team-a/doomed', 'team-a/a']);
    cache.delete(doomed);
    expect(ids(order.of(ns('team-a')))).toEqual(['team-a/a']);
  });

  it('merges several namespaces in page order; undefined (an administrator) reads all, kept current', () => {
    const { cache, order } = setup(wl('a', 'team-a', 1), wl('b', 'team-b', 3), wl('c', 'team-c', 2));
    expect(ids(order.of(ns('team-a', 'team-b')))).toEqual(['team-b/b', 'team-a/a']);
    expect(ids(order.of(undefined))).toEqual(['team-b/b', 'team-c/c', 'team-a/a']);
    cache.upsert(wl('d', 'team-c', 9));
    expect(ids(order.of(undefined))).toEqual(['team-c/d', 'team-b/b', 'team-c/c', 'team-a/a']);
  });

  it('a namespace without workloads reads empty, and fills when one arrives', () => {
    const { cache, order } = setup();
    expect(order.of(ns('team-a'))).toEqual([]);
    cache.upsert(wl('a', 'team-a', 1));
    expect(ids(order.of(ns('team-a')))).toEqual(['team-a/a']);
  });

  it("follows the tenant's namespaces as they are when the request comes (the scope is not cached)", () => {
    const { order } = setup(wl('a', 'team-a', 1), wl('b', 'team-b', 2));
    const tenants = new Map<string, Tenant>();
    const tenant = (namespaces: string[]) =>
      tenants.set('acme', { metadata: { name: 'acme' }, spec: { namespaces } } as unknown as Tenant);
    const state = { tenant: (name: string) => tenants.get(name) } as unknown as GatewayState;
    const principal: Principal = { subject: 'dev:acme', role: 'tenant', tenant: 'acme', via: 'development' };
    const list = new ListWorkloads({ order, maxPageSize: 100 });
    const page = (filter?: { phases: string[] }) =>
      list.execute(new TenantScope(principal, state), { filter }).edges.map((e) => e.node.name);
    tenant(['team-a']);
    expect(page()).toEqual(['a']);
    tenant(['team-b']);
    expect(page()).toEqual(['b']);
    tenant(['team-a', 'team-b']);
    expect(page()).toEqual(['b', 'a']);
    expect(page({ phases: ['Running'] })).toEqual([]);
    expect(page({ phases: ['Pending'] })).toEqual(['b', 'a']);
  });
});
