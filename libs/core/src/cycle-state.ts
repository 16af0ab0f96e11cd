import type { EpochMs, NodeName, PoolName, TenantName, WorkloadKey } from './ids';
import { NodeLevels } from './node-levels';
import { emergencyMayPreempt, priorityLevel, reclaimMayPreempt } from './priority';
import type { Steps } from './steps';
import type {
  ClusterSnapshot,
  PoolSnapshot,
  RunningWorkload,
  SchedulerConfig,
  SiteSnapshot,
  TenantSnapshot,
} from './snapshot';

/**
 * The scheduler's working copy of the snapshot for one cycle: the counters that decisions change
 * (free devices, tenant usage and spend, reservations) live here, so later decisions in the same
 * cycle see earlier ones while the snapshot itself stays untouched.
 */

/** Something holding devices on nodes until `end` (undefined: no known end). */
export interface Occupant {
  readonly end: EpochMs | undefined;
  readonly nodes: readonly number[];
  readonly devices: readonly number[];
  alive: boolean;
}

export interface RunningState extends Occupant {
  readonly workload: RunningWorkload;
  /** Undefined when the pool or one of its nodes is not in the snapshot: never a victim then. */
  readonly pool: PoolState | undefined;
  readonly emergencyVictim: boolean;
  readonly reclaimVictim: boolean;
}

export interface Reservation {
  readonly pool: PoolName;
  readonly workload: WorkloadKey;
  /** When the reserved gang is expected to fit; only work ending by then may backfill the pool. */
  readonly until: EpochMs;
  /** `until` as ISO 8601, formatted once: it appears in the reason of every workload it blocks. */
  readonly untilText: string;
}

export interface PoolState {
  readonly pool: PoolSnapshot;
  readonly site: SiteSnapshot | undefined;
  readonly nodeIndex: ReadonlyMap<NodeName, number>;
  /** Node capacities (static): answers "could this gang ever fit here?". */
  readonly capacity: NodeLevels;
  readonly free: NodeLevels;
  /** free + devices of running work an emergency may preempt, per node: an upper bound for planning. */
  readonly emergencyPotential: NodeLevels;
  /** free + devices of borrowed work a reclaim may take (any tenant's), per node. */
  readonly reclaimPotential: NodeLevels;
  readonly occupants: Occupant[];
  /** Preemptable running work of this pool: lowest priority first, then most recently admitted. */
  readonly victims: RunningState[];
  reservation: Reservation | undefined;
}

export interface TenantState {
  readonly tenant: TenantSnapshot;
  /** CU of running work plus work admitted this cycle, minus work preempted this cycle. */
  usageCU: number;
  /** monthSpentEUR plus the budget estimates of work admitted this cycle. */
  spentEUR: number;
}

export interface CycleState {
  readonly config: SchedulerConfig;
  readonly pools: readonly PoolState[];
  readonly tenants: ReadonlyMap<TenantName, TenantState>;
  readonly running: readonly RunningState[];
  freeDevices: number;
  /**
   * Bumped by whatever can turn a failed preemption plan into a feasible one: a preemption (frees
   * devices), or a tenant starting to borrow (its borrowed work becomes reclaimable).
   */
  planningEpoch: number;
}

/**
 * The cycle's working state from the snapshot, in steps (`Steps`): a pause after each pass over the
 * pools or the running work, and before each pool's device levels.
 */
