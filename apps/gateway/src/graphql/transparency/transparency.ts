import type { AcceleratorPool, Site, Tenant, Workload } from '@kentaur/api';
import { herfindahl } from '@kentaur/core';
import { hoursWithin, type UsageInterval } from '../usage/intervals';

/**
 * The public figures: energy, CO2e, facility overhead, heat reused, utilisation and shares by vendor,
 * device-hours by tenant tier, vendor concentration and portability. No tenant or workload names.
 */
export interface TransparencyReport {
  period: 'day' | 'month';
  from: string;
  to: string;
  energyKWh: number;
  /** Share of energyKWh from the vendors' measured power (the rest: catalog power × utilisation). */
  measuredEnergyShare: number;
  co2eKg: number;
  facilityOverheadKWh: number;
  heatReusedKWh: number;
  deviceHours: number;
  vendors: {
    vendor: string;
    devices: number;
    allocated: number;
    deviceHours: number;
    utilisation: number;
    share: number;
  }[];
  tiers: { tier: string; deviceHours: number; share: number }[];
  /** The same figures by site; each energy, CO2e, overhead, heat and device-hour figure sums to its total. */
  sites: SiteFigures[];
  /** Σ share² of allocated devices by vendor: 1 = one vendor holds everything. */
  vendorConcentration: number;
  /** Share of running workloads that at least two vendors could run. */
  portableShare: number;
}

/** One site's part of the report. */
export interface SiteFigures {
  site: string;
  /** From the Site object; null without one. */
  country: string | null;
  /** The PUE the Site declares; null without a Site object or without spec.pue. */
  pue: number | null;
  energyKWh: number;
  measuredEnergyShare: number;
  co2eKg: number;
  facilityOverheadKWh: number;
  heatReusedKWh: number;
  deviceHours: number;
  /** Allocatable devices of the site's pools now. */
  devices: number;
  utilisation: number;
}

