import type { Node } from 'kubernetes-types/core/v1';
import { makeNode } from '@kentaur/testing';
import { NvidiaAdapter } from './nvidia/nvidia.adapter';
import { discoverPools, isNodeReady, poolName } from './pool-discovery';
import { VendorRegistry } from './registry';

const registry = new VendorRegistry();
const opts = { registry, defaultSite: 'dk-1' };

/** A mixed site: the default fleet's pools plus the edge cases discovery must report. */
function fleet(): Node[] {
  return [
    makeNode('h100-a').region('dk-1').nvidia('H100', 8).obj(),
    makeNode('h100-b').region('dk-1').nvidia('H100', 8).notReady().obj(),
    makeNode('h100-c').region('dk-1').nvidia('H100', 8).taint('node.kubernetes.io/unreachable').obj(),
    makeNode('h100-se').region('se-2').nvidia('H100', 8).unschedulable().obj(),
    makeNode('mi300x-a').amd('MI300X', 8).allocatable('amd.com/gpu', 7).capacity('amd.com/gpu', 8).obj(),
    makeNode('mi300x-b').amd('MI300X', 8).obj(),
    makeNode('mi300x-cpx')
      .amd('MI300X')
      .withoutResource('amd.com/gpu')
      .allocatable('amd.com/cpx_nps4', 64)
      .obj(),
    makeNode('mig-a')
      .nvidia('H100', 8)
      .allocatable('nvidia.com/gpu', 0)
      .allocatable('nvidia.com/mig-3g.40gb', 16)
      .obj(),
    makeNode('gaudi-a').region('dk-1').gaudi('Gaudi3', 8).obj(),
    makeNode('gaudi-b').region('dk-1').gaudi('Gaudi3', 8).obj(),
    makeNode('tt-a').region('dk-1').tenstorrent(null).obj(),
    makeNode('tt-b').region('dk-1').tenstorrent(null).obj(),
    makeNode('cpu-a')
      .region('dk-1')
      .allocatable('hugepages-1Gi', 16)
      .allocatable('rdma/hca_shared', 1000)
      .obj(),
    makeNode('npu-a').region('dk-1').allocatable('furiosa.ai/npu', 8).obj(),
  ];
}

