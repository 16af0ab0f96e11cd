import type { PoolState } from './cycle-state';
import { fmt, list, plural } from './reasons';
import { ANY_VENDOR_IMAGE, type PendingWorkload, type PoolSnapshot, type TenantSnapshot } from './snapshot';

/**
 * Step 2 without capacity: the pools a workload could ever use (vendor, image, site, class, memory,
 * precisions, models, cordon, and whether the pool has enough nodes large enough for the gang).
 * These depend only on the workload's requirements and its tenant, not on free devices.
 *
 * They are evaluated per workload, O(pools × criteria) with no allocation but the result. A cache
 * keyed by a requirements signature was measured and removed: building and hashing the string key
 * cost as much as the check itself at realistic pool counts (tens), even when 96 % of the lookups
 * hit, and 50,000 retained keys per cycle added garbage-collection time.
 */

export type StaticCode =
  'vendor' | 'image' | 'site' | 'class' | 'memory' | 'precision' | 'model' | 'cordoned' | 'shape';

export type StaticFeasibility =
  | { readonly ok: true; readonly pools: readonly PoolState[] }
  | { readonly ok: false; readonly code: StaticCode; readonly reason: string };

/** Intersection of two optional allow-lists (absent = everything); undefined when both are absent. */
export function intersectAllowed<T>(
  a: readonly T[] | undefined,
  b: readonly T[] | undefined,
): readonly T[] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.filter((x) => b.includes(x));
}

export function hasImage(w: Pick<PendingWorkload, 'imageVendors'>, vendor: string): boolean {
  return w.imageVendors.includes(ANY_VENDOR_IMAGE) || w.imageVendors.includes(vendor);
}

export function classMatches(w: Pick<PendingWorkload, 'class'>, pool: PoolSnapshot): boolean {
  return w.class === 'any' || pool.classes.includes(w.class);
}

/** A pool of unknown memory never satisfies a memory requirement. */
export function memoryMatches(w: Pick<PendingWorkload, 'minMemoryGB'>, pool: PoolSnapshot): boolean {
  return w.minMemoryGB === undefined || (pool.memoryGB !== undefined && pool.memoryGB >= w.minMemoryGB);
}

export function precisionsMatch(w: Pick<PendingWorkload, 'precisions'>, pool: PoolSnapshot): boolean {
  return w.precisions.every((p) => pool.precisions.includes(p));
}

/** An empty models list is no restriction, as in the API. */
export function modelAllowed(w: Pick<PendingWorkload, 'models'>, pool: PoolSnapshot): boolean {
  return !w.models || w.models.length === 0 || w.models.includes(pool.model);
}

/** The order in which criteria are checked; the first one that leaves no pool is the reason given. */
export const STATIC_CRITERIA: readonly StaticCode[] = [
  'vendor',
  'image',
  'site',
  'class',
  'memory',
  'precision',
  'model',
  'cordoned',
  'shape',
];
const PASSES = STATIC_CRITERIA.length;
const VENDOR = 0;
const SITE = 2;

type Workload = PendingWorkload;

function allows<T>(list: readonly T[] | undefined, value: T): boolean {
  return list === undefined || list.includes(value);
}

/** The tenant-dependent criteria: vendor (index 0) and site (index 2); PASSES when both allow. */
function tenantFailure(w: Workload, tenant: TenantSnapshot, p: PoolSnapshot): number {
  if (!allows(w.vendors, p.vendor) || !allows(tenant.vendors, p.vendor)) return VENDOR;
  if (!allows<string>(w.sites, p.site) || !allows<string>(tenant.sites, p.site)) return SITE;
  return PASSES;
}

/** Index in STATIC_CRITERIA of the first criterion the pool fails; PASSES when it fails none. */
export function firstFailure(w: Workload, tenant: TenantSnapshot, pool: PoolState): number {
  const p = pool.pool;
  const byTenant = tenantFailure(w, tenant, p);
  if (byTenant === VENDOR) return VENDOR;
  if (!hasImage(w, p.vendor)) return 1;
  if (byTenant === SITE) return SITE;
  if (!classMatches(w, p)) return 3;
  if (!memoryMatches(w, p)) return 4;
  if (!precisionsMatch(w, p)) return 5;
  if (!modelAllowed(w, p)) return 6;
  if (p.cordoned) return 7;
  if (pool.capacity.countAtLeast(w.devicesPerReplica) < w.replicas) return 8;
  return PASSES;
}

