import type { Node } from 'kubernetes-types/core/v1';
import { makeNode } from '@kentaur/testing';
import type { DiscoveredDevices } from '../vendor-adapter';
import { TenstorrentAdapter } from './tenstorrent.adapter';

const adapter = new TenstorrentAdapter();
const NFD = 'feature.node.kubernetes.io/pci-1200_1e52.present';

describe('TenstorrentAdapter.discover', () => {
  const cases: [string, Node, Partial<DiscoveredDevices>][] = [
    [
      'NFD and allocatable only (before the model is labelled): model unknown with the fix',
      makeNode('n').region('dk-1').tenstorrent(null).obj(),
      {
        vendor: 'tenstorrent',
        model: 'unknown',
        resourceName: 'tenstorrent.com/chip',
        devicesPerNode: 4,
        nodeSelector: { [NFD]: 'true' },
        source: 'nfd-pci',
        warnings: [
          expect.stringContaining(
            'label the nodes with kentaur.io/accelerator-model=<model> (tenstorrent models: n300, p150)',
          ),
        ],
      },
    ],
    [
      'p150 named by the Kentaur label, as in the default fleet',
      makeNode('n').tenstorrent('p150', 4).obj(),
      {
        model: 'p150',
        memoryGB: 32,
        precisions: ['fp32', 'bf16', 'fp16', 'fp8'],
        nodeSelector: { [NFD]: 'true', 'kentaur.io/accelerator-model': 'p150' },
        source: 'kentaur-label',
        warnings: [],
      },
    ],
    [
      'n300 with the vendor-only NFD form',
      makeNode('n')
        .label('feature.node.kubernetes.io/pci-1e52.present', 'true')
        .model('n300')
        .allocatable('tenstorrent.com/chip', 2)
        .obj(),
      { model: 'n300', memoryGB: 24, devicesPerNode: 2 },
    ],
    [
      'a board outside the catalog (n150) is kept as labelled',
      makeNode('n').tenstorrent(null, 1).model('n150').obj(),
      { model: 'n150', warnings: [expect.stringContaining('not in the tenstorrent catalog')] },
    ],
    [
      'NFD label before the DRA driver runs: no devices yet',
      makeNode('n').label(NFD, 'true').obj(),
      {
        model: 'unknown',
        devicesPerNode: 0,
        warnings: [expect.anything(), expect.stringContaining('no allocatable tenstorrent.com/chip')],
      },
    ],
  ];

  it.each(cases)('%s', (_name, node, expected) => {
    expect(adapter.discover(node)).toMatchObject(expected);
  });

  it('sees nothing on CPU-only or Gaudi nodes', () => {
    expect(adapter.discover(makeNode('cpu').obj())).toBeUndefined();
    expect(adapter.discover(makeNode('g').gaudi().obj())).toBeUndefined();
  });
});
