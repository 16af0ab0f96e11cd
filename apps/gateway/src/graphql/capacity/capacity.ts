import { siteReachable, type AcceleratorPool, type Site, type Workload } from '@kentaur/api';

export interface CapacityEntry {
  site: string;
  vendor: string;
  model: string;
  pools: number;
  total: number;
  allocated: number;
  free: number;
}

/** One site: what its Site object says (null without one) and the devices of its pools. */
export interface SiteCapacity {
  name: string;
  country: string | null;
  /** null: unknown (no Site object, or the controller has not reported on it yet). */
  reachable: boolean | null;
  pue: number | null;
  gridCarbonGramsPerKWh: number | null;
  pricePerKWhEUR: number | null;
  pools: number;
  total: number;
  allocated: number;
  free: number;
}

const WAITING = new Set(['Pending', 'Queued', 'Preempted']);

/**
 * Devices open to new admissions in a pool: none when it is cordoned or its site is known to be
 * unreachable (nothing new is admitted there), else allocatable − allocated (never below 0).
 */
function freeOf(p: AcceleratorPool, unreachable: ReadonlySet<string>): number {
  if (p.spec.cordoned || unreachable.has(p.spec.site)) return 0;
  const d = p.status?.devices;
  return Math.max(0, (d?.allocatable ?? 0) - (d?.allocated ?? 0));
}

const unreachableSites = (sites: readonly Site[]) =>
  new Set(sites.filter((s) => siteReachable(s) === false).map((s) => s.metadata.name!));

/** Devices by site, vendor and model, from the pools' status (as the controller last wrote it). */
export function capacityBy(pools: readonly AcceleratorPool[], sites: readonly Site[] = []): CapacityEntry[] {
  const unreachable = unreachableSites(sites);
  const rows = new Map<string, CapacityEntry>();
  for (const p of pools) {
    const key = `${p.spec.site}\u0000${p.spec.vendor}\u0000${p.spec.model}`;
    const row = rows.get(key) ?? {
      site: p.spec.site,
      vendor: p.spec.vendor,
      model: p.spec.model,
      pools: 0,
      total: 0,
      allocated: 0,
      free: 0,
    };
    const d = p.status?.devices;
    row.pools++;
    row.total += d?.allocatable ?? 0;
    row.allocated += d?.allocated ?? 0;
    row.free += freeOf(p, unreachable);
    rows.set(key, row);
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.site.localeCompare(b.site) || a.vendor.localeCompare(b.vendor) || a.model.localeCompare(b.model),
  );
}

/**
 * One row per site that has a Site object or a pool, sorted by name: the devices summed over its
 * pools (the same rules as `capacityBy`, so a site's figures are the sum of its entries).
 */
export function capacityBySite(pools: readonly AcceleratorPool[], sites: readonly Site[]): SiteCapacity[] {
  const unreachable = unreachableSites(sites);
  const rows = new Map<string, SiteCapacity>();
  const row = (name: string, site?: Site): SiteCapacity => {
    const known = rows.get(name);
    if (known) return known;
    const created: SiteCapacity = {
      name,
      country: site?.spec.country ?? null,
      reachable: siteReachable(site) ?? null,
      pue: site?.spec.pue ?? null,
      gridCarbonGramsPerKWh: site?.spec.gridCarbonGramsPerKWh ?? null,
      pricePerKWhEUR: site?.spec.pricePerKWhEUR ?? null,
      pools: 0,
      total: 0,
      allocated: 0,
      free: 0,
    };
    rows.set(name, created);
    return created;
  };
  for (const s of sites) row(s.metadata.name!, s);
  for (const p of pools) {
    const r = row(p.spec.site);
    const d = p.status?.devices;
    r.pools++;
    r.total += d?.allocatable ?? 0;
    r.allocated += d?.allocated ?? 0;
    r.free += freeOf(p, unreachable);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Workloads waiting for admission and the devices they ask for. */
export function queueDepth(workloads: readonly Workload[]): { workloads: number; devices: number } {
  let n = 0;
  let devices = 0;
  for (const w of workloads) {
    if (w.spec.cancel || w.metadata.deletionTimestamp || !WAITING.has(w.status?.phase ?? 'Pending')) continue;
    n++;
    devices += (w.spec.replicas ?? 1) * w.spec.accelerators.count;
  }
  return { workloads: n, devices };
}
