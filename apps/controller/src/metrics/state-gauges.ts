import { Gauge } from 'prom-client';
import { siteReachable, type AcceleratorPool, type Site, type Tenant, type Workload } from '@kentaur/api';
import { herfindahl } from '@kentaur/core';
import type { ControllerMetrics } from './controller-metrics';

/** The cluster state the gauges read at each scrape (the informer caches). */
export interface StateSources {
  pools(): readonly AcceleratorPool[];
  workloads(): readonly Workload[];
  tenants(): readonly Tenant[];
  sites(): readonly Site[];
}

type Labels = Record<string, string>;
interface Row {
  labels: Labels;
  value: number;
}

/** Devices per pool and state: capacity, allocatable, allocated, free (allocatable − allocated). */
export function deviceRows(pools: readonly AcceleratorPool[]): Row[] {
  return pools.flatMap((p) => {
    const d = p.status?.devices ?? { capacity: 0, allocatable: 0, allocated: 0 };
    const base = { site: p.spec.site, vendor: p.spec.vendor, model: p.spec.model, pool: p.metadata.name! };
    const states: [string, number][] = [
      ['capacity', d.capacity],
      ['allocatable', d.allocatable],
      ['allocated', d.allocated],
      ['free', Math.max(0, d.allocatable - d.allocated)],
    ];
    return states.map(([state, value]) => ({ labels: { ...base, state }, value }));
  });
}

/** Nodes per pool, ready and not ready. */
export function poolNodeRows(pools: readonly AcceleratorPool[]): Row[] {
  return pools.flatMap((p) => {
    const nodes = p.status?.nodes ?? 0;
    const ready = p.status?.nodesReady ?? 0;
    const base = { site: p.spec.site, pool: p.metadata.name! };
    return [
      { labels: { ...base, state: 'ready' }, value: ready },
      { labels: { ...base, state: 'not_ready' }, value: Math.max(0, nodes - ready) },
    ];
  });
}

/**
 * Workloads by phase, their tenant's tier and the site of their admission. Work that waits (or
 * never ran) has no admission, hence site "" — which Prometheus stores as no site label.
 */
export function workloadRows(workloads: readonly Workload[], tenants: readonly Tenant[]): Row[] {
  const tierOf = new Map<string, string>();
  for (const t of tenants) for (const ns of t.spec.namespaces) tierOf.set(ns, t.spec.tier);
  const counts = new Map<string, Row>();
  for (const w of workloads) {
    const phase = w.status?.phase ?? 'Pending';
    const tier = tierOf.get(w.metadata.namespace ?? '') ?? 'unknown';
    const site = w.status?.admission?.site ?? '';
    const id = `${phase}\u0000${tier}\u0000${site}`;
    const row = counts.get(id) ?? { labels: { phase, tier, site }, value: 0 };
    row.value++;
    counts.set(id, row);
  }
  return [...counts.values()];
}

const REACHABILITY = ['true', 'false', 'unknown'] as const;

/**
 * Reachability of every site that has a Site object or a pool, as a state set (the convention of
 * kube-state-metrics' conditions): one series per status, 1 on the current one. A site with pools
 * but no Site object, or one the controller has not reported on yet, is "unknown".
 */
export function siteRows(sites: readonly Site[], pools: readonly AcceleratorPool[]): Row[] {
  const byName = new Map(sites.map((s) => [s.metadata.name!, s]));
  const names = [...new Set([...byName.keys(), ...pools.map((p) => p.spec.site)])].sort();
  return names.flatMap((site) => {
    const r = siteReachable(byName.get(site));
    const current = r === undefined ? 'unknown' : String(r);
    return REACHABILITY.map((status) => ({ labels: { site, status }, value: status === current ? 1 : 0 }));
  });
}

