import type { Node } from 'kubernetes-types/core/v1';
import { makeNode } from '@kentaur/testing';
import type { DiscoveredDevices } from '../vendor-adapter';
import { IntelAdapter } from './intel.adapter';

const adapter = new IntelAdapter();

describe('IntelAdapter.discover', () => {
  const cases: [string, Node, Partial<DiscoveredDevices>][] = [
    [
      'Gaudi 3 with Habana Feature Discovery, as in the default fleet',
      makeNode('n').region('dk-1').gaudi('Gaudi3', 8).obj(),
      {
        vendor: 'intel',
        model: 'Gaudi3',
        product: 'GAUDI3',
        resourceName: 'habana.ai/gaudi',
        devicesPerNode: 8,
        memoryGB: 128,
        nodeSelector: { 'habana.ai/device.type': 'GAUDI3' },
        source: 'feature-labels',
        warnings: [],
      },
    ],
    [
      'Gaudi without Habana Feature Discovery: NFD and allocatable only',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-1200_1da3.present', 'true')
        .allocatable('habana.ai/gaudi', 8)
        .obj(),
      {
        model: 'unknown',
        resourceName: 'habana.ai/gaudi',
        devicesPerNode: 8,
        nodeSelector: { 'feature.node.kubernetes.io/pci-1200_1da3.present': 'true' },
        source: 'nfd-pci',
        warnings: [expect.stringContaining('kentaur.io/accelerator-model=<model> (intel models: Gaudi3)')],
      },
    ],
    [
      'Gaudi without Habana Feature Discovery, model set by the platform engineer',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-1200_1da3.present', 'true')
        .model('Gaudi3')
        .allocatable('habana.ai/gaudi', 8)
        .obj(),
      {
        model: 'Gaudi3',
        memoryGB: 128,
        source: 'kentaur-label',
        nodeSelector: {
          'feature.node.kubernetes.io/pci-1200_1da3.present': 'true',
          'kentaur.io/accelerator-model': 'Gaudi3',
        },
      },
    ],
    [
      'Gaudi identified by PCI device ID only',
      makeNode('n').labels({ 'habana.ai/device.id': '1062' }).allocatable('habana.ai/gaudi', 8).obj(),
      { model: 'Gaudi3', nodeSelector: { 'habana.ai/device.id': '1062' } },
    ],
    [
      'Gaudi 2 is reported under its device type, outside the catalog',
      makeNode('n').labels({ 'habana.ai/device.type': 'GAUDI2' }).allocatable('habana.ai/gaudi', 8).obj(),
      { model: 'GAUDI2', warnings: [expect.stringContaining('not in the intel catalog')] },
    ],
    [
      'Data Center GPU Max 1550 with Intel NFD rules and the i915 resource',
      makeNode('n').intelGpu('Max1550', 8).obj(),
      {
        model: 'Max1550',
        product: 'Max_1550',
        resourceName: 'gpu.intel.com/i915',
        devicesPerNode: 8,
        nodeSelector: { 'gpu.intel.com/product': 'Max_1550' },
        source: 'feature-labels',
      },
    ],
    [
      'an xe-driven GPU known only from NFD',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-0300_8086.present', 'true')
        .allocatable('gpu.intel.com/xe', 2)
        .obj(),
      { model: 'unknown', resourceName: 'gpu.intel.com/xe', devicesPerNode: 2, source: 'nfd-pci' },
    ],
    [
      'Crescent Island named by the Kentaur label on an xe node',
      makeNode('n')
        .label('intel.feature.node.kubernetes.io/gpu', 'true')
        .model('Crescent_Island')
        .allocatable('gpu.intel.com/xe', 4)
        .obj(),
      { model: 'CrescentIsland', memoryGB: 160, source: 'kentaur-label' },
    ],
  ];

  it.each(cases)('%s', (_name, node, expected) => {
    expect(adapter.discover(node)).toMatchObject(expected);
  });

  it('does not take Intel NICs (pci-8086.present, class 02) for GPUs', () => {
    const node = makeNode('n')
      .labels({
        'feature.node.kubernetes.io/pci-8086.present': 'true',
        'feature.node.kubernetes.io/pci-0200_8086.present': 'true',
      })
      .obj();
    expect(adapter.discover(node)).toBeUndefined();
  });

  it('a Gaudi node labelled Gaudi3 is not also an Intel GPU node', () => {
    const node = makeNode('n').model('Gaudi3').allocatable('habana.ai/gaudi', 8).obj();
    expect(adapter.discoverAll(node).map((d) => [d.model, d.resourceName])).toEqual([
      ['Gaudi3', 'habana.ai/gaudi'],
    ]);
  });

  it('a node with Intel GPUs and Gaudi gives both', () => {
    const node = makeNode('n').intelGpu('Max1550', 2).gaudi('Gaudi3', 8).obj();
    expect(adapter.discoverAll(node).map((d) => d.model)).toEqual(['Max1550', 'Gaudi3']);
  });

  it('picks i915 for Max series labels before the plugin advertises devices', () => {
    const node = makeNode('n').intelGpu('Max1550', 4).withoutResource('gpu.intel.com/i915').obj();
    expect(adapter.discover(node)).toMatchObject({ resourceName: 'gpu.intel.com/i915', devicesPerNode: 4 });
  });

  it('sees nothing on CPU-only nodes', () => {
    expect(adapter.discoverAll(makeNode('cpu').obj())).toEqual([]);
  });
});
