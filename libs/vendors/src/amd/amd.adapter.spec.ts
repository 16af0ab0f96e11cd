import type { Node } from 'kubernetes-types/core/v1';
import { makeNode } from '@kentaur/testing';
import type { DiscoveredDevices } from '../vendor-adapter';
import { AmdAdapter, parseVram } from './amd.adapter';

const adapter = new AmdAdapter();
const PRODUCT = 'amd.com/gpu.product-name';
const PARTITION = 'amd.com/gpu.compute-memory-partition';

describe('AmdAdapter.discover', () => {
  const cases: [string, Node, Partial<DiscoveredDevices>][] = [
    [
      'MI300X with the GPU Operator NFD rule and node labeller, as in the default fleet',
      makeNode('n').region('dk-1').amd('MI300X', 8).obj(),
      {
        vendor: 'amd',
        model: 'MI300X',
        product: 'AMD_Instinct_MI300X_OAM',
        resourceName: 'amd.com/gpu',
        devicesPerNode: 8,
        memoryGB: 192,
        nodeSelector: { [PRODUCT]: 'AMD_Instinct_MI300X_OAM' },
        source: 'feature-labels',
        warnings: [],
      },
    ],
    [
      'MI325X: "256G" is 256',
      makeNode('n').amd('MI325X', 8).obj(),
      { model: 'MI325X', memoryGB: 256, interconnect: 'Infinity Fabric, 7 links, 8 GPUs fully connected' },
    ],
    [
      'mixed naming: CPX-NPS4 partitions as amd.com/cpx_nps4',
      makeNode('n').amd('MI300X').withoutResource('amd.com/gpu').allocatable('amd.com/cpx_nps4', 64).obj(),
      {
        model: 'MI300X',
        partition: 'cpx_nps4',
        resourceName: 'amd.com/cpx_nps4',
        devicesPerNode: 64,
        memoryGB: undefined,
      },
    ],
    [
      'single naming with the partition label: amd.com/gpu counts partitions',
      makeNode('n').amd('MI300X').allocatable('amd.com/gpu', 64).label(PARTITION, 'cpx_nps4').obj(),
      {
        partition: 'cpx_nps4',
        resourceName: 'amd.com/gpu',
        devicesPerNode: 64,
        nodeSelector: { [PRODUCT]: 'AMD_Instinct_MI300X_OAM', [PARTITION]: 'cpx_nps4' },
      },
    ],
    [
      'SPX-NPS1 is the whole GPU, not a partition',
      makeNode('n').amd('MI300X').label(PARTITION, 'spx_nps1').obj(),
      { partition: undefined, memoryGB: 192, nodeSelector: { [PRODUCT]: 'AMD_Instinct_MI300X_OAM' } },
    ],
    [
      'NFD class-1200 label and allocatable only',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-1200_1002.present', 'true')
        .allocatable('amd.com/gpu', 8)
        .obj(),
      {
        model: 'unknown',
        source: 'nfd-pci',
        nodeSelector: { 'feature.node.kubernetes.io/pci-1200_1002.present': 'true' },
        warnings: [
          expect.stringContaining(
            'kentaur.io/accelerator-model=<model> (amd models: MI300X, MI325X, MI350X)',
          ),
        ],
      },
    ],
    [
      'device ID label alone identifies the model',
      makeNode('n').labels({ 'amd.com/gpu.device-id': '75a0' }).allocatable('amd.com/gpu', 8).obj(),
      {
        model: 'MI350X',
        memoryGB: 288,
        nodeSelector: { 'amd.com/gpu.device-id': '75a0' },
        source: 'feature-labels',
      },
    ],
    [
      'GPU Operator NFD rule model label',
      makeNode('n')
        .labels({ 'feature.node.kubernetes.io/amd-gpu-mi300x': 'true' })
        .allocatable('amd.com/gpu', 8)
        .obj(),
      { model: 'MI300X', nodeSelector: { 'feature.node.kubernetes.io/amd-gpu-mi300x': 'true' } },
    ],
    [
      'a GPU outside the catalog keeps its product name and VRAM label',
      makeNode('n')
        .labels({ [PRODUCT]: 'AMD_Instinct_MI210', 'amd.com/gpu.vram': '64G' })
        .allocatable('amd.com/gpu', 4)
        .obj(),
      {
        model: 'AMD_Instinct_MI210',
        memoryGB: 64,
        warnings: [expect.stringContaining('not in the amd catalog')],
      },
    ],
  ];

  it.each(cases)('%s', (_name, node, expected) => {
    const found = adapter.discover(node)!;
    const absent = Object.keys(expected).filter((k) => expected[k as keyof DiscoveredDevices] === undefined);
    const present = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
    expect(found).toMatchObject(present);
    for (const key of absent) expect(found).not.toHaveProperty(key);
  });

  it('mixed naming with two partition modes gives one discovery each', () => {
    const node = makeNode('n')
      .amd('MI300X')
      .allocatable('amd.com/gpu', 0)
      .allocatable('amd.com/spx_nps1', 4)
      .allocatable('amd.com/cpx_nps4', 32)
      .obj();
    expect(adapter.discoverAll(node).map((d) => [d.resourceName, d.partition, d.devicesPerNode])).toEqual([
      ['amd.com/cpx_nps4', 'cpx_nps4', 32],
      ['amd.com/spx_nps1', undefined, 4],
    ]);
  });

  it('sees nothing on CPU-only or NVIDIA nodes', () => {
    expect(adapter.discover(makeNode('cpu').obj())).toBeUndefined();
    expect(adapter.discover(makeNode('n').nvidia().obj())).toBeUndefined();
  });

  it('parses the labeller VRAM format', () => {
    expect(parseVram('192G')).toBe(192);
    expect(parseVram('256G')).toBe(256);
    expect(parseVram('lots')).toBeUndefined();
    expect(parseVram(undefined)).toBeUndefined();
  });
});
