import type { Node } from 'kubernetes-types/core/v1';
import { makeNode } from '@kentaur/testing';
import type { DiscoveredDevices } from '../vendor-adapter';
import { migMemoryGB, NvidiaAdapter, parseNvidiaProduct } from './nvidia.adapter';

const adapter = new NvidiaAdapter();
const PRODUCT = 'nvidia.com/gpu.product';
const KENTAUR = 'kentaur.io/accelerator-model';
const toLabel: string = expect.stringContaining(`label the nodes with ${KENTAUR}=<model>`);

describe('NvidiaAdapter.discover', () => {
  const cases: [string, Node, Partial<DiscoveredDevices>][] = [
    [
      'H100 with GPU Operator NFD (pci-10de.present) and GFD, as in the default fleet',
      makeNode('n').region('dk-1').nvidia('H100', 8).obj(),
      {
        vendor: 'nvidia',
        model: 'H100',
        product: 'NVIDIA-H100-80GB-HBM3',
        resourceName: 'nvidia.com/gpu',
        devicesPerNode: 8,
        memoryGB: 80,
        nodeSelector: { [PRODUCT]: 'NVIDIA-H100-80GB-HBM3' },
        source: 'feature-labels',
        warnings: [],
      },
    ],
    [
      'H200: 143771 MiB is the 141 GB class',
      makeNode('n').nvidia('H200', 8).obj(),
      { model: 'H200', memoryGB: 141, nodeSelector: { [PRODUCT]: 'NVIDIA-H200' }, source: 'feature-labels' },
    ],
    [
      'GPU Operator NFD form without class only (no GFD yet)',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-10de.present', 'true')
        .allocatable('nvidia.com/gpu', 4)
        .obj(),
      {
        model: 'unknown',
        devicesPerNode: 4,
        nodeSelector: { 'feature.node.kubernetes.io/pci-10de.present': 'true' },
        source: 'nfd-pci',
        warnings: [toLabel],
      },
    ],
    [
      'default NFD class form plus the Kentaur model label',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-0302_10de.present', 'true')
        .model('B200')
        .allocatable('nvidia.com/gpu', 8)
        .obj(),
      {
        model: 'B200',
        memoryGB: 180,
        nodeSelector: { 'feature.node.kubernetes.io/pci-0302_10de.present': 'true', [KENTAUR]: 'B200' },
        source: 'kentaur-label',
        warnings: [],
      },
    ],
    [
      'MIG single strategy: product suffixed, MIG devices advertised as nvidia.com/gpu',
      makeNode('n')
        .nvidia('H100', 8)
        .label(PRODUCT, 'NVIDIA-H100-80GB-HBM3-MIG-1g.10gb')
        .allocatable('nvidia.com/gpu', 56)
        .obj(),
      {
        model: 'H100',
        partition: '1g.10gb',
        resourceName: 'nvidia.com/gpu',
        devicesPerNode: 56,
        memoryGB: 10,
        nodeSelector: { [PRODUCT]: 'NVIDIA-H100-80GB-HBM3-MIG-1g.10gb' },
      },
    ],
    [
      'MIG mixed strategy without whole GPUs',
      makeNode('n')
        .nvidia('H100', 8)
        .label('nvidia.com/mig.strategy', 'mixed')
        .allocatable('nvidia.com/gpu', 0)
        .allocatable('nvidia.com/mig-3g.40gb', 16)
        .obj(),
      {
        model: 'H100',
        partition: '3g.40gb',
        resourceName: 'nvidia.com/mig-3g.40gb',
        devicesPerNode: 16,
        memoryGB: 40,
      },
    ],
    [
      'allocatable only: the model and a selector are missing',
      makeNode('n').allocatable('nvidia.com/gpu', 8).obj(),
      {
        model: 'unknown',
        devicesPerNode: 8,
        nodeSelector: {},
        source: 'allocatable',
        warnings: [toLabel, expect.stringContaining('no label identifies these nodes')],
      },
    ],
    [
      'a GPU outside the catalog keeps its product name and memory from the label',
      makeNode('n')
        .labels({ [PRODUCT]: 'Tesla-T4', 'nvidia.com/gpu.memory': '15360' })
        .allocatable('nvidia.com/gpu', 1)
        .obj(),
      {
        model: 'Tesla-T4',
        memoryGB: 15,
        precisions: [],
        warnings: [expect.stringContaining('not in the nvidia catalog')],
      },
    ],
    [
      'time-sliced GPUs are the model with a warning',
      makeNode('n')
        .nvidia('H100', 8)
        .label(PRODUCT, 'NVIDIA-H100-80GB-HBM3-SHARED')
        .allocatable('nvidia.com/gpu', 32)
        .obj(),
      {
        model: 'H100',
        devicesPerNode: 32,
        memoryGB: 80,
        warnings: [expect.stringContaining('shared (time-slicing or MPS)')],
      },
    ],
    [
      'labels but no allocatable yet: devices from gpu.count',
      makeNode('n').nvidia('H100', 8).withoutResource('nvidia.com/gpu').obj(),
      { model: 'H100', devicesPerNode: 8, warnings: [] },
    ],
  ];

  it.each(cases)('%s', (_name, node, expected) => {
    expect(adapter.discover(node)).toMatchObject(expected);
  });

  it('MIG mixed with whole GPUs and two profiles gives one discovery each', () => {
    const node = makeNode('n')
      .nvidia('H100', 8)
      .allocatable('nvidia.com/gpu', 4)
      .allocatable('nvidia.com/mig-3g.40gb', 4)
      .allocatable('nvidia.com/mig-1g.10gb', 14)
      .obj();
    expect(
      adapter.discoverAll(node).map((d) => [d.resourceName, d.partition, d.devicesPerNode, d.memoryGB]),
    ).toEqual([
      ['nvidia.com/gpu', undefined, 4, 80],
      ['nvidia.com/mig-1g.10gb', '1g.10gb', 14, 10],
      ['nvidia.com/mig-3g.40gb', '3g.40gb', 4, 40],
    ]);
  });

  it("sees nothing on CPU-only nodes or other vendors' nodes", () => {
    expect(adapter.discover(makeNode('cpu').region('dk-1').obj())).toBeUndefined();
    expect(adapter.discover(makeNode('amd').amd('MI300X', 8).obj())).toBeUndefined();
    expect(adapter.discover(makeNode('tt').tenstorrent('p150').obj())).toBeUndefined();
  });

  it("ignores a Kentaur label naming another vendor's model", () => {
    const node = makeNode('n')
      .label('feature.node.kubernetes.io/pci-10de.present', 'true')
      .model('MI300X')
      .obj();
    expect(adapter.discover(node)).toMatchObject({ model: 'unknown', source: 'nfd-pci' });
  });
});

describe('NVIDIA product strings', () => {
  const products: [string, ReturnType<typeof parseNvidiaProduct>][] = [
    ['NVIDIA-H100-80GB-HBM3', { base: 'NVIDIA-H100-80GB-HBM3', shared: false }],
    ['NVIDIA-H100-80GB-HBM3-MIG-1g.10gb', { base: 'NVIDIA-H100-80GB-HBM3', mig: '1g.10gb', shared: false }],
    ['NVIDIA-H100-80GB-HBM3-SHARED', { base: 'NVIDIA-H100-80GB-HBM3', shared: true }],
    [
      'NVIDIA-A100-SXM4-40GB-MIG-1g.5gb-SHARED',
      { base: 'NVIDIA-A100-SXM4-40GB', mig: '1g.5gb', shared: true },
    ],
  ];
  it.each(products)('%s', (product, expected) => {
    expect(parseNvidiaProduct(product)).toEqual(expected);
  });

  it('reads MIG profile memory', () => {
    expect(migMemoryGB('3g.40gb')).toBe(40);
    expect(migMemoryGB('1g.10gb+me')).toBe(10);
    expect(migMemoryGB('7g.141gb')).toBe(141);
    expect(migMemoryGB('weird')).toBeUndefined();
  });
});