describe('discoverPools', () => {
  const result = discoverPools(fleet(), opts);
  const pool = (name: string) => result.pools.find((p) => p.name === name)!;

  it('groups by site, vendor, model and partition with stable names', () => {
    expect(result.pools.map((p) => p.name)).toEqual([
      'dk-1-amd-mi300x',
      'dk-1-amd-mi300x-cpx-nps4',
      'dk-1-intel-gaudi3',
      'dk-1-nvidia-h100',
      'dk-1-nvidia-h100-3g-40gb',
      'dk-1-tenstorrent-unknown',
      'se-2-nvidia-h100',
    ]);
  });

  it('describes a pool completely, counting ready nodes and devices', () => {
    expect(pool('dk-1-nvidia-h100')).toEqual({
      name: 'dk-1-nvidia-h100',
      site: 'dk-1',
      vendor: 'nvidia',
      model: 'H100',
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      resourceName: 'nvidia.com/gpu',
      devicesPerNode: 8,
      memoryGB: 80,
      computeUnitsPerDevice: 0.99,
      powerWattsPerDevice: 700,
      precisions: ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8'],
      classes: ['training', 'inference'],
      nodes: ['h100-a', 'h100-b', 'h100-c'],
      nodesReady: 1,
      devices: { capacity: 24, allocatable: 24 },
      warnings: [],
    });
    expect(pool('se-2-nvidia-h100')).toMatchObject({ nodes: ['h100-se'], nodesReady: 0 });
  });

  it('sums capacity and allocatable separately and uses the default site', () => {
    expect(pool('dk-1-amd-mi300x')).toMatchObject({
      site: 'dk-1',
      nodes: ['mi300x-a', 'mi300x-b'],
      devices: { capacity: 16, allocatable: 15 },
      devicesPerNode: 8,
      memoryGB: 192,
      computeUnitsPerDevice: 1.31,
    });
  });

  it('scales partition pools to their share of the chip', () => {
    expect(pool('dk-1-nvidia-h100-3g-40gb')).toMatchObject({
      partition: '3g.40gb',
      resourceName: 'nvidia.com/mig-3g.40gb',
      memoryGB: 40,
      computeUnitsPerDevice: 0.42, // 0.99 × 3/7
      powerWattsPerDevice: 300, // 700 × 3/7
      devices: { capacity: 16, allocatable: 16 },
    });
    expect(pool('dk-1-amd-mi300x-cpx-nps4')).toMatchObject({
      partition: 'cpx_nps4',
      computeUnitsPerDevice: 0.16, // 1.31 / 8
      powerWattsPerDevice: 93.75,
      devicesPerNode: 64,
    });
    expect(pool('dk-1-amd-mi300x-cpx-nps4')).not.toHaveProperty('memoryGB');
  });

  it('reports unknown-model pools with the fix', () => {
    expect(pool('dk-1-tenstorrent-unknown')).toMatchObject({
      model: 'unknown',
      nodeSelector: { 'feature.node.kubernetes.io/pci-1200_1e52.present': 'true' },
      devices: { capacity: 8, allocatable: 8 },
      precisions: [],
      warnings: [expect.stringContaining('label the nodes with kentaur.io/accelerator-model=<model>')],
    });
    expect(pool('dk-1-tenstorrent-unknown')).not.toHaveProperty('computeUnitsPerDevice');
  });

  it('reports accelerator signals nobody recognised, and ignores CPU-only nodes', () => {
    expect(result.unrecognised).toEqual([
      {
        node: 'npu-a',
        reason:
          'allocatable furiosa.ai/npu: 8 is not handled by any vendor adapter; configure a generic vendor for it (or ignore it if it is no accelerator)',
      },
    ]);
    expect(result.pools.flatMap((p) => p.nodes)).not.toContain('cpu-a');
  });

  it('does not depend on the order of the nodes', () => {
    const nodes = fleet();
    const rotated = [...nodes.slice(5), ...nodes.slice(0, 5)];
    expect(discoverPools([...nodes].reverse(), opts)).toEqual(result);
    expect(discoverPools(rotated, opts)).toEqual(result);
  });

  it('reports NFD labels of a vendor no adapter is registered for', () => {
    const nvidiaOnly = new VendorRegistry({ builtins: [new NvidiaAdapter()] });
    const { pools, unrecognised } = discoverPools([makeNode('tt').tenstorrent('p150').obj()], {
      registry: nvidiaOnly,
      defaultSite: 'x',
    });
    expect(pools).toEqual([]);
    expect(unrecognised).toEqual([
      {
        node: 'tt',
        reason:
          'feature.node.kubernetes.io/pci-1200_1e52.present shows Tenstorrent devices, but no vendor adapter recognised them; allocatable tenstorrent.com/chip: 4 is not handled by any vendor adapter; configure a generic vendor for it (or ignore it if it is no accelerator)',
      },
    ]);
  });

  it('puts a two-vendor node in both pools', () => {
    const { pools } = discoverPools([makeNode('both').nvidia('H200', 4).gaudi('Gaudi3', 4).obj()], opts);
    expect(pools.map((p) => [p.name, p.nodes])).toEqual([
      ['dk-1-intel-gaudi3', ['both']],
      ['dk-1-nvidia-h200', ['both']],
    ]);
  });

  it('keeps only the selector labels all nodes share, and warns where nodes differ', () => {
    const nodes = [
      makeNode('a').tenstorrent('p150', 4).obj(),
      makeNode('b')
        .label('feature.node.kubernetes.io/pci-1e52.present', 'true')
        .model('p150')
        .allocatable('tenstorrent.com/chip', 2)
        .obj(),
    ];
    const [p] = discoverPools(nodes, opts).pools;
    expect(p).toMatchObject({
      name: 'dk-1-tenstorrent-p150',
      nodeSelector: { 'kentaur.io/accelerator-model': 'p150' },
      devicesPerNode: 4,
      computeUnitsPerDevice: 0.37,
      warnings: ['nodes differ in devices per node (2, 4)'],
    });
  });

  it("warns when no label selects a pool's nodes", () => {
    const [p] = discoverPools([makeNode('x').allocatable('habana.ai/gaudi', 8).obj()], opts).pools;
    expect(p!.nodeSelector).toEqual({});
    expect(p!.warnings).toContain(
      'the nodes share no label that selects them: label them with kentaur.io/accelerator-model',
    );
  });
});

