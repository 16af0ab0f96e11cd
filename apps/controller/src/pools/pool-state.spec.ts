import type { Pod } from 'kubernetes-types/core/v1';
import type { DiscoveredPool } from '@kentaur/vendors';
import { allocatedByNode, discoveredPoolObject, poolStatus } from './pool-state';

const pod = (node: string | undefined, limits: Record<string, string>[], phase = 'Running'): Pod => ({
  spec: { nodeName: node, containers: limits.map((l, i) => ({ name: `c${i}`, resources: { limits: l } })) },
  status: { phase },
});

const pool: DiscoveredPool = {
  name: 'dk-1-amd-mi300x',
  site: 'dk-1',
  vendor: 'amd',
  model: 'MI300X',
  nodeSelector: { 'amd.com/gpu.product-name': 'AMD_Instinct_MI300X_OAM' },
  resourceName: 'amd.com/gpu',
  devicesPerNode: 8,
  memoryGB: 192,
  computeUnitsPerDevice: 1.31,
  powerWattsPerDevice: 750,
  precisions: ['bf16'],
  classes: [],
  nodes: ['a', 'b'],
  nodesReady: 1,
  devices: { capacity: 16, allocatable: 16 },
  warnings: [],
};

describe('allocatedByNode', () => {
  it('sums the resource over containers of bound, unfinished pods', () => {
    const pods = [
      pod('a', [{ 'amd.com/gpu': '2' }, { 'amd.com/gpu': '1', cpu: '4' }]),
      pod('a', [{ 'amd.com/gpu': '4' }], 'Succeeded'),
      pod('b', [{ 'amd.com/gpu': '8' }], 'Pending'),
      pod(undefined, [{ 'amd.com/gpu': '8' }], 'Pending'),
      pod('b', [{ 'nvidia.com/gpu': '8' }]),
    ];
    expect(Object.fromEntries(allocatedByNode(pods, 'amd.com/gpu'))).toEqual({ a: 3, b: 8 });
  });
});

describe('poolStatus', () => {
  it('counts nodes, ready nodes, capacity and the devices held on its nodes only', () => {
    const status = poolStatus(
      pool,
      new Map([
        ['a', 3],
        ['elsewhere', 5],
      ]),
    );
    expect(status).toEqual({
      discovered: true,
      nodes: 2,
      nodesReady: 1,
      devices: { capacity: 16, allocatable: 16, allocated: 3 },
    });
  });

  it('reports a pool whose nodes are gone as not discovered, with zero counts', () => {
    expect(poolStatus(undefined, new Map())).toEqual({
      discovered: false,
      nodes: 0,
      nodesReady: 0,
      devices: { capacity: 0, allocatable: 0, allocated: 0 },
    });
  });
});

describe('discoveredPoolObject', () => {
  it('owns only discovered fields, never cordon, evacuation or prices', () => {
    const obj = discoveredPoolObject(pool);
    expect(obj.metadata.labels).toMatchObject({
      'kentaur.io/discovered': 'true',
      'kentaur.io/vendor': 'amd',
    });
    expect(Object.keys(obj.spec).sort()).toEqual(
      [
        'classes',
        'computeUnitsPerDevice',
        'devicesPerNode',
        'memoryGB',
        'model',
        'nodeSelector',
        'powerWattsPerDevice',
        'precisions',
        'resourceName',
        'site',
        'vendor',
      ].sort(),
    );
    expect(obj.spec.classes).toEqual(['training', 'inference']);
  });
});
