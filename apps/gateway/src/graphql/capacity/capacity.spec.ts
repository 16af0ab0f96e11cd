import fc from 'fast-check';
import type { AcceleratorPool, Site, Workload, WorkloadStatus } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import { siteReachable } from '@kentaur/api';
import { capacityBy, capacityBySite, queueDepth } from './capacity';

interface PoolOptions {
  site?: string;
  vendor?: string;
  model?: string;
  cordoned?: boolean;
  devices?: { allocatable: number; allocated: number };
}

function pool(name: string, o: PoolOptions = {}): AcceleratorPool {
  const p = amdPool(o.devices ? { devices: { capacity: o.devices.allocatable, ...o.devices } } : undefined);
  return {
    ...p,
    metadata: { name },
    spec: {
      ...p.spec,
      ...(o.site ? { site: o.site } : {}),
      ...(o.vendor ? { vendor: o.vendor } : {}),
      ...(o.model ? { model: o.model } : {}),
      ...(o.cordoned !== undefined ? { cordoned: o.cordoned } : {}),
    },
  };
}

const devices = (allocatable: number, allocated: number) => ({ allocatable, allocated });

describe('capacityBy', () => {
  it('adds up the pools of one site, vendor and model', () => {
    expect(
      capacityBy([
        pool('a', { devices: devices(8, 3) }),
        pool('b', { devices: devices(16, 16) }),
        pool('c', { devices: devices(4, 0) }),
      ]),
    ).toEqual([
      { site: 'dk-1', vendor: 'amd', model: 'MI300X', pools: 3, total: 28, allocated: 19, free: 9 },
    ]);
  });

  it('keeps sites, vendors and models apart, sorted by site, vendor, model', () => {
    const rows = capacityBy([
      pool('n2', { site: 'dk-1', vendor: 'nvidia', model: 'H200', devices: devices(8, 0) }),
      pool('n1', { site: 'dk-1', vendor: 'nvidia', model: 'H100', devices: devices(8, 0) }),
      pool('a1', { site: 'dk-1', vendor: 'amd', model: 'MI300X', devices: devices(8, 0) }),
      pool('d1', { site: 'de-1', vendor: 'nvidia', model: 'H100', devices: devices(8, 0) }),
    ]);
    expect(rows.map((r) => `${r.site}/${r.vendor}/${r.model}`)).toEqual([
      'de-1/nvidia/H100',
      'dk-1/amd/MI300X',
      'dk-1/nvidia/H100',
      'dk-1/nvidia/H200',
    ]);
  });

  it.each([
    {
      name: 'a cordoned pool offers no free devices',
      pools: [pool('a', { cordoned: true, devices: devices(8, 2) })],
      row: { pools: 1, total: 8, allocated: 2, free: 0 },
    },
    {
      name: 'a cordoned pool beside an open one',
      pools: [pool('a', { cordoned: true, devices: devices(8, 2) }), pool('b', { devices: devices(8, 5) })],
      row: { pools: 2, total: 16, allocated: 7, free: 3 },
    },
    {
      name: 'cordoned: false is open',
      pools: [pool('a', { cordoned: false, devices: devices(8, 2) })],
      row: { pools: 1, total: 8, allocated: 2, free: 6 },
    },
    {
      name: 'a pool without status counts as empty',
      pools: [pool('a')],
      row: { pools: 1, total: 0, allocated: 0, free: 0 },
    },
    {
      name: 'more allocated than allocatable (devices went away) frees nothing',
      pools: [pool('a', { devices: devices(4, 6) }), pool('b', { devices: devices(8, 0) })],
      row: { pools: 2, total: 12, allocated: 6, free: 8 },
    },
  ])('$name', ({ pools, row }) => {
    expect(capacityBy(pools)).toEqual([{ site: 'dk-1', vendor: 'amd', model: 'MI300X', ...row }]);
  });

  it('no pools: no rows', () => {
    expect(capacityBy([])).toEqual([]);
  });

  it('free devices never exceed total − allocated, and the pools are all counted', () => {
    const arbitraryPool = fc
      .record({
        site: fc.constantFrom('dk-1', 'de-1'),
        vendor: fc.constantFrom('amd', 'nvidia'),
        cordoned: fc.boolean(),
        allocatable: fc.integer({ min: 0, max: 64 }),
        allocated: fc.integer({ min: 0, max: 64 }),
      })
      .map((o) => pool('p', { ...o, devices: devices(o.allocatable, o.allocated) }));
    fc.assert(
      fc.property(fc.array(arbitraryPool, { maxLength: 12 }), (pools) => {
        const rows = capacityBy(pools);
        expect(rows.reduce((a, r) => a + r.pools, 0)).toBe(pools.length);
        for (const r of rows) {
          expect(r.free).toBeGreaterThanOrEqual(0);
          expect(r.free).toBeLessThanOrEqual(Math.max(0, r.total));
        }
        const open = pools.filter((p) => !p.spec.cordoned);
        const expectedFree = open.reduce(
          (a, p) => a + Math.max(0, p.status!.devices!.allocatable - p.status!.devices!.allocated),
          0,
        );
        expect(rows.reduce((a, r) => a + r.free, 0)).toBe(expectedFree);
      }),
    );
  });
});

