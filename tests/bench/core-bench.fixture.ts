import { seededRandom } from '../support/random';
import { PRIORITY_CLASSES, TIERS, type Precision, type PriorityClass } from '@kentaur/api';
import {
  ANY_VENDOR_IMAGE,
  nodeName,
  poolName,
  siteName,
  tenantName,
  workloadKey,
  type ClusterSnapshot,
  type NodeSnapshot,
  type OptimizeFor,
  type PendingWorkload,
  type PoolSnapshot,
  type RunningWorkload,
  type SiteSnapshot,
  type TenantSnapshot,
  type WorkloadClass,
} from '@kentaur/core';

/**
 * The gigafactory snapshot for the core benchmark: 100,000 devices in 12,500 nodes of four
 * vendors and two generations each where the vendor has them, over three sites; 1,000 tenants of
 * the five tiers; 50,000 pending workloads of mixed shapes; about a third of the fleet busy with
 * running work. Generated from a fixed seed, so every run schedules the same snapshot.
 */

export interface BenchSizes {
  /** Multiplies the node counts below (1 = 12,500 nodes). */
  readonly fleetScale: number;
  readonly tenants: number;
  readonly pending: number;
  /** Share of nodes that carry running work. */
  readonly busyShare: number;
}

export const FULL: BenchSizes = { fleetScale: 1, tenants: 1000, pending: 50_000, busyShare: 0.35 };
export const SMOKE: BenchSizes = { fleetScale: 0.04, tenants: 40, pending: 2_000, busyShare: 0.35 };

export const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const HOUR = 3_600_000;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number) => r() < p;

interface PoolType {
  vendor: string;
  model: string;
  memoryGB: number;
  cu: number;
  price: number;
  watts: number;
  precisions: Precision[];
  classes: ('training' | 'inference')[];
}

const HOPPER: Precision[] = ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8'];
const TYPES: Record<string, PoolType> = {
  h100: {
    vendor: 'nvidia',
    model: 'H100',
    memoryGB: 80,
    cu: 0.99,
    price: 2.4,
    watts: 700,
    precisions: HOPPER,
    classes: ['training', 'inference'],
  },
  h200: {
    vendor: 'nvidia',
    model: 'H200',
    memoryGB: 141,
    cu: 0.99,
    price: 3.1,
    watts: 700,
    precisions: HOPPER,
    classes: ['training', 'inference'],
  },
  mi300x: {
    vendor: 'amd',
    model: 'MI300X',
    memoryGB: 192,
    cu: 1.31,
    price: 2.1,
    watts: 750,
    precisions: HOPPER,
    classes: ['training', 'inference'],
  },
  mi325x: {
    vendor: 'amd',
    model: 'MI325X',
    memoryGB: 256,
    cu: 1.31,
    price: 2.6,
    watts: 1000,
    precisions: HOPPER,
    classes: ['training', 'inference'],
  },
  gaudi3: {
    vendor: 'intel',
    model: 'Gaudi3',
    memoryGB: 128,
    cu: 1.84,
    price: 1.7,
    watts: 900,
    precisions: ['fp32', 'tf32', 'bf16', 'fp16', 'fp8'],
    classes: ['training', 'inference'],
  },
  p150: {
    vendor: 'tenstorrent',
    model: 'p150',
    memoryGB: 32,
    cu: 0.33,
    price: 0.6,
    watts: 300,
    precisions: ['fp32', 'bf16', 'fp8'],
    classes: ['inference'],
  },
};

/** [site, type, nodes]: 12,500 nodes × 8 devices = 100,000 devices at scale 1. */
const LAYOUT: [string, keyof typeof TYPES, number][] = [
  ['dk-1', 'h100', 2000],
  ['dk-1', 'h200', 1500],
  ['dk-1', 'mi300x', 2000],
  ['dk-1', 'mi325x', 1000],
  ['dk-1', 'gaudi3', 1500],
  ['dk-1', 'p150', 1000],
  ['fi-1', 'h100', 1000],
  ['fi-1', 'mi300x', 1000],
  ['se-1', 'gaudi3', 750],
  ['se-1', 'p150', 750],
];

const SITES: SiteSnapshot[] = [
  { name: siteName('dk-1'), pue: 1.15, gridCarbonGramsPerKWh: 120, pricePerKWhEUR: 0.11 },
  { name: siteName('fi-1'), pue: 1.1, gridCarbonGramsPerKWh: 70, pricePerKWhEUR: 0.09 },
  { name: siteName('se-1'), pue: 1.12, gridCarbonGramsPerKWh: 30, pricePerKWhEUR: 0.08 },
];

function buildPools(sizes: BenchSizes): PoolSnapshot[] {
  return LAYOUT.map(([site, type, count]) => {
    const t = TYPES[type]!;
    const name = `${site}-${t.vendor}-${t.model.toLowerCase()}`;
    const nodes: NodeSnapshot[] = Array.from(
      { length: Math.max(1, Math.round(count * sizes.fleetScale)) },
      (_, i) => ({
        name: nodeName(`${name}-${i}`),
        capacity: 8,
        free: 8,
      }),
    );
    return {
      name: poolName(name),
      site: siteName(site),
      vendor: t.vendor,
      model: t.model,
      classes: t.classes,
      memoryGB: t.memoryGB,
      precisions: t.precisions,
      computeUnitsPerDevice: t.cu,
      pricePerDeviceHourEUR: t.price,
      powerWattsPerDevice: t.watts,
      cordoned: false,
      nodes,
    };
  });
}

const VENDORS = ['nvidia', 'amd', 'intel', 'tenstorrent'];

