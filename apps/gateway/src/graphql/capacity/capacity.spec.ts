import fc from 'fast-check';
import type { AcceleratorPool, Workload, WorkloadStatus } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import { capacityBy, queueDepth } from './capacity';

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