export function* cycleStateSteps(snapshot: ClusterSnapshot, config: SchedulerConfig): Steps<CycleState> {
  const sites = new Map(snapshot.sites.map((s) => [s.name, s]));
  const pools = snapshot.pools.map((pool) => ({
    pool,
    site: sites.get(pool.site),
    nodeIndex: indexNodes(pool),
  }));
  yield;
  const byName = new Map(pools.map((p) => [p.pool.name, p]));
  const running = snapshot.running.map((w) => resolveRunning(w, byName.get(w.pool)));
  yield;
  const byPool = groupBy(
    running.filter((r) => r.resolved),
    (r) => r.poolName,
  );
  const states: PoolState[] = [];
  for (const p of pools) {
    yield; // one pool's device levels at a time
    states.push(poolState({ ...p, running: byPool.get(p.pool.name) ?? [] }));
  }
  yield;
  const stateByName = new Map(states.map((s) => [s.pool.name, s]));
  const runningStates = running.map((r) =>
    toRunningState(r, r.resolved ? stateByName.get(r.poolName) : undefined),
  );
  yield;
  const occupantsByPool = groupBy(
    runningStates.filter((r) => r.pool !== undefined),
    (r) => r.pool!,
  );
  for (const s of states) attachOccupants(s, occupantsByPool.get(s) ?? []);
  yield;
  return {
    config,
    pools: states,
    tenants: tenantStates(snapshot),
    running: runningStates,
    freeDevices: states.reduce((sum, s) => sum + totalFree(s.pool), 0),
    planningEpoch: 0,
  };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function indexNodes(pool: PoolSnapshot): Map<NodeName, number> {
  return new Map(pool.nodes.map((n, i) => [n.name, i]));
}

function totalFree(pool: PoolSnapshot): number {
  return pool.nodes.reduce((sum, n) => sum + Math.max(0, Math.min(n.free, n.capacity)), 0);
}

interface ResolvedRunning {
  readonly workload: RunningWorkload;
  readonly poolName: PoolName;
  readonly resolved: boolean;
  readonly nodes: number[];
  readonly devices: number[];
}

function resolveRunning(
  workload: RunningWorkload,
  pool: { nodeIndex: ReadonlyMap<NodeName, number> } | undefined,
): ResolvedRunning {
  const nodes = workload.placement.map((p) => pool?.nodeIndex.get(p.node) ?? -1);
  const resolved = pool !== undefined && nodes.every((n) => n >= 0);
  return {
    workload,
    poolName: workload.pool,
    resolved,
    nodes,
    devices: workload.placement.map((p) => p.devices),
  };
}

function toRunningState(r: ResolvedRunning, pool: PoolState | undefined): RunningState {
  return {
    workload: r.workload,
    pool,
    end: r.workload.expectedEndAt,
    nodes: r.nodes,
    devices: r.devices,
    alive: true,
    emergencyVictim: pool !== undefined && emergencyMayPreempt(r.workload),
    reclaimVictim: pool !== undefined && reclaimMayPreempt(r.workload),
  };
}

function poolState(input: {
  pool: PoolSnapshot;
  site: SiteSnapshot | undefined;
  nodeIndex: Map<NodeName, number>;
  running: readonly ResolvedRunning[];
}): PoolState {
  const { pool, running } = input;
  const maxLevel = pool.nodes.reduce((m, n) => Math.max(m, n.capacity), 0);
  // A node reported with more free devices than it has, or fewer than none, is read as full/empty.
  const free = pool.nodes.map((n) => Math.max(0, Math.min(n.free, n.capacity)));
  const emergency = [...free];
  const reclaim = [...free];
  for (const r of running) {
    const toEmergency = emergencyMayPreempt(r.workload);
    const toReclaim = reclaimMayPreempt(r.workload);
    r.nodes.forEach((node, i) => {
      if (toEmergency) emergency[node]! += r.devices[i]!;
      if (toReclaim) reclaim[node]! += r.devices[i]!;
    });
  }
  const levels = (initial: number[]) => new NodeLevels({ initial, maxLevel });
  return {
    pool,
    site: input.site,
    nodeIndex: input.nodeIndex,
    capacity: levels(pool.nodes.map((n) => n.capacity)),
    free: levels(free),
    emergencyPotential: levels(emergency),
    reclaimPotential: levels(reclaim),
    occupants: [],
    victims: [],
    reservation: undefined,
  };
}

/** Victims in preemption order: lowest priority first, most recently admitted first, then key. */
export function compareVictims(a: RunningWorkload, b: RunningWorkload): number {
  return (
    priorityLevel(b.priorityClass) - priorityLevel(a.priorityClass) ||
    b.admittedAt - a.admittedAt ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** Filled once, after the pool states exist (running states point back to their pool). */
function attachOccupants(state: PoolState, mine: readonly RunningState[]): void {
  for (const r of mine) state.occupants.push(r);
  const victims = mine.filter((r) => r.emergencyVictim || r.reclaimVictim);
  victims.sort((a, b) => compareVictims(a.workload, b.workload));
  for (const v of victims) state.victims.push(v);
}

function tenantStates(snapshot: ClusterSnapshot): Map<TenantName, TenantState> {
  const tenants = new Map<TenantName, TenantState>(
    snapshot.tenants.map((tenant) => [tenant.name, { tenant, usageCU: 0, spentEUR: tenant.monthSpentEUR }]),
  );
  for (const r of snapshot.running) {
    const t = tenants.get(r.tenant);
    if (t) t.usageCU += r.computeUnits;
  }
  return tenants;
}

/** Takes `devices` on each node for a newly admitted gang. */
export function allocate(state: CycleState, pool: PoolState, occupant: Occupant): void {
  occupant.nodes.forEach((node, i) => {
    const d = occupant.devices[i]!;
    pool.free.add(node, -d);
    pool.emergencyPotential.add(node, -d);
    pool.reclaimPotential.add(node, -d);
    state.freeDevices -= d;
  });
  pool.occupants.push(occupant);
}

/**
 * Frees a preempted victim's devices. Its devices were already part of the potentials it was
 * eligible for; for the others they are new potential.
 */
export function release(state: CycleState, victim: RunningState): void {
  const pool = victim.pool;
  if (!pool || !victim.alive) return;
  victim.alive = false;
  victim.nodes.forEach((node, i) => {
    const d = victim.devices[i]!;
    pool.free.add(node, d);
    if (!victim.emergencyVictim) pool.emergencyPotential.add(node, d);
    if (!victim.reclaimVictim) pool.reclaimPotential.add(node, d);
    state.freeDevices += d;
  });
  state.planningEpoch++;
}