function site(name: string, o: { spec?: Partial<Site['spec']>; status?: Site['status'] } = {}): Site {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'Site',
    metadata: { name },
    spec: { country: 'DK', ...o.spec },
    ...(o.status ? { status: o.status } : {}),
  };
}

const condition = (status: 'True' | 'False' | 'Unknown') => ({
  type: 'Reachable',
  status,
  reason: 'Probe',
  message: '',
  lastTransitionTime: '2025-03-01T10:00:00Z',
});

describe('siteReachable', () => {
  it.each([
    { name: 'no Site object', site: undefined, reachable: undefined },
    { name: 'no status yet', site: site('a'), reachable: undefined },
    { name: 'status.reachable true', site: site('a', { status: { reachable: true } }), reachable: true },
    { name: 'status.reachable false', site: site('a', { status: { reachable: false } }), reachable: false },
    {
      name: 'only a Reachable condition, True',
      site: site('a', { status: { conditions: [condition('True')] } }),
      reachable: true,
    },
    {
      name: 'only a Reachable condition, False',
      site: site('a', { status: { conditions: [condition('False')] } }),
      reachable: false,
    },
    {
      name: 'only a Reachable condition, Unknown',
      site: site('a', { status: { conditions: [condition('Unknown')] } }),
      reachable: undefined,
    },
    {
      name: 'status.reachable wins over the condition',
      site: site('a', { status: { reachable: false, conditions: [condition('True')] } }),
      reachable: false,
    },
    {
      name: 'another condition says nothing',
      site: site('a', { status: { conditions: [{ ...condition('False'), type: 'Ready' }] } }),
      reachable: undefined,
    },
  ])('$name: $reachable', ({ site: s, reachable }) => {
    expect(siteReachable(s)).toBe(reachable);
  });
});

describe('capacity of an unreachable site', () => {
  const pools = [
    pool('fi', { site: 'fi-1', devices: devices(8, 2) }),
    pool('dk', { site: 'dk-1', devices: devices(8, 2) }),
  ];

  it.each([
    { name: 'unreachable: no free devices', status: { reachable: false }, free: 0 },
    { name: 'reachable', status: { reachable: true }, free: 6 },
    { name: 'not reported yet: counted as usual', status: undefined, free: 6 },
  ])('$name', ({ status, free }) => {
    const sites = [site('fi-1', { status })];
    expect(capacityBy(pools, sites).find((e) => e.site === 'fi-1')).toMatchObject({
      total: 8,
      allocated: 2,
      free,
    });
    expect(capacityBySite(pools, sites).find((s) => s.name === 'fi-1')).toMatchObject({
      total: 8,
      allocated: 2,
      free,
    });
    // The other site is not affected.
    expect(capacityBySite(pools, sites).find((s) => s.name === 'dk-1')).toMatchObject({ free: 6 });
  });
});

describe('capacityBySite', () => {
  it('reports the Site object and sums its pools; a site with pools but no Site object has null figures', () => {
    const sites = [
      site('fi-1', {
        spec: { country: 'FI', pue: 1.1, gridCarbonGramsPerKWh: 80, pricePerKWhEUR: 0.09 },
        status: { reachable: true },
      }),
      // A Site without pools (yet): listed, with no devices.
      site('se-1', { spec: { country: 'SE' }, status: { reachable: false } }),
    ];
    const pools = [
      pool('fi-a', { site: 'fi-1', devices: devices(8, 3) }),
      pool('fi-n', { site: 'fi-1', vendor: 'nvidia', model: 'H100', devices: devices(16, 16) }),
      pool('fi-c', { site: 'fi-1', cordoned: true, devices: devices(4, 0) }),
      pool('dk-a', { site: 'dk-1', devices: devices(8, 1) }),
    ];
    expect(capacityBySite(pools, sites)).toEqual([
      {
        name: 'dk-1',
        country: null,
        reachable: null,
        pue: null,
        gridCarbonGramsPerKWh: null,
        pricePerKWhEUR: null,
        pools: 1,
        total: 8,
        allocated: 1,
        free: 7,
      },
      {
        name: 'fi-1',
        country: 'FI',
        reachable: true,
        pue: 1.1,
        gridCarbonGramsPerKWh: 80,
        pricePerKWhEUR: 0.09,
        pools: 3,
        total: 28,
        allocated: 19,
        free: 5,
      },
      {
        name: 'se-1',
        country: 'SE',
        reachable: false,
        pue: null,
        gridCarbonGramsPerKWh: null,
        pricePerKWhEUR: null,
        pools: 0,
        total: 0,
        allocated: 0,
        free: 0,
      },
    ]);
  });

  it('no sites and no pools: no rows', () => {
    expect(capacityBySite([], [])).toEqual([]);
  });

  it("a site's figures are the sum of its entries, and every pool counts at exactly one site", () => {
    const arbitraryPool = fc
      .record({
        site: fc.constantFrom('dk-1', 'de-1', 'fi-1'),
        vendor: fc.constantFrom('amd', 'nvidia'),
        cordoned: fc.boolean(),
        allocatable: fc.integer({ min: 0, max: 64 }),
        allocated: fc.integer({ min: 0, max: 64 }),
      })
      .map((o) => pool('p', { ...o, devices: devices(o.allocatable, o.allocated) }));
    const arbitrarySites = fc.subarray([
      site('dk-1', { status: { reachable: true } }),
      site('de-1', { status: { reachable: false } }),
      site('fi-1'),
      site('se-1', { status: { reachable: false } }),
    ]);
    fc.assert(
      fc.property(fc.array(arbitraryPool, { maxLength: 12 }), arbitrarySites, (pools, sites) => {
        const entries = capacityBy(pools, sites);
        const bySite = capacityBySite(pools, sites);
        expect(bySite.reduce((a, s) => a + s.pools, 0)).toBe(pools.length);
        for (const s of bySite) {
          const mine = entries.filter((e) => e.site === s.name);
          for (const k of ['pools', 'total', 'allocated', 'free'] as const)
            expect(s[k]).toBe(mine.reduce((a, e) => a + e[k], 0));
          if (s.reachable === false) expect(s.free).toBe(0);
        }
        const names = bySite.map((s) => s.name);
        expect(names).toEqual(
          [...new Set([...sites.map((s) => s.metadata.name!), ...pools.map((p) => p.spec.site)])].sort(),
        );
      }),
    );
  });
});

