import type { AcceleratorPool, Tenant, Workload } from '@kentaur/api';
import { addInterval, hoursWithin, zeroTotals, type UsageInterval } from '../usage/intervals';

/**
 * The public figures: energy, CO2e, facility overhead, heat reused, utilisation and shares by vendor,
 * device-hours by tenant tier, vendor concentration and portability. No tenant or workload names.
 */
export interface TransparencyReport {
  period: 'day' | 'month';
  from: string;
  to: string;
  energyKWh: number;
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

function byTier(
  intervals: readonly UsageInterval[],
  tierOf: (ns: string) => string,
  fromMs: number,
  toMs: number,
) {
  const hours = new Map<string, number>();
  for (const i of intervals) {
    const tier = tierOf(i.namespace);
    hours.set(tier, (hours.get(tier) ?? 0) + i.devices * hoursWithin(i, fromMs, toMs));
  }
  const total = [...hours.values()].reduce((a, b) => a + b, 0);
  return [...hours.entries()]
    .map(([tier, deviceHours]) => ({ tier, deviceHours, share: share(deviceHours, total) }))
    .sort((a, b) => a.tier.localeCompare(b.tier));
}

function byVendor(
  intervals: readonly UsageInterval[],
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
  for (const i of intervals) row(i.vendor).deviceHours += i.devices * hoursWithin(i, o.fromMs, o.toMs);
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
  const totals = zeroTotals();
  let overhead = 0;
  let heat = 0;
  for (const i of o.intervals) {
    const hours = hoursWithin(i, fromMs, toMs);
    addInterval(totals, i, hours);
    overhead += i.kWhPerHour * hours * (1 - 1 / i.pue);
    heat += i.kWhPerHour * hours * i.heatReuseFraction;
  }
  const vendors = byVendor(o.intervals, o.pools, { fromMs, toMs, nowMs: o.nowMs });
  const running = o.workloads.filter((w) => ['Admitted', 'Running'].includes(w.status?.phase ?? ''));
  return {
    period: o.period,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    energyKWh: totals.energyKWh,
    co2eKg: totals.co2eKg,
    facilityOverheadKWh: overhead,
    heatReusedKWh: heat,
    deviceHours: totals.deviceHours,
    vendors,
    tiers: byTier(o.intervals, (ns) => tierOfNs.get(ns) ?? 'unknown', fromMs, toMs),
    vendorConcentration: vendors.reduce((a, v) => a + v.share * v.share, 0),
    portableShare: share(running.filter((w) => w.status?.portable).length, running.length),
  };
}
