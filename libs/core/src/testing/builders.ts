import type { Precision, PriorityClass, Tier } from '@kentaur/api';
import { nodeName, poolName, siteName, tenantName, workloadKey, type EpochMs } from '../ids';
import type {
  ClusterSnapshot,
  NodeSnapshot,
  OptimizeFor,
  PendingWorkload,
  PoolClass,
  PoolSnapshot,
  ReplicaPlacement,
  RunningWorkload,
  SiteSnapshot,
  TenantSnapshot,
  WorkloadClass,
} from '../snapshot';

/**
 * Fluent builders in Kueue's style (`MakeWorkload("a").Request(...).Obj()`): a test states only
 * what matters to it; everything else has a plain default (one NVIDIA H100-like pool type at
 * 1 CU per device, 2 EUR per device-hour, 700 W; tenants of tier sme with 100 CU guaranteed, 1000 CU
 * limit; workloads of 1 × 1 device, 1 h, generic image).
 */

const ALL_PRECISIONS: Precision[] = ['fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8'];

export class PoolBuilder {
  private p: { -readonly [K in keyof PoolSnapshot]: PoolSnapshot[K] };

  constructor(name: string) {
    this.p = {
      name: poolName(name),
      site: siteName('dk-1'),
      vendor: 'nvidia',
      model: 'H100',
      classes: ['training', 'inference'],
      memoryGB: 80,
      precisions: ALL_PRECISIONS,
      computeUnitsPerDevice: 1,
      pricePerDeviceHourEUR: 2,
      powerWattsPerDevice: 700,
      cordoned: false,
      nodes: [],
    };
  }

  site(site: string): this {
    this.p.site = siteName(site);
    return this;
  }

  vendor(vendor: string, model?: string): this {
    this.p.vendor = vendor;
    if (model !== undefined) this.p.model = model;
    return this;
  }

  model(model: string): this {
    this.p.model = model;
    return this;
  }

  classes(...classes: PoolClass[]): this {
    this.p.classes = classes;
    return this;
  }

  memory(gb: number | undefined): this {
    this.p.memoryGB = gb;
    return this;
  }

  precisions(...precisions: Precision[]): this {
    this.p.precisions = precisions;
    return this;
  }

  cu(perDevice: number): this {
    this.p.computeUnitsPerDevice = perDevice;
    return this;
  }

  price(eurPerDeviceHour: number): this {
    this.p.pricePerDeviceHourEUR = eurPerDeviceHour;
    return this;
  }

  power(wattsPerDevice: number): this {
    this.p.powerWattsPerDevice = wattsPerDevice;
    return this;
  }

  cordoned(cordoned = true): this {
    this.p.cordoned = cordoned;
    return this;
  }

  /** Appends `count` nodes named `<pool>-<i>` with `capacity` devices, `free` of them free (default all). */
  nodes(count: number, capacity: number, free = capacity): this {
    const start = this.p.nodes.length;
    const added: NodeSnapshot[] = Array.from({ length: count }, (_, i) => ({
      name: nodeName(`${this.p.name}-${start + i}`),
      capacity,
      free,
    }));
    this.p.nodes = [...this.p.nodes, ...added];
    return this;
  }

  node(name: string, capacity: number, free = capacity): this {
    this.p.nodes = [...this.p.nodes, { name: nodeName(name), capacity, free }];
    return this;
  }

  obj(): PoolSnapshot {
    return { ...this.p };
  }
}

export class SiteBuilder {
  private s: { -readonly [K in keyof SiteSnapshot]: SiteSnapshot[K] };

  constructor(name: string) {
    this.s = { name: siteName(name), pue: 1.2, gridCarbonGramsPerKWh: 100 };
  }

  pue(pue: number): this {
    this.s.pue = pue;
    return this;
  }

  carbon(gramsPerKWh: number): this {
    this.s.gridCarbonGramsPerKWh = gramsPerKWh;
    return this;
  }

  pricePerKWh(eur: number): this {
    this.s.pricePerKWhEUR = eur;
    return this;
  }

  obj(): SiteSnapshot {
    return { ...this.s };
  }
}

