import fc from 'fast-check';
import type { PriorityClass } from '@kentaur/api';
import { CU_EPSILON } from './quota';
import type { CycleResult } from './result';
import { scheduleCycle } from './scheduler';
import type { WorkloadKey } from './ids';
import {
  schedulerConfig,
  type ClusterSnapshot,
  type PendingWorkload,
  type RunningWorkload,
} from './snapshot';
import { aPool, aRunning, aSnapshot, aTenant, aWorkload, applyCycle, finishRunning } from './testing';

/**
 * Invariants of one cycle over random small fleets, tenants and workload streams. Sizes stay small
 * (a few pools of a few nodes) so 1,000 runs per property finish in seconds; small fleets are
 * where gangs, quotas and preemption collide most often anyway.
 */

const NOW = 1_000_000;
const RUNS = { numRuns: 1000 };
const VENDORS = ['nvidia', 'amd', 'intel'] as const;
const PRIORITIES: PriorityClass[] = ['emergency', 'public-interest', 'standard', 'preemptible'];

const poolArb = fc.record({
  vendor: fc.constantFrom(...VENDORS),
  capacities: fc.array(fc.constantFrom(1, 2, 4, 8), { minLength: 1, maxLength: 4 }),
  cu: fc.constantFrom(0.5, 0.99, 1, 1.31),
  price: fc.constantFrom(0.5, 1, 2.1),
  cordoned: fc.constantFrom(false, false, false, true),
});

const tenantArb = fc.record({
  guaranteed: fc.integer({ min: 0, max: 24 }),
  extra: fc.integer({ min: 0, max: 40 }),
  allowEmergency: fc.boolean(),
  vendors: fc.option(fc.subarray([...VENDORS], { minLength: 1 }), { nil: undefined }),
});

const runningArb = fc.record({
  tenant: fc.nat(),
  pool: fc.nat(),
  replicas: fc.integer({ min: 1, max: 2 }),
  devices: fc.constantFrom(1, 2, 4, 8),
  priority: fc.constantFrom(...PRIORITIES),
  borrowed: fc.boolean(),
  admittedAt: fc.integer({ min: 0, max: NOW }),
  endsIn: fc.option(fc.integer({ min: 1, max: 10 * 3_600_000 }), { nil: undefined }),
});

const pendingArb = fc.record({
  tenant: fc.nat(),
  priority: fc.constantFrom(...PRIORITIES),
  replicas: fc.integer({ min: 1, max: 3 }),
  devices: fc.constantFrom(1, 2, 4, 8),
  vendors: fc.option(fc.subarray([...VENDORS], { minLength: 1 }), { nil: undefined }),
  images: fc.constantFrom<string[]>(['*'], ['*'], ['nvidia'], ['amd', 'intel']),
  hours: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  createdAt: fc.integer({ min: 0, max: 100 }),
});

const worldArb = fc.record({
  pools: fc.array(poolArb, { minLength: 1, maxLength: 3 }),
  tenants: fc.array(tenantArb, { minLength: 1, maxLength: 3 }),
  running: fc.array(runningArb, { maxLength: 6 }),
  pending: fc.array(pendingArb, { maxLength: 10 }),
});
type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

