import type { AcceleratorPool, Tenant, Workload } from '@kentaur/api';
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
  /** Σ share² of allocated devices by vendor: 1 = one vendor holds everything. */
  vendorConcentration: number;
  /** Share of running workloads that at least two vendors could run. */
  portableShare: number;
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
  const elapsedHours = Math.max(0, Math.min(o.nowMs, o.toMs) - o.fromMs) / 3_600_000;
  const allocated = [...rows.values()].reduce((a, r) => a + r.allocated, 0);
  return [...rows.entries()]
    .map(([vendor, r]) => ({
      vendor,
      ...r,
      utilisation: share(r.deviceHours, r.devices * elapsedHours),
      share: share(r.allocated, allocated),
    }))
    .sort((a, b) => a.vendor.localeCompare(b.vendor));
}

/** The report from usage slices of the period and the factory's state now (pools, running work). */
export function transparencyFromSlices(o: {
  period: 'day' | 'month';
  fromMs: number;
  toMs: number;
  nowMs: number;
  slices: readonly UsageSlice[];
  pools: readonly AcceleratorPool[];
  workloads: readonly Workload[];
}): TransparencyReport {
  const sum = (f: (x: UsageSlice) => number) => o.slices.reduce((a, x) => a + f(x), 0);
  const vendors = byVendor(o.slices, o.pools, o);
  const running = o.workloads.filter((w) => ['Admitted', 'Running'].includes(w.status?.phase ?? ''));
  return {
    period: o.period,
    from: new Date(o.fromMs).toISOString(),
    to: new Date(o.toMs).toISOString(),
    energyKWh: sum((x) => x.energyKWh),
    measuredEnergyShare: share(
      sum((x) => x.measuredEnergyKWh ?? 0),
      sum((x) => x.energyKWh),
    ),
    co2eKg: sum((x) => x.co2eKg),
    facilityOverheadKWh: sum((x) => x.energyKWh * (1 - 1 / x.pue)),
    heatReusedKWh: sum((x) => x.energyKWh * x.heatReuseFraction),
    deviceHours: sum((x) => x.deviceHours),
    vendors,
    tiers: byTier(o.slices),
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