function vendorSubset(r: Rand): string[] {
  const subset = VENDORS.filter(() => chance(r, 0.6));
  return subset.length ? subset : [pick(r, VENDORS)];
}

function buildTenants(r: Rand, sizes: BenchSizes, fleetCU: number): TenantSnapshot[] {
  const meanGuarantee = (fleetCU * 0.6) / sizes.tenants;
  return Array.from({ length: sizes.tenants }, (_, i) => {
    const guaranteedCU = Math.round(meanGuarantee * (0.2 + 1.6 * r()));
    return {
      name: tenantName(`tenant-${i}`),
      tier: TIERS[i % TIERS.length]!,
      guaranteedCU,
      limitCU: guaranteedCU * (2 + Math.floor(r() * 3)),
      weight: 1 + Math.floor(r() * 3),
      ...(chance(r, 0.2) && { vendors: vendorSubset(r) }),
      ...(chance(r, 0.3) && { sites: [siteName('dk-1')] }),
      ...(chance(r, 0.3) && { monthlyBudgetEUR: 50_000 + Math.floor(r() * 200_000) }),
      monthSpentEUR: Math.floor(r() * 40_000),
      allowEmergency: chance(r, 0.05),
    };
  });
}

const PRIORITY_MIX: PriorityClass[] = [
  ...Array<PriorityClass>(2).fill('emergency'),
  ...Array<PriorityClass>(10).fill('public-interest'),
  ...Array<PriorityClass>(70).fill('standard'),
  ...Array<PriorityClass>(18).fill('preemptible'),
];
const PRECISION_SETS: Precision[][] = [[], ['bf16'], ['bf16'], ['fp8'], ['bf16', 'fp8'], ['fp16'], ['fp64']];
const CLASSES: WorkloadClass[] = ['any', 'any', 'any', 'training', 'training', 'inference'];
const GOALS: OptimizeFor[] = ['balanced', 'balanced', 'cost', 'energy', 'time'];

function pendingWorkload(r: Rand, i: number, tenants: readonly TenantSnapshot[]): PendingWorkload {
  const tenant = pick(r, tenants);
  const minMemory = r();
  return {
    key: workloadKey(`${tenant.name}/w-${i}`),
    tenant: tenant.name,
    priorityClass: pick(r, PRIORITY_MIX),
    createdAt: NOW - Math.floor(r() * 48 * HOUR),
    replicas: pick(r, [1, 1, 1, 1, 2, 2, 3, 4, 8]),
    devicesPerReplica: pick(r, [1, 2, 4, 8, 8]),
    class: pick(r, CLASSES),
    ...(minMemory < 0.3 ? { minMemoryGB: 80 } : minMemory < 0.4 ? { minMemoryGB: 141 } : {}),
    precisions: pick(r, PRECISION_SETS),
    ...(chance(r, 0.5) && { vendors: vendorSubset(r) }),
    imageVendors: chance(r, 0.6) ? [ANY_VENDOR_IMAGE] : vendorSubset(r),
    ...(chance(r, 0.9) && { maxDurationSeconds: 3600 * (1 + Math.floor(r() * 48)) }),
    ...(chance(r, 0.1) && { budgetEUR: 100 + Math.floor(r() * 5000) }),
    ...(chance(r, 0.2) && { sites: [siteName('dk-1')] }),
    optimizeFor: pick(r, GOALS),
    attempts: 0,
  };
}

/** Fills a share of the nodes with running work (whole-node and partial jobs, some gangs). */
function buildRunning(r: Rand, pools: PoolSnapshot[], tenants: readonly TenantSnapshot[], busyShare: number) {
  const running: RunningWorkload[] = [];
  const free = pools.map((p) => p.nodes.map((n) => n.free));
  pools.forEach((pool, pi) => {
    for (let n = 0; n < pool.nodes.length; n++) {
      if (!chance(r, busyShare)) continue;
      const devices = pick(r, [2, 4, 8, 8]);
      const replicas = n + 1 < pool.nodes.length && chance(r, 0.2) ? 2 : 1;
      const nodes = Array.from({ length: replicas }, (_, k) => n + k);
      nodes.forEach((k) => (free[pi]![k]! -= devices));
      n += replicas - 1;
      const tenant = pick(r, tenants);
      running.push({
        key: workloadKey(`${tenant.name}/run-${pi}-${n}`),
        tenant: tenant.name,
        priorityClass: pick(r, PRIORITY_CLASSES),
        pool: pool.name,
        placement: nodes.map((k) => ({ node: pool.nodes[k]!.name, devices })),
        computeUnits: replicas * devices * pool.computeUnitsPerDevice,
        admittedAt: NOW - Math.floor(r() * 24 * HOUR),
        ...(chance(r, 0.9) && { expectedEndAt: NOW + Math.floor(r() * 24 * HOUR) + 60_000 }),
        borrowed: chance(r, 0.3),
        portable: chance(r, 0.5),
      });
    }
  });
  const withFree = pools.map((p, pi) => ({
    ...p,
    nodes: p.nodes.map((n, k) => ({ ...n, free: free[pi]![k]! })),
  }));
  return { pools: withFree, running };
}

export function gigafactorySnapshot(sizes: BenchSizes, seed = 20260601): ClusterSnapshot {
  const r = seededRandom(seed);
  const empty = buildPools(sizes);
  const fleetCU = empty.reduce((sum, p) => sum + p.nodes.length * 8 * p.computeUnitsPerDevice, 0);
  const tenants = buildTenants(r, sizes, fleetCU);
  const { pools, running } = buildRunning(r, empty, tenants, sizes.busyShare);
  const pending = Array.from({ length: sizes.pending }, (_, i) => pendingWorkload(r, i, tenants));
  return { pools, sites: SITES, tenants, pending, running };
}
