import type { Pod } from 'kubernetes-types/core/v1';
import type { AcceleratorPool, Tenant, Workload } from '@kentaur/api';
import { makeNode, makeWorkload } from '@kentaur/testing';
import { buildSnapshot, pendingOf, type SnapshotInput } from './cluster-snapshot';
import { amdPool } from '@kentaur/testing';

const defaults = { pricePerDeviceHourEUR: 1, pue: 1.2, gridCarbonGramsPerKWh: 250 };
const tenant: Tenant = {
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme' },
  spec: {
    displayName: 'ACME',
    tier: 'sme',
    namespaces: ['tenant-acme'],
    quota: { guaranteedCU: 10, limitCU: 40 },
  },
};
const nodes = [makeNode('amd-0').amd('MI300X', 8).obj(), makeNode('amd-1').amd('MI300X', 8).obj()];
const pod = (node: string, devices: number, workload?: string): Pod => ({
  metadata: { namespace: 'tenant-acme', labels: workload ? { 'kentaur.io/workload': workload } : {} },
  spec: {
    nodeName: node,
    containers: [{ name: 'c', resources: { limits: { 'amd.com/gpu': String(devices) } } }],
  },
  status: { phase: 'Running' },
});
const admitted = (
  name: string,
  placement: { node: string; devices: number }[],
  replicas = placement.length,
): Workload => {
  const w = makeWorkload(name, 'tenant-acme')
    .replicas(replicas)
    .accelerators({ count: placement[0]!.devices })
    .obj();
  w.status = {
    phase: 'Admitted',
    admission: {
      site: 'dk-1',
      pool: 'dk-1-amd-mi300x',
      vendor: 'amd',
      model: 'MI300X',
      computeUnits: 1,
      admittedAt: '2026-11-22T00:00:00Z',
      placement,
    },
  };
  return w;
};
const input = (over: Partial<SnapshotInput>): SnapshotInput => ({
  nodes,
  pods: [],
  pools: [amdPool()],
  sites: [],
  tenants: [tenant],
  workloads: [],
  defaults,
  ...over,
});
const freeOf = (i: SnapshotInput) =>
  Object.fromEntries(buildSnapshot(i).snapshot.pools[0]!.nodes.map((n) => [n.name, n.free]));