describe('discoverPools over the sandbox fleets', () => {
  it('recognises every accelerator pool of the default and gigafactory fleets with its model', () => {
    const nodes = [
      makeNode('nvidia-h100-0').region('dk-1').nvidia('H100', 8).obj(),
      makeNode('nvidia-h200-0').region('dk-1').nvidia('H200', 8).obj(),
      makeNode('amd-mi300x-0').region('dk-1').amd('MI300X', 8).obj(),
      makeNode('amd-mi325x-0').region('dk-1').amd('MI325X', 8).obj(),
      makeNode('intel-gaudi3-0').region('dk-1').gaudi('Gaudi3', 8).obj(),
      makeNode('tenstorrent-p150-0').region('dk-1').tenstorrent('p150', 4).obj(),
      makeNode('cpu-0').region('dk-1').obj(),
    ];
    const { pools, unrecognised } = discoverPools(nodes, opts);
    expect(
      pools.map((p) => [p.name, p.devices.allocatable, p.memoryGB, p.computeUnitsPerDevice, p.warnings]),
    ).toEqual([
      ['dk-1-amd-mi300x', 8, 192, 1.31, []],
      ['dk-1-amd-mi325x', 8, 256, 1.31, []],
      ['dk-1-intel-gaudi3', 8, 128, 1.84, []],
      ['dk-1-nvidia-h100', 8, 80, 0.99, []],
      ['dk-1-nvidia-h200', 8, 141, 0.99, []],
      ['dk-1-tenstorrent-p150', 4, 32, 0.37, []],
    ]);
    expect(unrecognised).toEqual([]);
  });
});

describe('poolName', () => {
  const cases: [string, Parameters<typeof poolName>[0], string][] = [
    ['catalog model', { site: 'dk-1', vendor: 'amd', model: 'MI300X' }, 'dk-1-amd-mi300x'],
    [
      'MIG partition',
      { site: 'dk-1', vendor: 'nvidia', model: 'H100', partition: '1g.10gb+me' },
      'dk-1-nvidia-h100-1g-10gb-me',
    ],
    ['raw product', { site: 'EU_West', vendor: 'nvidia', model: 'Tesla-T4' }, 'eu-west-nvidia-tesla-t4'],
  ];
  it.each(cases)('%s', (_name, parts, expected) => {
    expect(poolName(parts)).toBe(expected);
  });

  it('cuts names over 63 characters and keeps them distinct and stable', () => {
    const long = {
      site: 'a-very-long-site-name-for-testing',
      vendor: 'nvidia',
      model: 'NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition',
    };
    const name = poolName(long);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(poolName(long)).toBe(name);
    expect(poolName({ ...long, model: `${long.model}-2` })).not.toBe(name);
  });
});

describe('isNodeReady', () => {
  const cases: [string, Node, boolean][] = [
    ['ready', makeNode('n').obj(), true],
    ['not ready', makeNode('n').notReady().obj(), false],
    ['cordoned', makeNode('n').unschedulable().obj(), false],
    ['not-ready taint', makeNode('n').taint('node.kubernetes.io/not-ready').obj(), false],
    ['vendor taint only', makeNode('n').taint('nvidia.com/gpu', 'NoSchedule', 'present').obj(), true],
    [
      'PreferNoSchedule node taint',
      makeNode('n').taint('node.kubernetes.io/disk-pressure', 'PreferNoSchedule').obj(),
      true,
    ],
  ];
  it.each(cases)('%s', (_name, node, expected) => {
    expect(isNodeReady(node)).toBe(expected);
  });
});