/** Builds a consistent snapshot: running work is placed on distinct nodes with room, or dropped. */
function snapshotOf(world: World): ClusterSnapshot {
  const pools = world.pools.map((p, i) => {
    const b = aPool(`p${i}`).vendor(p.vendor, `${p.vendor}-m`).cu(p.cu).price(p.price).cordoned(p.cordoned);
    p.capacities.forEach((c, n) => b.node(`p${i}-n${n}`, c));
    return b.obj();
  });
  const tenants = world.tenants.map((t, i) => {
    const b = aTenant(`t${i}`)
      .quota(t.guaranteed, t.guaranteed + t.extra)
      .allowEmergency(t.allowEmergency);
    return t.vendors ? b.vendors(...t.vendors) : b;
  });
  const free = pools.map((p) => p.nodes.map((n) => n.capacity));
  const running = world.running.flatMap((r, i) => {
    const pi = r.pool % pools.length;
    const nodes = free[pi]!.map((f, n) => (f >= r.devices ? n : -1))
      .filter((n) => n >= 0)
      .slice(0, r.replicas);
    if (nodes.length < r.replicas) return [];
    const b = aRunning(`r${i}`)
      .tenant(`t${r.tenant % tenants.length}`)
      .priority(r.priority)
      .pool(`p${pi}`)
      .borrowed(r.borrowed)
      .admittedAt(r.admittedAt)
      .endsAt(r.endsIn === undefined ? undefined : NOW + r.endsIn)
      .cu(r.replicas * r.devices * pools[pi]!.computeUnitsPerDevice);
    for (const n of nodes) {
      free[pi]![n]! -= r.devices;
      b.on(pools[pi]!.nodes[n]!.name, r.devices);
    }
    return [b];
  });
  const pending = world.pending.map((w, i) => {
    const b = aWorkload(`w${i}`)
      .tenant(`t${w.tenant % tenants.length}`)
      .priority(w.priority)
      .gang(w.replicas, w.devices)
      .images(...w.images)
      .maxDuration(w.hours === undefined ? undefined : w.hours * 3600)
      .createdAt(w.createdAt);
    return w.vendors ? b.vendors(...w.vendors) : b;
  });
  return aSnapshot()
    .pools(...pools)
    .tenants(...tenants)
    .running(...running)
    .pending(...pending)
    .obj();
}

const cycle = (s: ClusterSnapshot) => scheduleCycle(s, schedulerConfig({ now: NOW }));

/** Devices in use per `pool/node` after applying the result to the snapshot. */
function usedAfter(s: ClusterSnapshot, result: CycleResult): Map<string, number> {
  const used = new Map<string, number>();
  const add = (key: string, d: number) => used.set(key, (used.get(key) ?? 0) + d);
  for (const p of s.pools) for (const n of p.nodes) add(`${p.name}/${n.name}`, n.capacity - n.free);
  const victims = new Set(result.preemptions.map((p) => p.victim));
  for (const r of s.running.filter((r) => victims.has(r.key)))
    for (const p of r.placement) add(`${r.pool}/${p.node}`, -p.devices);
  for (const a of result.admitted) for (const p of a.placement) add(`${a.pool}/${p.node}`, p.devices);
  return used;
}

function usageAfter(s: ClusterSnapshot, result: CycleResult): Map<string, { before: number; after: number }> {
  const usage = new Map(s.tenants.map((t) => [t.name as string, { before: 0, after: 0 }]));
  for (const r of s.running) {
    const u = usage.get(r.tenant);
    if (!u) continue;
    u.before += r.computeUnits;
    u.after += r.computeUnits;
  }
  const victims = new Set(result.preemptions.map((p) => p.victim));
  for (const r of s.running.filter((r) => victims.has(r.key))) usage.get(r.tenant)!.after -= r.computeUnits;
  for (const a of result.admitted) usage.get(a.tenant)!.after += a.computeUnits;
  return usage;
}

