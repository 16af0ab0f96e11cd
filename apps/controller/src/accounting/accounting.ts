import type { AcceleratorPool, Site, Tenant, Workload } from '@kentaur/api';
import { DEFAULT_UTILISATION_FACTOR, quote } from '@kentaur/core';
import type { Accounting, WorkloadAttribution } from '@kentaur/ledger';
import type { SnapshotDefaults } from '@kentaur/vendors';

/** What an accounting tick reads: the informer caches and the installation's defaults. */
export interface AccountingContext {
  pools: ReadonlyMap<string, AcceleratorPool>;
  sites: ReadonlyMap<string, Site>;
  /** Tenant of each namespace. */
  tenantOf: ReadonlyMap<string, Tenant>;
  defaults: SnapshotDefaults;
  nowMs: number;
}

const HOLDING = new Set(['Admitted', 'Running']);
const FINISHED = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** When a finished workload stopped using its devices: its Finished condition, else now. */
function endOf(w: Workload, nowMs: number): number {
  const c = w.status?.conditions?.find((x) => x.type === 'Finished' && x.status === 'True');
  const t = c ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? Math.min(t, nowMs) : nowMs;
}

/** Price, energy (utilisation and PUE included) and CO2e per hour of the admission's devices. */
export function ratesOf(w: Workload, ctx: Pick<AccountingContext, 'pools' | 'sites' | 'defaults'>) {
  const a = w.status!.admission!;
  const pool = ctx.pools.get(a.pool)?.spec;
  const site = ctx.sites.get(a.site)?.spec;
  const q = quote({
    shape: { replicas: w.spec.replicas ?? 1, devicesPerReplica: w.spec.accelerators.count },
    pool: {
      pricePerDeviceHourEUR: pool?.pricePerDeviceHourEUR ?? ctx.defaults.pricePerDeviceHourEUR,
      powerWattsPerDevice: pool?.powerWattsPerDevice ?? 0,
    },
    site: {
      pue: site?.pue ?? ctx.defaults.pue,
      gridCarbonGramsPerKWh: site?.gridCarbonGramsPerKWh ?? ctx.defaults.gridCarbonGramsPerKWh,
    },
    utilisationFactor: DEFAULT_UTILISATION_FACTOR,
  });
  return { eurPerHour: q.eurPerHour, kWhPerHour: q.kWhPerHour, co2eKgPerHour: q.co2eKgPerHour };
}

/**
 * The ledger call for a workload's current admission: up to now while it holds devices, up to its
 * end once finished. Undefined when it holds no admission (waiting, or preempted: the scheduling
 * loop accounts a victim before it clears the admission). Pure.
 */
export function accountingFor(w: Workload, ctx: AccountingContext): Accounting | undefined {
  const a = w.status?.admission;
  const phase = w.status?.phase ?? '';
  const admittedAtMs = a ? Date.parse(a.admittedAt) : NaN;
  if (!a || !w.metadata.uid || !Number.isFinite(admittedAtMs)) return undefined;
  if (!HOLDING.has(phase) && !FINISHED.has(phase)) return undefined;
  return {
    ...attribution(w, ctx),
    admittedAtMs,
    untilMs: FINISHED.has(phase) ? endOf(w, ctx.nowMs) : ctx.nowMs,
    rates: ratesOf(w, ctx),
  };
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