function workload(
  name: string,
  o: { status?: WorkloadStatus; replicas?: number; count?: number } = {},
): Workload {
  const w = makeWorkload(name, 'team-a')
    .replicas(o.replicas ?? 1)
    .accelerators({ count: o.count ?? 1 })
    .obj();
  return o.status ? { ...w, status: o.status } : w;
}

describe('queueDepth', () => {
  const cancelled = workload('c', { status: { phase: 'Queued' } });
  cancelled.spec.cancel = true;
  const queued = workload('d', { status: { phase: 'Queued' } });
  const deleting = { ...queued, metadata: { ...queued.metadata, deletionTimestamp: '2025-03-01T10:00:00Z' } };

  it.each([
    { name: 'no workloads', workloads: [], depth: { workloads: 0, devices: 0 } },
    {
      name: 'no status yet counts as pending',
      workloads: [workload('a', { count: 4 })],
      depth: { workloads: 1, devices: 4 },
    },
    {
      name: 'pending',
      workloads: [workload('a', { status: { phase: 'Pending' } })],
      depth: { workloads: 1, devices: 1 },
    },
    {
      name: 'queued: replicas × devices per replica',
      workloads: [workload('a', { status: { phase: 'Queued' }, replicas: 3, count: 8 })],
      depth: { workloads: 1, devices: 24 },
    },
    {
      name: 'preempted waits again',
      workloads: [workload('a', { status: { phase: 'Preempted' } })],
      depth: { workloads: 1, devices: 1 },
    },
    {
      name: 'admitted is not waiting',
      workloads: [workload('a', { status: { phase: 'Admitted' } })],
      depth: { workloads: 0, devices: 0 },
    },
    {
      name: 'running is not waiting',
      workloads: [workload('a', { status: { phase: 'Running' } })],
      depth: { workloads: 0, devices: 0 },
    },
    {
      name: 'succeeded is not waiting',
      workloads: [workload('a', { status: { phase: 'Succeeded' } })],
      depth: { workloads: 0, devices: 0 },
    },
    {
      name: 'failed is not waiting',
      workloads: [workload('a', { status: { phase: 'Failed' } })],
      depth: { workloads: 0, devices: 0 },
    },
    {
      name: 'cancelled phase is not waiting',
      workloads: [workload('a', { status: { phase: 'Cancelled' } })],
      depth: { workloads: 0, devices: 0 },
    },
    {
      name: 'a queued workload being cancelled',
      workloads: [cancelled],
      depth: { workloads: 0, devices: 0 },
    },
    { name: 'a queued workload being deleted', workloads: [deleting], depth: { workloads: 0, devices: 0 } },
    {
      name: 'a mix',
      workloads: [
        workload('q', { status: { phase: 'Queued' }, replicas: 2, count: 4 }),
        workload('p', { status: { phase: 'Pending' }, count: 2 }),
        workload('r', { status: { phase: 'Running' }, count: 8 }),
        cancelled,
        deleting,
      ],
      depth: { workloads: 2, devices: 10 },
    },
  ])('$name', ({ workloads, depth }) => {
    expect(queueDepth(workloads)).toEqual(depth);
  });
});