export function periodBounds(period: 'day' | 'month', atMs: number): { fromMs: number; toMs: number } {
  const d = new Date(atMs);
  if (period === 'day') {
    const fromMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { fromMs, toMs: fromMs + 86_400_000 };
  }
  return {
    fromMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    toMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

/**
 * Usage inside the period (already clipped to it), whatever its source: intervals derived from
 * Workload status, or the usage ledger's rows.
 */
export interface UsageSlice {
  /** Where the devices ran: the admission's site (intervals) or the ledger row's. */
  site: string;
  tier: string;
  vendor: string;
  deviceHours: number;
  /** Facility energy (PUE included). */
  energyKWh: number;
  /** The part of energyKWh from measured power (none without a ledger). */
  measuredEnergyKWh?: number;
  co2eKg: number;
  pue: number;
  heatReuseFraction: number;
}

export function slicesFromIntervals(
  intervals: readonly UsageInterval[],
  o: { tierOf: (ns: string) => string; fromMs: number; toMs: number },
): UsageSlice[] {
  return intervals.map((i) => {
    const hours = hoursWithin(i, o.fromMs, o.toMs);
    return {
      site: i.site,
      tier: o.tierOf(i.namespace),
      vendor: i.vendor,
      deviceHours: i.devices * hours,
      energyKWh: i.kWhPerHour * hours,
      co2eKg: i.co2eKgPerHour * hours,
      pue: i.pue,
      heatReuseFraction: i.heatReuseFraction,
    };
  });
}

function byTier(slices: readonly UsageSlice[]) {
  const hours = new Map<string, number>();
  for (const x of slices) hours.set(x.tier, (hours.get(x.tier) ?? 0) + x.deviceHours);
  const total = [...hours.values()].reduce((a, b) => a + b, 0);
  return [...hours.entries()]
    .map(([tier, deviceHours]) => ({ tier, deviceHours, share: share(deviceHours, total) }))
    .sort((a, b) => a.tier.localeCompare(b.tier));
}

function byVendor(
  slices: readonly UsageSlice[],
  pools: readonly AcceleratorPool[],
  o: { fromMs: number; toMs: number; nowMs: number },
) {
  const rows = new Map<string, { devices: number; allocated: number; deviceHours: number }>();
  const row = (v: string) => rows.get(v) ?? rows.set(v, { devices: 0, allocated: 0, deviceHours: 0 }).get(v)!;
  for (const p of pools) {
    const r = row(p.spec.vendor);
    r.devices += p.status?.devices?.allocatable ?? 0;
    r.allocated += p.status?.devices?.allocated ?? 0;
  }
  for (const x of slices) row(x.vendor).deviceHours += x.deviceHours;
  const hours = elapsedHours(o);
  const allocated = [...rows.values()].reduce((a, r) => a + r.allocated, 0);
  return [...rows.entries()]
    .map(([vendor, r]) => ({
      vendor,
      ...r,
      utilisation: share(r.deviceHours, r.devices * hours),
      share: share(r.allocated, allocated),
    }))
    .sort((a, b) => a.vendor.localeCompare(b.vendor));
}

/** Energy, CO2e, overhead, heat and device-hours of some slices; the measured part of the energy. */
function sums(slices: readonly UsageSlice[]) {
  const sum = (f: (x: UsageSlice) => number) => slices.reduce((a, x) => a + f(x), 0);
  const energyKWh = sum((x) => x.energyKWh);
  return {
    energyKWh,
    measuredEnergyShare: share(
      sum((x) => x.measuredEnergyKWh ?? 0),
      energyKWh,
    ),
    co2eKg: sum((x) => x.co2eKg),
    facilityOverheadKWh: sum((x) => x.energyKWh * (1 - 1 / x.pue)),
    heatReusedKWh: sum((x) => x.energyKWh * x.heatReuseFraction),
    deviceHours: sum((x) => x.deviceHours),
  };
}

const elapsedHours = (o: { fromMs: number; toMs: number; nowMs: number }) =>
  Math.max(0, Math.min(o.nowMs, o.toMs) - o.fromMs) / 3_600_000;

/**
 * Every site that has a Site object, a pool or usage in the period, sorted by name. Each slice
 * belongs to exactly one site, so the sites' figures add up to the report's totals.
 */
export function bySite(
  slices: readonly UsageSlice[],
  pools: readonly AcceleratorPool[],
  sites: readonly Site[],
  o: { fromMs: number; toMs: number; nowMs: number },
): SiteFigures[] {
  const names = new Set<string>([
    ...sites.map((s) => s.metadata.name!),
    ...pools.map((p) => p.spec.site),
    ...slices.map((x) => x.site),
  ]);
  const spec = new Map(sites.map((s) => [s.metadata.name!, s.spec]));
  const hours = elapsedHours(o);
  return [...names]
    .sort((a, b) => a.localeCompare(b))
    .map((site) => {
      const devices = pools
        .filter((p) => p.spec.site === site)
        .reduce((a, p) => a + (p.status?.devices?.allocatable ?? 0), 0);
      const figures = sums(slices.filter((x) => x.site === site));
      return {
        site,
        country: spec.get(site)?.country ?? null,
        pue: spec.get(site)?.pue ?? null,
        ...figures,
        devices,
        utilisation: share(figures.deviceHours, devices * hours),
      };
    });
}

/** The report from usage slices of the period and the factory's state now (pools, running work). */
export function transparencyFromSlices(o: {
  period: 'day' | 'month';
  fromMs: number;
  toMs: number;
  nowMs: number;
  slices: readonly UsageSlice[];
  pools: readonly AcceleratorPool[];
  sites: readonly Site[];
  workloads: readonly Workload[];
}): TransparencyReport {
  const vendors = byVendor(o.slices, o.pools, o);
  const running = o.workloads.filter((w) => ['Admitted', 'Running'].includes(w.status?.phase ?? ''));
  return {
    period: o.period,
    from: new Date(o.fromMs).toISOString(),
    to: new Date(o.toMs).toISOString(),
    ...sums(o.slices),
    vendors,
    tiers: byTier(o.slices),
    sites: bySite(o.slices, o.pools, o.sites, o),
    vendorConcentration: herfindahl(vendors.map((v) => v.allocated)),
    portableShare: share(running.filter((w) => w.status?.portable).length, running.length),
  };
}

/** The report from intervals derived from Workload status (no ledger). */
export function transparencyReport(o: {
  period: 'day' | 'month';
  atMs: number;
  nowMs: number;
  intervals: readonly UsageInterval[];
  pools: readonly AcceleratorPool[];
  sites: readonly Site[];
  tenants: readonly Tenant[];
  workloads: readonly Workload[];
}): TransparencyReport {
  const { fromMs, toMs } = periodBounds(o.period, o.atMs);
  const tierOfNs = new Map<string, string>();
  for (const t of o.tenants) for (const ns of t.spec.namespaces) tierOfNs.set(ns, t.spec.tier);
  const slices = slicesFromIntervals(o.intervals, {
    tierOf: (ns) => tierOfNs.get(ns) ?? 'unknown',
    fromMs,
    toMs,
  });
  return transparencyFromSlices({ ...o, fromMs, toMs, slices });
}
