import type { Node, Pod } from 'kubernetes-types/core/v1';
import {
  WORKLOAD_LABEL,
  imageRegistryErrors,
  parseDuration,
  registriesFor,
  type AcceleratorPool,
  type Site,
  type Tenant,
  type Workload,
} from '@kentaur/api';
import {
  ANY_VENDOR_IMAGE,
  finish,
  pauseEvery,
  nodeName,
  poolName,
  siteName,
  tenantName,
  workloadKey,
  type ClusterSnapshot,
  type NodeSnapshot,
  type PendingWorkload,
  type PoolSnapshot,
  type ReplicaPlacement,
  type RunningWorkload,
  type SiteSnapshot,
  type Steps,
  type TenantSnapshot,
} from '@kentaur/core';
import { isNodeReady } from './pool-discovery';
import { podDevices } from './pod-devices';

/** Defaults for what an installation has not declared (Helm values set them in production). */
export interface SnapshotDefaults {
  pricePerDeviceHourEUR: number;
  pue: number;
  gridCarbonGramsPerKWh: number;
}

export interface SnapshotInput {
  nodes: readonly Node[];
  pods: readonly Pod[];
  pools: readonly AcceleratorPool[];
  sites: readonly Site[];
  tenants: readonly Tenant[];
  workloads: readonly Workload[];
  defaults: SnapshotDefaults;
  /**
   * The installation's image registry allow-list (prefixes, ADR 12); a Tenant's
   * spec.imageRegistries replaces it for that tenant. Absent or empty: any image.
   */
  imageRegistries?: readonly string[];
  /**
   * The site each node is in (federation: nodes of several clusters). A pool then counts only the
   * nodes of its own site, whatever its nodeSelector matches elsewhere. Absent: one cluster.
   */
  siteOfNode?: (node: Node) => string | undefined;
}

/** Phases in which a workload waits for admission (Preempted work is requeued, never lost). */
export const PENDING_PHASES = new Set([undefined, 'Pending', 'Queued', 'Preempted']);
/** Phases in which a workload holds devices. */
export const HOLDING_PHASES = new Set(['Admitted', 'Running']);

export interface BuiltSnapshot {
  snapshot: ClusterSnapshot;
  /** Pending workloads that no Tenant owns: they wait with this reason, outside the scheduler. */
  orphans: { key: string; reason: string }[];
  /**
   * Pending workloads whose images the allow-list in force refuses: never given to the scheduler,
   * so never admitted; they wait with this reason (naming the field) until the image or the list
   * changes.
   */
  refused: { key: string; reason: string }[];
  /** Pools left out of scheduling, with why (e.g. no compute units known). */
  skippedPools: { pool: string; reason: string }[];
}

const keyOf = (w: Workload) => `${w.metadata.namespace}/${w.metadata.name}`;