describe('buildSnapshot', () => {
  it('counts devices held by bound pods as used', () => {
    expect(freeOf(input({ pods: [pod('amd-0', 3)] }))).toEqual({ 'amd-0': 5, 'amd-1': 8 });
  });

  it('counts the plan of an admitted workload until its pods are bound, and only then', () => {
    const w = admitted('w', [{ node: 'amd-1', devices: 8 }]);
    expect(freeOf(input({ workloads: [w] }))).toEqual({ 'amd-0': 8, 'amd-1': 0 });
    // Bound elsewhere than planned: the plan no longer counts, the binding does.
    expect(freeOf(input({ workloads: [w], pods: [pod('amd-0', 8, 'w')] }))).toEqual({
      'amd-0': 0,
      'amd-1': 8,
    });
  });

  it('counts a reservation in the pool once, whether or not its pods are bound yet', () => {
    const reservedPool: AcceleratorPool = {
      ...amdPool(),
      status: {
        reservations: {
          'tenant-acme/r': { nodes: [{ node: 'amd-1', devices: 6 }], attempt: 1, at: '2026-11-22T00:00:00Z' },
        },
      },
    };
    expect(freeOf(input({ pools: [reservedPool] }))).toEqual({ 'amd-0': 8, 'amd-1': 2 });
    // Its pod bound (even elsewhere than reserved): the reservation counts, the pod does not again.
    expect(freeOf(input({ pools: [reservedPool], pods: [pod('amd-1', 6, 'r')] }))).toEqual({
      'amd-0': 8,
      'amd-1': 2,
    });
    // Someone else's pod on the node still counts.
    expect(freeOf(input({ pools: [reservedPool], pods: [pod('amd-1', 1)] }))).toEqual({
      'amd-0': 8,
      'amd-1': 1,
    });
  });

  it('counts a workload reserved in two pools in both (found by the chaos suite: a lost admission write)', () => {
    const reservation = (node: string, devices: number) => ({
      reservations: {
        'tenant-acme/r': { nodes: [{ node, devices }], attempt: 1, at: '2026-11-22T00:00:00Z' },
      },
    });
    const first: AcceleratorPool = { ...amdPool(), status: reservation('amd-1', 6) };
    const second: AcceleratorPool = {
      ...amdPool(),
      metadata: { ...amdPool().metadata, name: 'dk-1-amd-mi300x-old' },
      status: reservation('amd-0', 2),
    };
    expect(freeOf(input({ pools: [first, second] }))).toEqual({ 'amd-0': 6, 'amd-1': 2 });
  });

  it('maps running and pending workloads, and reports workloads no tenant owns', () => {
    const stray = makeWorkload('stray', 'elsewhere').obj();
    const queued = makeWorkload('q', 'tenant-acme').obj();
    const built = buildSnapshot(
      input({ workloads: [admitted('r', [{ node: 'amd-0', devices: 2 }]), queued, stray] }),
    );
    expect(built.snapshot.running.map((r) => r.key)).toEqual(['tenant-acme/r']);
    expect(built.snapshot.pending.map((p) => p.key)).toEqual(['tenant-acme/q']);
    expect(built.orphans).toEqual([
      { key: 'elsewhere/stray', reason: expect.stringMatching(/no Tenant lists namespace elsewhere/) },
    ]);
  });

  it('keeps workloads whose images the allow-list refuses away from the scheduler, naming the field', () => {
    const ok = makeWorkload('ok', 'tenant-acme').image('registry.example/team/train:1').obj();
    const hub = makeWorkload('hub', 'tenant-acme').image('ubuntu:22.04').obj();
    const perVendor = makeWorkload('per-vendor', 'tenant-acme')
      .image(undefined)
      .images({ amd: 'registry.example/team/x:rocm', nvidia: 'evil.example/team/x:cuda' })
      .obj();
    const workloads = [ok, hub, perVendor];
    const global = buildSnapshot(input({ workloads, imageRegistries: ['registry.example/team/'] }));
    expect(global.snapshot.pending.map((p) => p.key)).toEqual(['tenant-acme/ok']);
    expect(global.refused).toEqual([
      {
        key: 'tenant-acme/hub',
        reason: expect.stringMatching(
          /^spec\.template\.image "ubuntu:22\.04" \(docker\.io\/library\/ubuntu:22\.04\) is not from a registry that the installation's image allow-list allows \(registry\.example\/team\/\)/,
        ),
      },
      {
        key: 'tenant-acme/per-vendor',
        reason: expect.stringMatching(/^spec\.template\.images\.nvidia "evil\.example\/team\/x:cuda" is not/),
      },
    ]);
    // The tenant's own list replaces the global one.
    const own: Tenant = { ...tenant, spec: { ...tenant.spec, imageRegistries: ['docker.io/library/'] } };
    const byTenant = buildSnapshot(
      input({ workloads, tenants: [own], imageRegistries: ['registry.example/team/'] }),
    );
    expect(byTenant.snapshot.pending.map((p) => p.key)).toEqual(['tenant-acme/hub']);
    expect(byTenant.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(
        /^spec\.template\.image .* tenant acme's image allow-list \(spec\.imageRegistries\) allows \(docker\.io\/library\/\)/,
      ),
      expect.stringMatching(/^spec\.template\.images\.amd .*; spec\.template\.images\.nvidia /),
    ]);
    // No list anywhere: anything.
    expect(buildSnapshot(input({ workloads })).refused).toEqual([]);
  });

  it('leaves out pools without compute units, saying why', () => {
    const bare = {
      ...amdPool(),
      metadata: { name: 'bare' },
      spec: { ...amdPool().spec, computeUnitsPerDevice: undefined },
    };
    const built = buildSnapshot(input({ pools: [bare] }));
    expect(built.snapshot.pools).toEqual([]);
    expect(built.skippedPools).toEqual([
      { pool: 'bare', reason: expect.stringMatching(/computeUnitsPerDevice/) },
    ]);
  });
});

describe('pendingOf', () => {
  it('a generic image covers every vendor; per-vendor images only theirs', () => {
    const generic = makeWorkload('a', 'ns').image('r/x:1').obj();
    const perVendor = makeWorkload('b', 'ns')
      .image(undefined)
      .images({ amd: 'r/x:rocm', nvidia: 'r/x:cuda' })
      .obj();
    expect(pendingOf(generic, 'acme').imageVendors).toEqual(['*']);
    expect(pendingOf(perVendor, 'acme').imageVendors).toEqual(['amd', 'nvidia']);
  });

  it('reads durations, defaults and the gang shape', () => {
    const w = makeWorkload('c', 'ns').replicas(3).accelerators({ count: 4 }).maxDuration('1h30m').obj();
    expect(pendingOf(w, 'acme')).toMatchObject({
      replicas: 3,
      devicesPerReplica: 4,
      maxDurationSeconds: 5400,
      priorityClass: 'standard',
      optimizeFor: 'balanced',
    });
  });
});