export class TenantBuilder {
  private t: { -readonly [K in keyof TenantSnapshot]: TenantSnapshot[K] };

  constructor(name: string) {
    this.t = {
      name: tenantName(name),
      tier: 'sme',
      guaranteedCU: 100,
      limitCU: 1000,
      weight: 1,
      monthSpentEUR: 0,
      allowEmergency: false,
    };
  }

  tier(tier: Tier): this {
    this.t.tier = tier;
    return this;
  }

  quota(guaranteedCU: number, limitCU: number): this {
    this.t.guaranteedCU = guaranteedCU;
    this.t.limitCU = limitCU;
    return this;
  }

  weight(weight: number): this {
    this.t.weight = weight;
    return this;
  }

  vendors(...vendors: string[]): this {
    this.t.vendors = vendors;
    return this;
  }

  sites(...sites: string[]): this {
    this.t.sites = sites.map(siteName);
    return this;
  }

  monthlyBudget(eur: number, spent = this.t.monthSpentEUR): this {
    this.t.monthlyBudgetEUR = eur;
    this.t.monthSpentEUR = spent;
    return this;
  }

  allowEmergency(allow = true): this {
    this.t.allowEmergency = allow;
    return this;
  }

  obj(): TenantSnapshot {
    return { ...this.t };
  }
}

export class WorkloadBuilder {
  private w: { -readonly [K in keyof PendingWorkload]: PendingWorkload[K] };

  constructor(key: string) {
    this.w = {
      key: workloadKey(key),
      tenant: tenantName('t'),
      priorityClass: 'standard',
      createdAt: 0,
      replicas: 1,
      devicesPerReplica: 1,
      class: 'any',
      precisions: [],
      imageVendors: ['*'],
      maxDurationSeconds: 3600,
      optimizeFor: 'balanced',
      attempts: 0,
    };
  }

  tenant(tenant: string): this {
    this.w.tenant = tenantName(tenant);
    return this;
  }

  priority(priorityClass: PriorityClass): this {
    this.w.priorityClass = priorityClass;
    return this;
  }

  createdAt(ms: EpochMs): this {
    this.w.createdAt = ms;
    return this;
  }

  /** replicas nodes × devicesPerReplica devices. */
  gang(replicas: number, devicesPerReplica: number): this {
    this.w.replicas = replicas;
    this.w.devicesPerReplica = devicesPerReplica;
    return this;
  }

  class(workloadClass: WorkloadClass): this {
    this.w.class = workloadClass;
    return this;
  }

  minMemory(gb: number): this {
    this.w.minMemoryGB = gb;
    return this;
  }

  precisions(...precisions: Precision[]): this {
    this.w.precisions = precisions;
    return this;
  }

  vendors(...vendors: string[]): this {
    this.w.vendors = vendors;
    return this;
  }

  models(...models: string[]): this {
    this.w.models = models;
    return this;
  }

  /** Vendors with an image; '*' is the generic image (the default). */
  images(...vendors: string[]): this {
    this.w.imageVendors = vendors;
    return this;
  }

  /** Seconds; undefined: no maxDuration (a Service). */
  maxDuration(seconds: number | undefined): this {
    this.w.maxDurationSeconds = seconds;
    return this;
  }

  budget(eur: number): this {
    this.w.budgetEUR = eur;
    return this;
  }

  sites(...sites: string[]): this {
    this.w.sites = sites.map(siteName);
    return this;
  }

  optimizeFor(goal: OptimizeFor): this {
    this.w.optimizeFor = goal;
    return this;
  }

  attempts(attempts: number): this {
    this.w.attempts = attempts;
    return this;
  }

  obj(): PendingWorkload {
    return { ...this.w };
  }
}

export class RunningBuilder {
  private r: { -readonly [K in keyof RunningWorkload]: RunningWorkload[K] };
  private cuSet = false;

  constructor(key: string) {
    this.r = {
      key: workloadKey(key),
      tenant: tenantName('t'),
      priorityClass: 'standard',
      pool: poolName('p'),
      placement: [],
      computeUnits: 0,
      admittedAt: 0,
      borrowed: false,
      portable: false,
    };
  }