function matches(selector: Record<string, string>, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Every pool's reservations, by workload key: what admissions hold (ADR 5). */
/**
 * Every pool's reservations by workload. A workload may be reserved in two pools at once (its
 * admission write failed after the first reservation and a later cycle reserved it elsewhere): both
 * hold devices until the stale one is pruned, so both count.
 */
function reservationsOf(pools: readonly AcceleratorPool[]): Map<string, ReplicaPlacementLike[]> {
  const out = new Map<string, ReplicaPlacementLike[]>();
  for (const pool of pools)
    for (const [key, r] of Object.entries(pool.status?.reservations ?? {}))
      out.set(key, [...(out.get(key) ?? []), ...r.nodes]);
  return out;
}

interface ReplicaPlacementLike {
  node: string;
  devices: number;
}

type Usage = Map<string, number>;
const addTo = (used: Usage, node: string, n: number) => used.set(node, (used.get(node) ?? 0) + n);

/** The node of a pod that holds devices (bound and not finished), and the workload key it belongs to. */
function holding(pod: Pod): { node: string; key?: string } | undefined {
  const node = pod.spec?.nodeName;
  if (!node || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
  const owner = pod.metadata?.labels?.[WORKLOAD_LABEL];
  return { node, key: owner ? `${pod.metadata?.namespace}/${owner}` : undefined };
}

/** Pods count by what they request, except pods of a reserved workload; also where each workload's pods are bound. */
function podUsage(
  input: SnapshotInput,
  reserved: ReadonlyMap<string, unknown>,
  resourceOf: (node: string) => string | undefined,
) {
  const used: Usage = new Map();
  const boundNodes = new Map<string, Set<string>>();
  for (const pod of input.pods) {
    const h = holding(pod);
    if (!h) continue;
    if (h.key) boundNodes.set(h.key, (boundNodes.get(h.key) ?? new Set()).add(h.node));
    const resource = resourceOf(h.node);
    if (resource && !(h.key && reserved.has(h.key))) addTo(used, h.node, podDevices(pod, resource));
  }
  return { used, boundNodes };
}

/** Admitted workloads without a reservation (admitted before reservations existed): their plan for unbound replicas. */
function addUnreservedPlans(
  used: Usage,
  input: SnapshotInput,
  reserved: ReadonlyMap<string, unknown>,
  boundNodes: Map<string, Set<string>>,
): void {
  for (const w of input.workloads) {
    if (!HOLDING_PHASES.has(w.status?.phase ?? '') || reserved.has(keyOf(w))) continue;
    const bound = boundNodes.get(keyOf(w)) ?? new Set<string>();
    const unboundPlan = placementOf(w).filter((p) => !bound.has(p.node));
    for (const p of unboundPlan.slice(0, Math.max(0, (w.spec.replicas ?? 1) - bound.size)))
      addTo(used, p.node, p.devices);
  }
}

/**
 * Devices in use per node. Admissions count by their reservation in the pool (written with the
 * admission, so every scheduler that can commit has seen it); pods of a reserved workload are not
 * counted again. Other pods count by what they request.
 */
function usedByNode(input: SnapshotInput, resourceOf: (node: string) => string | undefined): Usage {
  const reserved = reservationsOf(input.pools);
  const { used, boundNodes } = podUsage(input, reserved, resourceOf);
  for (const nodes of reserved.values()) for (const p of nodes) addTo(used, p.node, p.devices);
  addUnreservedPlans(used, input, reserved, boundNodes);
  return used;
}

function placementOf(w: Workload): ReplicaPlacement[] {
  const raw = w.status?.admission?.placement ?? [];
  return raw.map((p) => ({ node: nodeName(p.node), devices: p.devices }));
}

function buildPools(input: SnapshotInput, skipped: BuiltSnapshot['skippedPools']): PoolSnapshot[] {
  const resourceByNode = new Map<string, string>();
  const members = new Map<string, Node[]>();
  for (const pool of input.pools) {
    const siteOf = input.siteOfNode;
    const nodes = input.nodes.filter(
      (n) => matches(pool.spec.nodeSelector, n) && (!siteOf || siteOf(n) === pool.spec.site),
    );
    members.set(pool.metadata.name!, nodes);
    for (const n of nodes)
      if (pool.spec.resourceName) resourceByNode.set(n.metadata!.name!, pool.spec.resourceName);
  }
  const used = usedByNode(input, (n) => resourceByNode.get(n));
  const out: PoolSnapshot[] = [];
  for (const pool of input.pools) {
    const name = pool.metadata.name!;
    const spec = pool.spec;
    if (!spec.computeUnitsPerDevice || !spec.resourceName) {
      skipped.push({
        pool: name,
        reason: 'no computeUnitsPerDevice or resourceName: set them on the AcceleratorPool',
      });
      continue;
    }
    const nodes: NodeSnapshot[] = (members.get(name) ?? []).filter(isNodeReady).map((n) => {
      const capacity = Number(n.status?.allocatable?.[spec.resourceName!] ?? 0);
      return {
        name: nodeName(n.metadata!.name!),
        capacity,
        free: Math.max(0, capacity - (used.get(n.metadata!.name!) ?? 0)),
      };
    });
    out.push({
      name: poolName(name),
      site: siteName(spec.site),
      vendor: spec.vendor,
      model: spec.model,
      classes: spec.classes ?? ['training', 'inference'],
      memoryGB: spec.memoryGB,
      precisions: spec.precisions ?? [],
      computeUnitsPerDevice: spec.computeUnitsPerDevice,
      pricePerDeviceHourEUR: spec.pricePerDeviceHourEUR ?? input.defaults.pricePerDeviceHourEUR,
      powerWattsPerDevice: spec.powerWattsPerDevice ?? 0,
      cordoned: spec.cordoned ?? false,
      nodes,
    });
  }
  return out;
}

function buildSites(input: SnapshotInput, pools: readonly PoolSnapshot[]): SiteSnapshot[] {
  const declared = new Map(input.sites.map((s) => [s.metadata.name!, s]));
  const names = new Set([...declared.keys(), ...pools.map((p) => p.site as string)]);
  return [...names].sort().map((name) => {
    const spec = declared.get(name)?.spec;
    return {
      name: siteName(name),
      pue: spec?.pue ?? input.defaults.pue,
      gridCarbonGramsPerKWh: spec?.gridCarbonGramsPerKWh ?? input.defaults.gridCarbonGramsPerKWh,
      pricePerKWhEUR: spec?.pricePerKWhEUR,
    };
  });
}

function buildTenant(t: Tenant): TenantSnapshot {
  return {
    name: tenantName(t.metadata.name!),
    tier: t.spec.tier,
    guaranteedCU: t.spec.quota.guaranteedCU,
    limitCU: t.spec.quota.limitCU,
    weight: t.spec.weight ?? 1,
    vendors: t.spec.vendors,
    sites: t.spec.sites?.map(siteName),
    monthlyBudgetEUR: t.spec.budget?.monthlyEUR,
    monthSpentEUR: t.status?.monthSpentEUR ?? 0,
    allowEmergency: t.spec.allowEmergency ?? false,
  };
}

/** What each replica needs, in the scheduler's terms. */
function shapeOf(s: Workload['spec']) {
  const a = s.accelerators;
  return {
    replicas: s.replicas ?? 1,
    devicesPerReplica: a.count,
    class: a.class ?? 'any',
    minMemoryGB: a.minMemoryGB,
    precisions: a.precisions ?? [],
    vendors: a.vendors,
    models: a.models,
  };
}

export function pendingOf(w: Workload, tenant: string): PendingWorkload {
  const s = w.spec;
  return {
    key: workloadKey(keyOf(w)),
    tenant: tenantName(tenant),
    priorityClass: s.priorityClass ?? 'standard',
    createdAt: Date.parse(w.metadata.creationTimestamp ?? '') || 0,
    ...shapeOf(s),
    imageVendors: s.template.image ? [ANY_VENDOR_IMAGE] : Object.keys(s.template.images ?? {}),
    maxDurationSeconds: s.maxDuration ? parseDuration(s.maxDuration) : undefined,
    budgetEUR: s.budgetEUR,
    sites: s.placement?.sites?.map(siteName),
    optimizeFor: s.placement?.optimizeFor ?? 'balanced',
    attempts: w.status?.attempts ?? 0,
  };
}

function runningOf(w: Workload, tenant: string): RunningWorkload | undefined {
  const a = w.status?.admission;
  if (!a) return undefined;
  const admittedAt = Date.parse(a.admittedAt) || 0;
  const seconds = w.spec.maxDuration ? parseDuration(w.spec.maxDuration) : undefined;
  return {
    key: workloadKey(keyOf(w)),
    tenant: tenantName(tenant),
    priorityClass: w.spec.priorityClass ?? 'standard',
    pool: poolName(a.pool),
    placement: placementOf(w),
    computeUnits: a.computeUnits,
    admittedAt,
    expectedEndAt: seconds !== undefined ? admittedAt + seconds * 1000 : undefined,
    borrowed: a.borrowed ?? false,
    portable: w.status?.portable ?? false,
  };
}

interface Sorted {
  pending: PendingWorkload[];
  running: RunningWorkload[];
  orphans: BuiltSnapshot['orphans'];
  refused: BuiltSnapshot['refused'];
}

/** Puts a workload where it belongs: running, pending, or waiting outside the scheduler. */
function sortWorkload(
  w: Workload,
  tenant: Tenant | undefined,
  imageRegistries: readonly string[] | undefined,
  out: Sorted,
): void {
  const phase = w.status?.phase;
  if (HOLDING_PHASES.has(phase ?? '')) {
    const r = tenant ? runningOf(w, tenant.metadata.name!) : undefined;
    if (r) out.running.push(r);
  } else if (PENDING_PHASES.has(phase)) {
    const waiting = waitingOutsideScheduler(w, tenant, imageRegistries);
    if (!waiting) out.pending.push(pendingOf(w, tenant!.metadata.name!));
    else (waiting.orphan ? out.orphans : out.refused).push({ key: waiting.key, reason: waiting.reason });
  }
}

/** The scheduler's frozen input, built from the informer caches. Pure. */
export function buildSnapshot(input: SnapshotInput): BuiltSnapshot {
  return finish(snapshotSteps(input));
}

/** Workloads sorted between two pauses of `snapshotSteps`. */
const WORKLOADS_PER_STEP = 2_000;

/**
 * buildSnapshot in steps: the generator pauses after the pools and after every
 * `WORKLOADS_PER_STEP` workloads, and returns what buildSnapshot returns. The gateway builds the
 * snapshot for quotes this way, between other requests (ADR 18): with 50,000 workloads in one go,
 * its longest event-loop delay in the memory benchmark was 322–323 ms, in steps 119–226 ms. The
 * input's lists are read as they were when it started.
 */
export function* snapshotSteps(input: SnapshotInput): Steps<BuiltSnapshot> {
  const skippedPools: BuiltSnapshot['skippedPools'] = [];
  const pools = buildPools(input, skippedPools);
  yield;
  const tenantOfNamespace = new Map<string, Tenant>();
  for (const t of input.tenants) for (const ns of t.spec.namespaces) tenantOfNamespace.set(ns, t);
  const out: Sorted = { pending: [], running: [], orphans: [], refused: [] };
  const sorted = pauseEvery(WORKLOADS_PER_STEP);
  for (const w of input.workloads) {
    if (sorted()) yield;
    if (w.metadata.deletionTimestamp || w.spec.cancel) continue;
    sortWorkload(w, tenantOfNamespace.get(w.metadata.namespace ?? ''), input.imageRegistries, out);
  }
  const { pending, running, orphans, refused } = out;
  return {
    snapshot: {
      pools,
      sites: buildSites(input, pools),
      tenants: input.tenants.map(buildTenant),
      pending,
      running,
    },
    orphans,
    refused,
    skippedPools,
  };
}

/**
 * Why a pending workload waits outside the scheduler: no Tenant lists its namespace (an orphan), or
 * the image allow-list in force refuses one of its images. Undefined: it goes to the scheduler.
 */
function waitingOutsideScheduler(
  w: Workload,
  tenant: Tenant | undefined,
  global: readonly string[] | undefined,
): { key: string; reason: string; orphan: boolean } | undefined {
  if (!tenant)
    return {
      key: keyOf(w),
      reason: `no Tenant lists namespace ${w.metadata.namespace}: ask the platform team to add it to a Tenant`,
      orphan: true,
    };
  const imageErrors = imageErrorsOf(w, tenant, global);
  return imageErrors.length ? { key: keyOf(w), reason: imageErrors.join('; '), orphan: false } : undefined;
}

/** `<field> <why>` for each image of the workload that its tenant's allow-list refuses. */
function imageErrorsOf(w: Workload, tenant: Tenant, global: readonly string[] | undefined): string[] {
  const allowed = registriesFor(tenant.spec.imageRegistries, global);
  const list = tenant.spec.imageRegistries
    ? `tenant ${tenant.metadata.name}'s image allow-list (spec.imageRegistries)`
    : "the installation's image allow-list";
  return imageRegistryErrors(w.spec.template, allowed, list).map((e) => `${e.field} ${e.message}`);
}