/** Per tenant: CU in use, guaranteed and limit CU, month's spend and budget. */
export function tenantRows(tenants: readonly Tenant[]): { usage: Row[]; quota: Row[]; spend: Row[] } {
  const usage: Row[] = [];
  const quota: Row[] = [];
  const spend: Row[] = [];
  for (const t of tenants) {
    const tenant = t.metadata.name!;
    const tier = t.spec.tier;
    usage.push({ labels: { tenant, tier }, value: t.status?.usageCU ?? 0 });
    quota.push({ labels: { tenant, kind: 'guaranteed' }, value: t.spec.quota.guaranteedCU });
    quota.push({ labels: { tenant, kind: 'limit' }, value: t.spec.quota.limitCU });
    spend.push({ labels: { tenant, kind: 'spent' }, value: t.status?.monthSpentEUR ?? 0 });
    if (t.spec.budget?.monthlyEUR !== undefined)
      spend.push({ labels: { tenant, kind: 'budget' }, value: t.spec.budget.monthlyEUR });
  }
  return { usage, quota, spend };
}

/** Herfindahl index of allocated devices by vendor. */
export function vendorConcentration(pools: readonly AcceleratorPool[]): number {
  const byVendor = new Map<string, number>();
  for (const p of pools)
    byVendor.set(p.spec.vendor, (byVendor.get(p.spec.vendor) ?? 0) + (p.status?.devices?.allocated ?? 0));
  return herfindahl([...byVendor.values()]);
}

/** Share of admitted and running workloads that two or more vendors could run (0 when none run). */
export function portableShare(workloads: readonly Workload[]): number {
  const running = workloads.filter((w) => ['Admitted', 'Running'].includes(w.status?.phase ?? ''));
  return running.length ? running.filter((w) => w.status?.portable).length / running.length : 0;
}

function gauge(
  m: ControllerMetrics,
  o: { name: string; help: string; labelNames?: string[]; rows: () => Row[] },
) {
  return new Gauge({
    name: o.name,
    help: o.help,
    labelNames: o.labelNames ?? [],
    registers: [m.registry],
    collect() {
      this.reset();
      for (const r of o.rows()) this.set(r.labels, r.value);
    },
  });
}

/** Registers the state gauges; each is computed from `sources` when Prometheus scrapes. */
export function registerStateGauges(m: ControllerMetrics, s: StateSources): void {
  gauge(m, {
    name: 'kentaur_devices',
    help: 'Accelerator devices by pool and state.',
    labelNames: ['site', 'vendor', 'model', 'pool', 'state'],
    rows: () => deviceRows(s.pools()),
  });
  gauge(m, {
    name: 'kentaur_pool_nodes',
    help: 'Nodes of each pool, ready or not.',
    labelNames: ['site', 'pool', 'state'],
    rows: () => poolNodeRows(s.pools()),
  });
  gauge(m, {
    name: 'kentaur_workloads',
    help: 'Workloads by phase, tenant tier and the site they were admitted to (none while waiting).',
    labelNames: ['phase', 'tier', 'site'],
    rows: () => workloadRows(s.workloads(), s.tenants()),
  });
  gauge(m, {
    name: 'kentaur_site_reachable',
    help: "Whether the controller reaches each site's cluster: 1 on the current status (true, false or unknown).",
    labelNames: ['site', 'status'],
    rows: () => siteRows(s.sites(), s.pools()),
  });
  gauge(m, {
    name: 'kentaur_tenant_usage_cu',
    help: 'Compute units in use by each tenant.',
    labelNames: ['tenant', 'tier'],
    rows: () => tenantRows(s.tenants()).usage,
  });
  gauge(m, {
    name: 'kentaur_tenant_quota_cu',
    help: 'Guaranteed and limit compute units of each tenant.',
    labelNames: ['tenant', 'kind'],
    rows: () => tenantRows(s.tenants()).quota,
  });
  gauge(m, {
    name: 'kentaur_tenant_spend_eur',
    help: "Each tenant's spend this month and its monthly budget.",
    labelNames: ['tenant', 'kind'],
    rows: () => tenantRows(s.tenants()).spend,
  });
  gauge(m, {
    name: 'kentaur_vendor_concentration',
    help: 'Herfindahl index of allocated devices by vendor (1: one vendor).',
    rows: () => [{ labels: {}, value: vendorConcentration(s.pools()) }],
  });
  gauge(m, {
    name: 'kentaur_portable_share',
    help: 'Share of running workloads that two or more vendors could run.',
    rows: () => [{ labels: {}, value: portableShare(s.workloads()) }],
  });
}