  tenant(tenant: string): this {
    this.r.tenant = tenantName(tenant);
    return this;
  }

  priority(priorityClass: PriorityClass): this {
    this.r.priorityClass = priorityClass;
    return this;
  }

  pool(pool: string): this {
    this.r.pool = poolName(pool);
    return this;
  }

  /** One replica on `node` holding `devices`. */
  on(node: string, devices: number): this {
    this.r.placement = [...this.r.placement, { node: nodeName(node), devices }];
    return this;
  }

  /** Default: one CU per device held. */
  cu(computeUnits: number): this {
    this.r.computeUnits = computeUnits;
    this.cuSet = true;
    return this;
  }

  admittedAt(ms: EpochMs): this {
    this.r.admittedAt = ms;
    return this;
  }

  endsAt(ms: EpochMs | undefined): this {
    this.r.expectedEndAt = ms;
    return this;
  }

  borrowed(borrowed = true): this {
    this.r.borrowed = borrowed;
    return this;
  }

  portable(portable = true): this {
    this.r.portable = portable;
    return this;
  }

  obj(): RunningWorkload {
    const devices = this.r.placement.reduce((sum, p: ReplicaPlacement) => sum + p.devices, 0);
    return { ...this.r, computeUnits: this.cuSet ? this.r.computeUnits : devices };
  }
}

type Buildable<T> = T | { obj(): T };
const built = <T>(x: Buildable<T>): T =>
  typeof x === 'object' && x !== null && 'obj' in x && typeof x.obj === 'function' ? x.obj() : (x as T);

/**
 * A snapshot whose node counters agree with its running work: obj() takes every running
 * placement's devices off its node's free count, and adds a default Site for every pool site
 * that was not given.
 */
export class SnapshotBuilder {
  private readonly s = {
    pools: [] as PoolSnapshot[],
    sites: [] as SiteSnapshot[],
    tenants: [] as TenantSnapshot[],
    pending: [] as PendingWorkload[],
    running: [] as RunningWorkload[],
  };

  pools(...pools: Buildable<PoolSnapshot>[]): this {
    this.s.pools.push(...pools.map(built));
    return this;
  }

  sites(...sites: Buildable<SiteSnapshot>[]): this {
    this.s.sites.push(...sites.map(built));
    return this;
  }

  tenants(...tenants: Buildable<TenantSnapshot>[]): this {
    this.s.tenants.push(...tenants.map(built));
    return this;
  }

  pending(...pending: Buildable<PendingWorkload>[]): this {
    this.s.pending.push(...pending.map(built));
    return this;
  }

  running(...running: Buildable<RunningWorkload>[]): this {
    this.s.running.push(...running.map(built));
    return this;
  }

  obj(): ClusterSnapshot {
    const used = new Map<string, number>();
    for (const r of this.s.running)
      for (const p of r.placement)
        used.set(`${r.pool}/${p.node}`, (used.get(`${r.pool}/${p.node}`) ?? 0) + p.devices);
    const pools = this.s.pools.map((pool) => ({
      ...pool,
      nodes: pool.nodes.map((n) => ({ ...n, free: n.free - (used.get(`${pool.name}/${n.name}`) ?? 0) })),
    }));
    const known = new Set(this.s.sites.map((s) => s.name));
    const sites = [...this.s.sites];
    for (const pool of pools)
      if (!known.has(pool.site)) {
        known.add(pool.site);
        sites.push(new SiteBuilder(pool.site).obj());
      }
    return {
      pools,
      sites,
      tenants: [...this.s.tenants],
      pending: [...this.s.pending],
      running: [...this.s.running],
    };
  }
}

export const aPool = (name: string) => new PoolBuilder(name);
export const aSite = (name: string) => new SiteBuilder(name);
export const aTenant = (name: string) => new TenantBuilder(name);
export const aWorkload = (key: string) => new WorkloadBuilder(key);
export const aRunning = (key: string) => new RunningBuilder(key);
export const aSnapshot = () => new SnapshotBuilder();
