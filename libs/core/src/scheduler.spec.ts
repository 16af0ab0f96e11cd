import { scheduleCycle } from './scheduler';
import { schedulerConfig, type ClusterSnapshot } from './snapshot';
import {
  aPool,
  aRunning,
  aSite,
  aSnapshot,
  aTenant,
  aWorkload,
  admissionOf,
  runCycle,
  waitingOf,
} from './testing';

const NOW = Date.UTC(2026, 0, 5, 8, 0, 0);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('scheduleCycle', () => {
  it('admits with pool, site, vendor, model, one node per replica, CU, quote and times', () => {
    const result = runCycle(
      aSnapshot()
        .sites(aSite('dk-1').pue(1.15).carbon(120))
        .pools(
          aPool('dk-1-amd-mi300x')
            .site('dk-1')
            .vendor('amd', 'MI300X')
            .cu(1.31)
            .price(2.1)
            .power(750)
            .nodes(2, 8),
        )
        .tenants(aTenant('acme').quota(40, 80))
        .pending(
          aWorkload('acme/train')
            .tenant('acme')
            .gang(2, 8)
            .maxDuration(6 * 3600),
        ),
      { now: NOW },
    );
    const a = admissionOf(result, 'acme/train')!;
    expect(a).toMatchObject({
      tenant: 'acme',
      priorityClass: 'standard',
      pool: 'dk-1-amd-mi300x',
      site: 'dk-1',
      vendor: 'amd',
      model: 'MI300X',
      placement: [
        { node: 'dk-1-amd-mi300x-0', devices: 8 },
        { node: 'dk-1-amd-mi300x-1', devices: 8 },
      ],
      borrowed: false,
      admittedAt: NOW,
      expectedEndAt: NOW + 6 * 3_600_000,
      preempted: [],
    });
    expect(a.computeUnits).toBeCloseTo(20.96, 9);
    expect(a.quote.eurPerHour).toBeCloseTo(33.6, 9);
    expect(a.quote.estimatedEUR).toBeCloseTo(201.6, 9);
    expect(a.quote.estimatedKWh).toBeCloseTo(66.24, 9);
    expect(a.quote.estimatedCO2eKg).toBeCloseTo(7.9488, 9);
  });

  describe('reasons in words', () => {
    it('per vendor: how many nodes could take a replica, or full', () => {
      const result = runCycle(
        aSnapshot()
          .pools(
            aPool('amd').vendor('amd').node('a0', 8).node('a1', 8, 0),
            aPool('nv').vendor('nvidia').nodes(2, 8, 0),
          )
          .tenants(aTenant('t').quota(0, 100))
          .pending(aWorkload('t/w').gang(2, 8)),
      );
      expect(waitingOf(result, 't/w')).toMatchObject({
        code: 'capacity',
        reason: 'no pool fits: needs 2 nodes with 8 free devices; amd: 1 node free, nvidia: full',
      });
    });

    it('names the largest free slot when no node is large enough', () => {
      const result = runCycle(
        aSnapshot()
          .pools(aPool('intel').vendor('intel').node('i0', 8, 3).node('i1', 8, 5))
          .tenants(aTenant('t').quota(0, 100))
          .pending(aWorkload('t/w').gang(1, 6)),
      );
      expect(waitingOf(result, 't/w')?.reason).toBe(
        'no pool fits: needs 1 node with 6 free devices; intel: at most 5 free on a node',
      );
    });

    it('a workload whose tenant is unknown waits, after everyone else', () => {
      const result = runCycle(
        aSnapshot()
          .pools(aPool('p').nodes(1, 8, 0))
          .tenants(aTenant('t'))
          .pending(aWorkload('ghost/w').tenant('ghost').createdAt(0), aWorkload('t/w').createdAt(5)),
      );
      expect(result.waiting.map((w) => [w.key, w.position])).toEqual([
        ['t/w', 1],
        ['ghost/w', 2],
      ]);
      expect(waitingOf(result, 'ghost/w')).toMatchObject({
        code: 'unknown-tenant',
        reason: 'tenant ghost not found: no Tenant object lists this namespace',
      });
    });

    it('once the fleet is full, the rest wait without a scan', () => {
      const result = runCycle(
        aSnapshot()
          .pools(aPool('p').nodes(1, 8, 0))
          .tenants(aTenant('t').quota(0, 100))
          .pending(aWorkload('t/a').createdAt(1), aWorkload('t/b').createdAt(2)),
      );
      expect(waitingOf(result, 't/b')?.reason).toBe(
        'no pool fits: needs 1 node with 1 free device; every pool is full',
      );
    });
  });

  it('maxDecisionsPerCycle: the rest keep their place and wait for the next cycle', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').nodes(4, 8))
        .tenants(aTenant('t'))
        .pending(aWorkload('t/a').createdAt(1), aWorkload('t/b').createdAt(2), aWorkload('t/c').createdAt(3)),
      { maxDecisionsPerCycle: 2 },
    );
    expect(result.admitted.map((a) => a.key)).toEqual(['t/a', 't/b']);
    expect(waitingOf(result, 't/c')).toMatchObject({
      position: 1,
      code: 'deferred',
      reason: 'not examined in this cycle (at most 2 decisions per cycle); it keeps its place in the queue',
    });
    expect(result.counts).toMatchObject({ pending: 3, decided: 2, admitted: 2, waiting: 1 });
  });

  it('reports devices per pool after the cycle and decision counts', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('a').nodes(2, 8), aPool('b').vendor('amd').nodes(1, 8))
        .tenants(aTenant('t').quota(0, 100))
        .running(aRunning('o/r').pool('b').on('b-0', 2))
        .pending(
          aWorkload('t/x').gang(2, 4).vendors('nvidia'),
          aWorkload('t/y').gang(1, 8).images('intel'),
          aWorkload('t/z').gang(1, 7).vendors('amd'),
        ),
    );
    expect(result.pools).toEqual([
      {
        pool: 'a',
        vendor: 'nvidia',
        model: 'H100',
        site: 'dk-1',
        capacityDevices: 16,
        allocatedDevices: 8,
        freeDevices: 8,
      },
      {
        pool: 'b',
        vendor: 'amd',
        model: 'H100',
        site: 'dk-1',
        capacityDevices: 8,
        allocatedDevices: 2,
        freeDevices: 6,
      },
    ]);
    expect(result.counts).toEqual({
      pending: 3,
      decided: 3,
      admitted: 1,
      waiting: 2,
      preempted: 0,
      reservations: 0,
      waitingByCode: { image: 1, capacity: 1 },
    });
  });

  it('running work on pools or nodes the snapshot does not know still counts against quota', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').nodes(1, 8))
        .tenants(aTenant('t').quota(0, 8))
        .running(aRunning('t/old').pool('gone').on('x', 8))
        .pending(aWorkload('t/w').gang(1, 1)),
    );
    expect(waitingOf(result, 't/w')?.code).toBe('quota');
  });

  it('does not modify the snapshot, and the same snapshot gives the same result', () => {
    const snapshot: ClusterSnapshot = deepFreeze(
      aSnapshot()
        .pools(aPool('p').nodes(2, 8))
        .tenants(aTenant('t').allowEmergency(), aTenant('o').quota(0, 100))
        .running(
          aRunning('o/r')
            .tenant('o')
            .priority('preemptible')
            .pool('p')
            .on('p-0', 8)
            .endsAt(NOW + 1000),
        )
        .pending(aWorkload('t/em').priority('emergency').gang(2, 8), aWorkload('t/w').gang(1, 4))
        .obj(),
    );
    const config = schedulerConfig({ now: NOW });
    const first = scheduleCycle(snapshot, config);
    expect(first.preemptions).toHaveLength(1);
    expect(scheduleCycle(snapshot, config)).toEqual(first);
  });
});
