import type { AcceleratorPool, Site, Workload } from '@kentaur/api';
import { DEFAULT_UTILISATION_FACTOR, quote } from '@kentaur/core';
import type { UsageTotals } from '@kentaur/ledger';

/**
 * Usage derived from Workload status: each admission is an interval from admittedAt to the time the
 * workload finished (its Finished condition) or now, priced with its pool and site. This is the
 * gateway's source until the usage ledger exists; it sees only a workload's current admission, so
 * the time of an earlier attempt that was preempted is not counted.
 */
export interface UsageInterval {
  namespace: string;
  workload: string;
  priorityClass: string;
  site: string;
  vendor: string;
  model: string;
  pool: string;
  devices: number;
  computeUnits: number;
  portable: boolean;
  startMs: number;
  endMs: number;
  eurPerHour: number;
  kWhPerHour: number;
  co2eKgPerHour: number;
  pue: number;
  heatReuseFraction: number;
}

export interface IntervalContext {
  pools: ReadonlyMap<string, AcceleratorPool>;
  sites: ReadonlyMap<string, Site>;
  defaults: { pricePerDeviceHourEUR: number; pue: number; gridCarbonGramsPerKWh: number };
  nowMs: number;
}

function endOf(w: Workload, nowMs: number): number {
  const finished = w.status?.conditions?.find((c) => c.type === 'Finished' && c.status === 'True');
  const t = finished ? Date.parse(finished.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? t : nowMs;
}

/** Price, energy and carbon per hour of `devices` on the admission's pool and site. */
function ratesOf(a: { pool: string; site: string }, w: Workload, ctx: IntervalContext) {
  const pool = ctx.pools.get(a.pool)?.spec;
  const site = ctx.sites.get(a.site)?.spec;
  const pue = site?.pue ?? ctx.defaults.pue;
  const q = quote({
    shape: { replicas: w.spec.replicas ?? 1, devicesPerReplica: w.spec.accelerators.count },
    pool: {
      pricePerDeviceHourEUR: pool?.pricePerDeviceHourEUR ?? ctx.defaults.pricePerDeviceHourEUR,
      powerWattsPerDevice: pool?.powerWattsPerDevice ?? 0,
    },
    site: { pue, gridCarbonGramsPerKWh: site?.gridCarbonGramsPerKWh ?? ctx.defaults.gridCarbonGramsPerKWh },
    utilisationFactor: DEFAULT_UTILISATION_FACTOR,
  });
  return {
    eurPerHour: q.eurPerHour,
    kWhPerHour: q.kWhPerHour,
    co2eKgPerHour: q.co2eKgPerHour,
    pue,
    heatReuseFraction: site?.heatReuseFraction ?? 0,
  };
}

export function usageInterval(w: Workload, ctx: IntervalContext): UsageInterval | undefined {
  const a = w.status?.admission;
  const startMs = a ? Date.parse(a.admittedAt) : NaN;
  if (!a || !Number.isFinite(startMs)) return undefined;
  return {
    namespace: w.metadata.namespace!,
    workload: w.metadata.name!,
    priorityClass: w.spec.priorityClass ?? 'standard',
    site: a.site,
    vendor: a.vendor,
    model: a.model,
    pool: a.pool,
    devices: (w.spec.replicas ?? 1) * w.spec.accelerators.count,
    computeUnits: a.computeUnits,
    portable: w.status?.portable ?? false,
    startMs,
    endMs: Math.max(startMs, endOf(w, ctx.nowMs)),
    ...ratesOf(a, w, ctx),
  };
}

export function intervalsOf(workloads: readonly Workload[], ctx: IntervalContext): UsageInterval[] {
  return workloads.map((w) => usageInterval(w, ctx)).filter((i): i is UsageInterval => i !== undefined);
}

/** Hours of the interval inside [fromMs, toMs). */
export function hoursWithin(
  i: Pick<UsageInterval, 'startMs' | 'endMs'>,
  fromMs: number,
  toMs: number,
): number {
  return Math.max(0, Math.min(i.endMs, toMs) - Math.max(i.startMs, fromMs)) / 3_600_000;
}

export type { UsageTotals } from '@kentaur/ledger';

export const zeroTotals = (): UsageTotals => ({
  deviceHours: 0,
  computeUnitHours: 0,
  energyKWh: 0,
  co2eKg: 0,
  costEUR: 0,
});

export function addInterval(t: UsageTotals, i: UsageInterval, hours: number): void {
  t.deviceHours += i.devices * hours;
  t.computeUnitHours += i.computeUnits * hours;
  t.energyKWh += i.kWhPerHour * hours;
  t.co2eKg += i.co2eKgPerHour * hours;
  t.costEUR += i.eurPerHour * hours;
}