describe('scheduleCycle properties', () => {
  it('never allocates more devices on a node than it has', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const s = snapshotOf(world);
        const result = cycle(s);
        const used = usedAfter(s, result);
        for (const p of s.pools)
          for (const n of p.nodes) {
            const u = used.get(`${p.name}/${n.name}`)!;
            expect(u).toBeGreaterThanOrEqual(0);
            expect(u).toBeLessThanOrEqual(n.capacity);
          }
        for (const p of result.pools) {
          const pool = s.pools.find((x) => x.name === p.pool)!;
          const total = pool.nodes.reduce((sum, n) => sum + used.get(`${pool.name}/${n.name}`)!, 0);
          expect(p.allocatedDevices).toBe(total);
        }
      }),
      RUNS,
    );
  });

  it('never takes a tenant above its limitCU (one already above it only goes down)', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const s = snapshotOf(world);
        const result = cycle(s);
        for (const t of s.tenants) {
          const { before, after } = usageAfter(s, result).get(t.name)!;
          expect(after).toBeLessThanOrEqual(Math.max(t.limitCU, before) + CU_EPSILON);
        }
      }),
      RUNS,
    );
  });

  it('gives every pending workload exactly one outcome; victims come only from running work', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const s = snapshotOf(world);
        const result = cycle(s);
        const decided = [...result.admitted.map((a) => a.key), ...result.waiting.map((w) => w.key)];
        expect([...decided].sort()).toEqual(s.pending.map((w) => w.key).sort());
        expect(result.waiting.map((w) => w.position)).toEqual(result.waiting.map((_, i) => i + 1));
        const victims = result.preemptions.map((p) => p.victim);
        expect(new Set(victims).size).toBe(victims.length);
        const running = new Set(s.running.map((r) => r.key as string));
        for (const v of victims) expect(running.has(v)).toBe(true);
        const admittedVictims = result.admitted.flatMap((a) => a.preempted);
        expect([...admittedVictims].sort()).toEqual([...victims].sort());
      }),
      RUNS,
    );
  });

  it('admits gangs all or nothing: replicas distinct nodes of one pool, each with the full device count', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const s = snapshotOf(world);
        const result = cycle(s);
        const specs = new Map(s.pending.map((w) => [w.key, w]));
        for (const a of result.admitted) {
          const w = specs.get(a.key)!;
          const pool = s.pools.find((p) => p.name === a.pool)!;
          expect(a.placement).toHaveLength(w.replicas);
          expect(new Set(a.placement.map((p) => p.node)).size).toBe(w.replicas);
          for (const p of a.placement) {
            expect(p.devices).toBe(w.devicesPerReplica);
            expect(pool.nodes.some((n) => n.name === p.node)).toBe(true);
          }
          expect(w.vendors === undefined || w.vendors.includes(pool.vendor)).toBe(true);
          expect(w.imageVendors.includes('*') || w.imageVendors.includes(pool.vendor)).toBe(true);
          expect(a.computeUnits).toBeCloseTo(
            w.replicas * w.devicesPerReplica * pool.computeUnitsPerDevice,
            9,
          );
        }
      }),
      RUNS,
    );
  });

  it('is deterministic: the same snapshot, in any input order, gives the same result', () => {
    fc.assert(
      fc.property(worldArb, fc.integer(), (world, seed) => {
        const s = snapshotOf(world);
        const first = cycle(s);
        expect(cycle(s)).toEqual(first);
        const shuffled = { ...s, pending: shuffle(s.pending, seed), tenants: shuffle(s.tenants, seed + 1) };
        expect(cycle(shuffled)).toEqual(first);
      }),
      RUNS,
    );
  });

  /*
   * Guarantee by reclaim, stated precisely: tenant G uses u CU (work within its guarantee) and
   * has one pending standard workload W; every other running workload is borrowed standard or
   * preemptible work of tenants with no guarantee. If some pool P that W may use has u + CU(W on P)
   * ≤ guaranteed(G), and W's gang fits in P once those borrowed devices count as free, then W is
   * admitted in this cycle.
   */
  it('lets a tenant under its guarantee obtain it by reclaiming borrowed capacity', () => {
    const arb = fc.record({
      pools: fc.array(poolArb, { minLength: 1, maxLength: 3 }),
      lenders: fc.array(runningArb, { maxLength: 8 }),
      own: fc.option(fc.record({ pool: fc.nat(), devices: fc.constantFrom(1, 2) }), { nil: undefined }),
      claim: pendingArb,
      guaranteed: fc.integer({ min: 1, max: 40 }),
    });
    let exercised = 0;
    fc.assert(
      fc.property(arb, ({ pools, lenders, own, claim, guaranteed }) => {
        const world: World = {
          pools,
          tenants: [
            { guaranteed, extra: 0, allowEmergency: false, vendors: undefined },
            { guaranteed: 0, extra: 1000, allowEmergency: false, vendors: undefined },
          ],
          running: [
            ...(own
              ? [
                  {
                    ...lenders[0]!,
                    ...own,
                    tenant: 0,
                    replicas: 1,
                    priority: 'standard' as const,
                    borrowed: false,
                  },
                ]
              : []),
            ...lenders.map((r) => ({
              ...r,
              tenant: 1,
              borrowed: true,
              priority: r.priority === 'preemptible' ? r.priority : ('standard' as const),
            })),
          ],
          pending: [{ ...claim, tenant: 0, priority: 'standard' }],
        };
        const s = snapshotOf(world);
        const w = s.pending[0]!;
        if (!reclaimCouldSucceed(s, w)) return;
        exercised++;
        const result = cycle(s);
        expect(result.admitted.map((a) => a.key)).toEqual([w.key]);
        expect(result.preemptions.every((p) => p.tenant === 't1' && p.kind === 'reclaim')).toBe(true);
      }),
      RUNS,
    );
    expect(exercised).toBeGreaterThan(100);
  });

  it('converges: as the fleet empties, everything pending is eventually admitted, nothing lost', () => {
    const arb = fc.record({
      pools: fc.array(
        poolArb.map((p) => ({ ...p, capacities: [8, 8, 8] as (1 | 2 | 4 | 8)[], cordoned: false })),
        {
          minLength: 1,
          maxLength: 2,
        },
      ),
      tenants: fc.array(
        tenantArb.map((t) => ({ ...t, extra: 1000, vendors: undefined })),
        { minLength: 1, maxLength: 3 },
      ),
      running: fc.array(runningArb, { maxLength: 4 }),
      pending: fc.array(
        pendingArb.map((w) => ({ ...w, images: ['*'], vendors: undefined })),
        { maxLength: 8 },
      ),
    });
    fc.assert(
      fc.property(arb, (world) => {
        let s = snapshotOf(world);
        // Running work of the first snapshot can be preempted and requeued too: give it a spec.
        const specs = new Map<WorkloadKey, PendingWorkload>([
          ...s.pending.map((w) => [w.key, w] as const),
          ...s.running.map((r) => [r.key, specOf(r)] as const),
        ]);
        const finished = new Set<WorkloadKey>();
        for (let i = 0; i <= specs.size + 1 && (s.pending.length > 0 || s.running.length > 0); i++) {
          s = applyCycle(s, cycle(s), specs);
          for (const r of s.running) finished.add(r.key);
          s = finishRunning(s);
        }
        expect(s.pending).toEqual([]);
        expect([...finished].sort()).toEqual([...specs.keys()].sort());
      }),
      RUNS,
    );
  });
});

