import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateResource } from '@kentaur/api';
import { makeNode, type NodeBuilder } from './node.builder';
import { makeWorkload } from './workload.builder';

interface FleetPool {
  name: string;
  labels: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  capacity: Record<string, string>;
}

function fleetPools(file: string): Map<string, FleetPool> {
  const text = readFileSync(join(__dirname, '../../../deploy/sandbox/fleets', file), 'utf8');
  const fleet = parse(text, { merge: true }) as { spec: { pools: FleetPool[] } };
  return new Map(fleet.spec.pools.map((p) => [p.name, p]));
}

describe('makeNode vendor presets', () => {
  const pools = fleetPools('default.yaml');
  const presets: [string, (b: NodeBuilder) => NodeBuilder, string][] = [
    ['nvidia-h100', (b) => b.nvidia('H100', 8), 'nvidia.com/gpu'],
    ['amd-mi300x', (b) => b.amd('MI300X', 8), 'amd.com/gpu'],
    ['intel-gaudi3', (b) => b.gaudi('Gaudi3', 8), 'habana.ai/gaudi'],
    ['tenstorrent-p150', (b) => b.tenstorrent('p150', 4), 'tenstorrent.com/chip'],
  ];

  it.each(presets)(
    "%s carries the default fleet's labels, taints and devices",
    (poolName, preset, resource) => {
      const pool = pools.get(poolName)!;
      const node = preset(makeNode('n').region('dk-1')).obj();
      const { 'kubernetes.io/hostname': _h, 'kubernetes.io/arch': _a, ...labels } = node.metadata!.labels!;
      expect(labels).toEqual(pool.labels);
      expect(node.spec!.taints).toEqual(pool.taints);
      expect(node.status!.allocatable![resource]).toBe(pool.capacity[resource]);
      expect(node.status!.capacity![resource]).toBe(pool.capacity[resource]);
    },
  );

  it("H200 and MI325X carry the gigafactory fleet's product labels", () => {
    const giga = fleetPools('gigafactory.yaml');
    expect(makeNode('n').region('dk-1').nvidia('H200').obj().metadata!.labels).toMatchObject(
      giga.get('nvidia-h200')!.labels,
    );
    expect(makeNode('n').region('dk-1').amd('MI325X').obj().metadata!.labels).toMatchObject(
      giga.get('amd-mi325x')!.labels,
    );
  });

  it('builds state: readiness, cordon, taints, capacity apart from allocatable, and fresh copies', () => {
    const b = makeNode('n')
      .notReady()
      .unschedulable()
      .taint('k', 'NoExecute', 'v')
      .capacity('x.io/d', 8)
      .allocatable('x.io/d', 6);
    const node = b.obj();
    expect(node.status!.conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }]);
    expect(node.spec).toEqual({
      unschedulable: true,
      taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }],
    });
    expect([node.status!.capacity!['x.io/d'], node.status!.allocatable!['x.io/d']]).toEqual(['8', '6']);
    node.metadata!.name = 'changed';
    expect(b.obj().metadata!.name).toBe('n');
  });

  it('STYLE shorthand .vendor() is the vendor preset', () => {
    expect(makeNode('n').vendor('amd', 4).obj()).toEqual(makeNode('n').amd('MI300X', 4).obj());
  });
});

describe('makeWorkload', () => {
  it('defaults to a valid one-replica Batch workload', () => {
    const w = makeWorkload('train', 'team-a').obj();
    expect(w).toMatchObject({
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Workload',
      metadata: { name: 'train', namespace: 'team-a' },
    });
    expect(validateResource('Workload', w)).toEqual([]);
  });

  it('builds a valid gang with per-vendor images, env and resources', () => {
    const w = makeWorkload('train', 'team-a')
      .replicas(2)
      .accelerators({ count: 8, minMemoryGB: 80, precisions: ['bf16', 'fp8'], vendors: ['nvidia', 'amd'] })
      .image(undefined)
      .images({ nvidia: 'reg/cuda:1', amd: 'reg/rocm:1' })
      .env({ EPOCHS: '3' })
      .cpu('32')
      .memory('512Gi')
      .maxDuration('2h');
    expect(validateResource('Workload', w.obj())).toEqual([]);
    expect(w.spec()).toMatchObject({
      replicas: 2,
      accelerators: { count: 8, minMemoryGB: 80 },
      template: {
        images: { nvidia: 'reg/cuda:1', amd: 'reg/rocm:1' },
        env: [{ name: 'EPOCHS', value: '3' }],
        cpu: '32',
        memory: '512Gi',
      },
      maxDuration: '2h',
    });
    expect(w.spec().template).not.toHaveProperty('image');
  });
});