const vendorsOf = (pools: readonly PoolState[]) => [...new Set(pools.map((p) => p.pool.vendor))].sort();

interface ReasonInput {
  readonly w: Workload;
  readonly tenant: TenantSnapshot;
  /** The pools that passed every earlier criterion: this one eliminated all of them. */
  readonly before: readonly PoolState[];
}

function vendorReason({ w, tenant, before }: ReasonInput): string {
  if (before.length === 0) return 'no accelerator pools in the fleet';
  const allowed = intersectAllowed(w.vendors, tenant.vendors);
  if (allowed !== undefined && allowed.length === 0)
    return `no vendor is allowed by both the workload (${list(w.vendors!)}) and tenant ${tenant.name} (${list(tenant.vendors!)})`;
  return `no pool of an allowed vendor (${list(allowed ?? [])})`;
}

function siteReason({ w, tenant, before }: ReasonInput): string {
  const allowed = intersectAllowed<string>(w.sites, tenant.sites);
  if (allowed !== undefined && allowed.length === 0)
    return `no site is allowed by both the workload (${list(w.sites!)}) and tenant ${tenant.name} (${list(tenant.sites!)})`;
  return `no pool of ${list(vendorsOf(before))} in the allowed sites (${list(allowed ?? [])})`;
}

function memoryReason({ w, before }: ReasonInput): string {
  const known = before.map((p) => p.pool.memoryGB).filter((m): m is number => m !== undefined);
  const largest = known.length ? `largest: ${fmt(Math.max(...known))} GB` : 'device memory unknown';
  return `no pool has ${fmt(w.minMemoryGB!)} GB of device memory (${largest})`;
}

function shapeReason({ w, before }: ReasonInput): string {
  const { replicas, devicesPerReplica: d } = w;
  const largest = Math.max(...before.map((p) => p.capacity.highest()));
  if (largest < d)
    return `gang cannot fit: nodes have at most ${plural(largest, 'device')}, each replica needs ${d}`;
  const most = Math.max(...before.map((p) => p.capacity.countAtLeast(d)));
  return `gang cannot fit: needs ${plural(replicas, 'node')} with ${plural(d, 'device')} in one pool, the largest matching pool has ${most}`;
}

const REASONS: Readonly<Record<StaticCode, (input: ReasonInput) => string>> = {
  vendor: vendorReason,
  image: ({ before }) => `no image for vendors ${list(vendorsOf(before))}`,
  site: siteReason,
  class: ({ w, before }) => `no ${list(vendorsOf(before))} pool serves class ${w.class}`,
  memory: memoryReason,
  precision: ({ w }) => `no pool supports every requested precision (${list(w.precisions)})`,
  model: ({ w, before }) =>
    `no pool of models ${list(w.models ?? [])} (matching pools have ${list([...new Set(before.map((p) => p.pool.model))].sort())})`,
  cordoned: ({ before }) => `every matching pool is cordoned (${list(before.map((p) => p.pool.name))})`,
  shape: shapeReason,
};

/**
 * Criteria are applied in STATIC_CRITERIA order; when none leaves a pool, the reason names the
 * criterion that removed the last candidates, i.e. the one the "closest" pools fail.
 */
export function staticFeasibility(
  w: PendingWorkload,
  tenant: TenantSnapshot,
  pools: readonly PoolState[],
): StaticFeasibility {
  const passing: PoolState[] = [];
  let worst = 0;
  for (const pool of pools) {
    const failure = firstFailure(w, tenant, pool);
    if (failure === PASSES) passing.push(pool);
    else if (failure > worst) worst = failure;
  }
  if (passing.length > 0) return { ok: true, pools: passing };
  const before = pools.filter((pool) => firstFailure(w, tenant, pool) === worst);
  const code = STATIC_CRITERIA[worst]!;
  return { ok: false, code, reason: REASONS[code]({ w, tenant, before }) };
}