/** A requeued running workload asks for what it held: one replica per placement. */
function specOf(r: RunningWorkload): PendingWorkload {
  return aWorkload(r.key)
    .tenant(r.tenant)
    .priority(r.priorityClass)
    .gang(r.placement.length, r.placement[0]!.devices)
    .maxDuration(undefined)
    .createdAt(r.admittedAt)
    .obj();
}

/** Fisher–Yates with a small LCG: a reproducible permutation for a seed. */
function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The premise of the guarantee property, computed independently of the scheduler. */
function reclaimCouldSucceed(s: ClusterSnapshot, w: PendingWorkload): boolean {
  const claimant = s.tenants.find((t) => t.name === w.tenant)!;
  const usage = s.running.filter((r) => r.tenant === w.tenant).reduce((sum, r) => sum + r.computeUnits, 0);
  return s.pools.some((pool) => {
    if (pool.cordoned || (w.vendors && !w.vendors.includes(pool.vendor))) return false;
    if (!w.imageVendors.includes('*') && !w.imageVendors.includes(pool.vendor)) return false;
    const cu = w.replicas * w.devicesPerReplica * pool.computeUnitsPerDevice;
    if (usage + cu > claimant.guaranteedCU + CU_EPSILON) return false;
    const reclaimable = new Map<string, number>();
    for (const r of s.running.filter((r) => r.pool === pool.name && r.tenant !== w.tenant))
      for (const p of r.placement) reclaimable.set(p.node, (reclaimable.get(p.node) ?? 0) + p.devices);
    const nodes = pool.nodes.filter((n) => n.free + (reclaimable.get(n.name) ?? 0) >= w.devicesPerReplica);
    return nodes.length >= w.replicas;
  });
}
