import type { AcceleratorPool, Site, Tenant, Workload } from '@kentaur/api';
import { DEFAULT_UTILISATION_FACTOR, quote } from '@kentaur/core';
import type { Accounting, DeviceRun, EnergySource, UsageRates, WorkloadAttribution } from '@kentaur/ledger';
import type { SnapshotDefaults } from '@kentaur/vendors';
import { floorToSecond } from './pod-runs';

/** What an accounting tick reads: the informer caches and the installation's defaults. */
export interface AccountingContext {
  pools: ReadonlyMap<string, AcceleratorPool>;
  sites: ReadonlyMap<string, Site>;
  /** Tenant of each namespace. */
  tenantOf: ReadonlyMap<string, Tenant>;
  defaults: SnapshotDefaults;
  nowMs: number;
  /**
   * The runs of a workload's pods (its current attempt): usage is then metered, in whole seconds,
   * from the device-time the pods really ran. Absent: the admission counts from admittedAt.
   */
  runsOf?: (w: Workload) => readonly DeviceRun[];
  /**
   * Up to when the pod cache behind `runsOf` is known to reflect the server: metered accounting
   * stops there (a pod that finished while the cache was not following would otherwise be billed as
   * running, and the ledger never rewrites what it wrote). Default: now.
   */
  podsCurrentUntilMs?: number;
  /**
   * The same for the cluster of each site (federation): a site that stopped answering is metered
   * only up to its last known state. Default: podsCurrentUntilMs for all.
   */
  siteCurrentUntilMs?: (site: string) => number;
  /** Measured power, when the controller reads the vendors' exporters: energy then follows it. */
  power?: MeasuredPower;
}

export interface MeasuredPower {
  /** Average watts of one device on each node over the last window (from the vendors' exporters). */
  wattsPerDevice: ReadonlyMap<string, number>;
  /** Devices of the workload's current attempt by node. */
  readonly devicesByNodeOf: (w: Workload) => ReadonlyMap<string, number>;
}

/**
 * Watts per device of a workload: measured on its nodes that report power, catalog power × the
 * utilisation factor on the others; undefined when none of its nodes reports. Pure.
 */
export function measuredWattsPerDevice(
  w: Workload,
  power: MeasuredPower,
  catalogWatts: number,
): number | undefined {
  let devices = 0;
  let measured = 0;
  let watts = 0;
  for (const [node, n] of power.devicesByNodeOf(w)) {
    const m = power.wattsPerDevice.get(node);
    devices += n;
    if (m === undefined) watts += n * catalogWatts * DEFAULT_UTILISATION_FACTOR;
    else {
      measured += n;
      watts += n * m;
    }
  }
  return measured > 0 ? watts / devices : undefined;
}

const HOLDING = new Set(['Admitted', 'Running']);
const FINISHED = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** When a finished workload stopped using its devices: its Finished condition, else now. */
export function endOf(w: Workload, nowMs: number): number {
  const c = w.status?.conditions?.find((x) => x.type === 'Finished' && x.status === 'True');
  const t = c ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? Math.min(t, nowMs) : nowMs;
}

/**
 * Price, energy (PUE included) and CO2e per hour of the admission's devices. Energy follows the
 * measured power of its nodes when there is one, else the pool's catalog power × the utilisation
 * factor.
 */
