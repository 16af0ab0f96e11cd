import fc from 'fast-check';
import type { PriorityClass } from '@kentaur/api';
import { quoteOn, quoteOptions, runQueue } from './quote-options';
import { scheduleCycle } from './scheduler';
import { schedulerConfig, type ClusterSnapshot, type PendingWorkload } from './snapshot';
import { aPool, aRunning, aSnapshot, aTenant, aWorkload, admissionOf, waitingOf } from './testing';

/**
 * A quote agrees with the cycle that would decide the candidate: queued last (lowest priority,
 * newest), it is admitted without preemption exactly when some option starts now, in one of
 * those pools, at the quoted price. Small random fleets, as in scheduler.property.spec.ts.
 */

const NOW = 1_000_000;
const H = 3_600_000;
const RUNS = { numRuns: 500 };
const VENDORS = ['nvidia', 'amd', 'intel'] as const;
const QUEUED: PriorityClass[] = ['emergency', 'public-interest', 'standard'];

const shapeArb = fc.record({
  replicas: fc.integer({ min: 1, max: 2 }),
  devices: fc.constantFrom(1, 2, 4, 8),
  hours: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
});

const worldArb = fc.record({
  pools: fc.array(
    fc.record({
      vendor: fc.constantFrom(...VENDORS),
      capacities: fc.array(fc.constantFrom(2, 4, 8), { minLength: 1, maxLength: 3 }),
      cu: fc.constantFrom(0.5, 1, 1.31),
      price: fc.constantFrom(0.5, 1, 2.1),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  tenants: fc.array(
    fc.record({
      guaranteed: fc.integer({ min: 0, max: 8 }),
      extra: fc.integer({ min: 0, max: 30 }),
      budget: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
      allowEmergency: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  running: fc.array(
    fc.record({
      tenant: fc.nat(),
      pool: fc.nat(),
      shape: shapeArb,
      borrowed: fc.boolean(),
    }),
    { maxLength: 6 },
  ),
  pending: fc.array(fc.record({ tenant: fc.nat(), priority: fc.constantFrom(...QUEUED), shape: shapeArb }), {
    maxLength: 6,
  }),
  candidate: fc.record({
    shape: shapeArb,
    vendors: fc.option(fc.subarray([...VENDORS], { minLength: 1 }), { nil: undefined }),
    budget: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  }),
});
type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function snapshotOf(world: World): ClusterSnapshot {
  const pools = world.pools.map((p, i) => {
    const b = aPool(`p${i}`).vendor(p.vendor, `${p.vendor}-m`).cu(p.cu).price(p.price);
    p.capacities.forEach((c, n) => b.node(`p${i}-n${n}`, c));
    return b.obj();
  });
  const tenants = world.tenants.map((t, i) => {
    const b = aTenant(`t${i}`)
      .quota(t.guaranteed, t.guaranteed + t.extra)
      .allowEmergency(t.allowEmergency);
    return t.budget === undefined ? b : b.monthlyBudget(t.budget);
  });
  const free = pools.map((p) => p.nodes.map((n) => n.capacity));
  const running = world.running.flatMap((r, i) => {
    const pi = r.pool % pools.length;
    const { replicas, devices, hours } = r.shape;
    const nodes = free[pi]!.flatMap((f, n) => (f >= devices ? [n] : [])).slice(0, replicas);
    if (nodes.length < replicas) return [];
    const b = aRunning(`r${i}`)
      .tenant(`t${r.tenant % tenants.length}`)
      .pool(`p${pi}`)
      .borrowed(r.borrowed)
      .endsAt(hours === undefined ? undefined : NOW + hours * H)
      .cu(replicas * devices * pools[pi]!.computeUnitsPerDevice);
    for (const n of nodes) {
      free[pi]![n]! -= devices;
      b.on(pools[pi]!.nodes[n]!.name, devices);
    }
    return [b];
  });
  const pending = world.pending.map((w, i) =>
    aWorkload(`q${i}`)
      .tenant(`t${w.tenant % tenants.length}`)
      .priority(w.priority)
      .gang(w.shape.replicas, w.shape.devices)
      .maxDuration(w.shape.hours === undefined ? undefined : w.shape.hours * 3600)
      .createdAt(i),
  );
  return aSnapshot()
    .pools(...pools)
    .tenants(...tenants)
    .running(...running)
    .pending(...pending)
    .obj();
}

/** Tenant t0's newest workload, at the lowest priority: the cycle decides it last. */
function candidateOf(world: World, tenant = 't0'): PendingWorkload {
  const { shape, vendors, budget } = world.candidate;
  const b = aWorkload(`${tenant}/zz-candidate`)
    .tenant(tenant)
    .priority('preemptible')
    .gang(shape.replicas, shape.devices)
    .maxDuration(shape.hours === undefined ? undefined : shape.hours * 3600)
    .createdAt(1000);
  if (vendors) b.vendors(...vendors);
  if (budget !== undefined) b.budget(budget);
  return b.obj();
}

describe('quoteOptions properties', () => {
  it('starts now exactly where the cycle would admit it without preemption, at the quoted price', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const s = snapshotOf(world);
        const candidate = candidateOf(world);
        const config = schedulerConfig({ now: NOW });
        const q = quoteOptions(s, candidate, config);
        const result = scheduleCycle({ ...s, pending: [...s.pending, candidate] }, config);
        const now = q.options.filter((o) => o.estimatedStartAt === NOW);
        const admission = admissionOf(result, candidate.key);
        if (admission && admission.preempted.length > 0) return;
        if (!admission) {
          expect(waitingOf(result, candidate.key)).toBeDefined();
          expect(now).toEqual([]);
          return;
        }
        const option = now.find((o) => o.pool === admission.pool);
        expect(option).toBeDefined();
        expect(option!.quote).toEqual(admission.quote);
        expect(option!.computeUnits).toBe(admission.computeUnits);
      }),
      RUNS,
    );
  });

  it('quotes on one queue run, shared by several candidates, as on a queue run for each', () => {
    fc.assert(
      fc.property(worldArb, shapeArb, (world, other) => {
        const s = snapshotOf(world);
        const config = schedulerConfig({ now: NOW });
        const candidates = [
          candidateOf(world),
          candidateOf({ ...world, candidate: { ...world.candidate, shape: other } }, 't1'),
          candidateOf(world, 'unknown'),
        ];
        const queue = runQueue(s, config);
        // Twice over: a quote leaves the shared run as it found it.
        for (const candidate of [...candidates, ...candidates])
          expect(quoteOn(queue, candidate)).toEqual(quoteOptions(s, candidate, config));
      }),
      RUNS,
    );
  });

  it('refuses to quote a workload on a queue run that holds it', () => {
    const world = fc.sample(worldArb, { numRuns: 1, seed: 7 })[0]!;
    const s = snapshotOf({
      ...world,
      pending: [{ tenant: 0, priority: 'standard', shape: world.candidate.shape }],
    });
    const queued = s.pending[0]!;
    const config = schedulerConfig({ now: NOW });
    expect(() => quoteOn(runQueue(s, config), queued)).toThrow(/is in the queue run/);
    expect(quoteOn(runQueue(s, config, queued.key), queued)).toEqual(quoteOptions(s, queued, config));
  });

  it('accounts for every vendor once; waits are explained; best first', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const s = snapshotOf(world);
        const candidate = candidateOf(world);
        const q = quoteOptions(s, candidate, schedulerConfig({ now: NOW }));
        const offered = new Set(q.options.map((o) => o.vendor));
        const refused = q.infeasible.map((i) => i.vendor);
        expect(new Set(refused).size).toBe(refused.length);
        for (const v of refused) expect(offered.has(v)).toBe(false);
        const fleet = new Set([...s.pools.map((p) => p.vendor), ...(candidate.vendors ?? [])]);
        expect(new Set([...offered, ...refused])).toEqual(fleet);
        for (const o of q.options) {
          if (o.estimatedStartAt !== undefined) expect(o.estimatedStartAt).toBeGreaterThanOrEqual(NOW);
          if (o.waitReason === undefined) expect(o.estimatedStartAt).toBe(NOW);
        }
        const starts = q.options.map((o) => o.estimatedStartAt ?? Infinity);
        expect(starts).toEqual([...starts].sort((a, b) => a - b));
      }),
      RUNS,
    );
  });
});