export function ratesOf(
  w: Workload,
  ctx: Pick<AccountingContext, 'pools' | 'sites' | 'defaults' | 'power'>,
): UsageRates & { energySource: EnergySource } {
  const a = w.status!.admission!;
  const pool = ctx.pools.get(a.pool)?.spec;
  const catalogWatts = pool?.powerWattsPerDevice ?? 0;
  const measured = ctx.power ? measuredWattsPerDevice(w, ctx.power, catalogWatts) : undefined;
  const q = quote({
    shape: { replicas: w.spec.replicas ?? 1, devicesPerReplica: w.spec.accelerators.count },
    pool: {
      pricePerDeviceHourEUR: pool?.pricePerDeviceHourEUR ?? ctx.defaults.pricePerDeviceHourEUR,
      powerWattsPerDevice: measured ?? catalogWatts,
    },
    site: siteFigures(ctx.sites.get(a.site), ctx.defaults),
    // Measured power is what the devices drew: no utilisation estimate on top.
    utilisationFactor: measured === undefined ? DEFAULT_UTILISATION_FACTOR : 1,
  });
  return {
    eurPerHour: q.eurPerHour,
    kWhPerHour: q.kWhPerHour,
    co2eKgPerHour: q.co2eKgPerHour,
    energySource: measured === undefined ? 'catalog' : 'measured',
  };
}

/** A site's PUE and grid carbon intensity, the installation's defaults where it states none. */
function siteFigures(site: Site | undefined, defaults: SnapshotDefaults) {
  return {
    pue: site?.spec.pue ?? defaults.pue,
    gridCarbonGramsPerKWh: site?.spec.gridCarbonGramsPerKWh ?? defaults.gridCarbonGramsPerKWh,
  };
}

/** A finished workload's admission is accounted to its end once, and then never again. */
export const isFinished = (w: Workload): boolean => FINISHED.has(w.status?.phase ?? '');

/**
 * The ledger call for a workload's current admission: up to now while it holds devices, up to its
 * end once finished. Undefined when it holds no admission (waiting, or preempted: the scheduling
 * loop accounts a victim before it clears the admission). Metered (with `runsOf`), both ends are
 * whole seconds, like the pods' times: a pod's start is never before its admission's second, and
 * a running pod's open run ends exactly where the next interval starts. Pure.
 */
export function accountingFor(w: Workload, ctx: AccountingContext): Accounting | undefined {
  const a = w.status?.admission;
  const phase = w.status?.phase ?? '';
  const admittedAtMs = a ? Date.parse(a.admittedAt) : NaN;
  if (!a || !w.metadata.uid || !Number.isFinite(admittedAtMs)) return undefined;
  if (!HOLDING.has(phase) && !isFinished(w)) return undefined;
  const untilMs = isFinished(w) ? endOf(w, ctx.nowMs) : ctx.nowMs;
  const { energySource, ...rates } = ratesOf(w, ctx);
  const base = { ...attribution(w, ctx), rates, energySource };
  if (!ctx.runsOf) return { ...base, admittedAtMs, untilMs };
  const meteredUntil = floorToSecond(Math.min(untilMs, knownUntil(ctx, a.site, untilMs)));
  if (!(meteredUntil >= floorToSecond(admittedAtMs))) return undefined; // the cache has not caught up
  return {
    ...base,
    admittedAtMs: floorToSecond(admittedAtMs),
    untilMs: meteredUntil,
    runs: ctx.runsOf(w),
  };
}

/** Up to when the pods of the site's cluster are known (both caches' staleness); `fallback` if unknown. */
function knownUntil(ctx: AccountingContext, site: string, fallback: number): number {
  return Math.min(ctx.podsCurrentUntilMs ?? fallback, ctx.siteCurrentUntilMs?.(site) ?? fallback);
}

/** Who used the devices and where, copied onto every interval. */
function attribution(w: Workload, ctx: AccountingContext): WorkloadAttribution {
  const a = w.status!.admission!;
  const tenant = ctx.tenantOf.get(w.metadata.namespace ?? '');
  return {
    uid: w.metadata.uid!,
    attempt: w.status?.attempts ?? 1,
    tenant: tenant?.metadata.name ?? '',
    namespace: w.metadata.namespace!,
    name: w.metadata.name!,
    site: a.site,
    pool: a.pool,
    vendor: a.vendor,
    model: a.model,
    tier: tenant?.spec.tier ?? 'unknown',
    priorityClass: w.spec.priorityClass ?? 'standard',
    devices: (w.spec.replicas ?? 1) * w.spec.accelerators.count,
    computeUnits: a.computeUnits,
  };
}
