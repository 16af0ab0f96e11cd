import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployDir } from './layout';
import { FleetError, fleetNode, fleetNodes, fleetSize, loadFleet, parseFleet } from './fleet';

const minimal = (pools: string) => `kind: Fleet\nmetadata: { name: t }\nspec:\n  pools:\n${pools}`;
const pool = (extra = '') =>
  `    - name: p\n      nodes: 2\n      capacity: { cpu: "8", memory: 64Gi, pods: "110", amd.com/gpu: "8" }\n${extra}`;

describe('parseFleet', () => {
  const invalid: [string, string, RegExp][] = [
    ['not a fleet', 'kind: Pod', /kind must be Fleet/],
    ['no pools', 'kind: Fleet\nspec: { pools: [] }', /spec\.pools must be a non-empty list/],
    [
      'bad name',
      minimal('    - { name: Bad_Name, nodes: 1, capacity: { cpu: "1", memory: 1Gi, pods: "1" } }\n'),
      /spec\.pools\[0\]\.name: must be a DNS-1123/,
    ],
    [
      'negative nodes',
      minimal('    - { name: p, nodes: -1, capacity: { cpu: "1", memory: 1Gi, pods: "1" } }\n'),
      /spec\.pools\[0\]\.nodes: must be a whole number/,
    ],
    [
      'missing cpu',
      minimal('    - { name: p, nodes: 1, capacity: { memory: 1Gi, pods: "1" } }\n'),
      /spec\.pools\[0\]\.capacity\.cpu: required/,
    ],
    [
      'bad taint effect',
      minimal(pool('      taints: [{ key: k, effect: Sometimes }]\n')),
      /taints\[0\]\.effect: must be one of/,
    ],
    ['label not a string', minimal(pool('      labels: { a: [1] }\n')), /labels\.a: must be a string/],
    ['duplicate pools', minimal(pool() + pool()), /spec\.pools\[1\]\.name: "p" is used twice/],
    [
      'bad runtime class',
      'kind: Fleet\nspec:\n  runtimeClasses: [Not OK]\n  pools:\n' + pool(),
      /spec\.runtimeClasses must be a list of DNS-1123 names/,
    ],
    ['broken YAML', 'kind: [', /not valid YAML/],
  ];
  it.each(invalid)('rejects %s with a message naming the field', (_name, text, message) => {
    expect(() => parseFleet(text)).toThrow(FleetError);
    expect(() => parseFleet(text)).toThrow(message);
  });

  it('accepts numbers and booleans in labels as strings', () => {
    const fleet = parseFleet(minimal(pool('      labels: { count: 8, present: true }\n')));
    expect(fleet.pools[0]!.labels).toEqual({ count: '8', present: 'true' });
  });
});

describe('fleetNode', () => {
  const fleet = parseFleet(
    minimal(
      pool(
        '      labels: { vendor.example/x: "1" }\n      taints: [{ key: amd.com/gpu, effect: NoSchedule }]\n',
      ),
    ),
  );

  it('builds a KWOK-managed node with the pool labels, taints and resources', () => {
    const node = fleetNode(fleet.pools[0]!, 1);
    expect(node.metadata?.name).toBe('p-1');
    expect(node.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(node.metadata?.labels).toMatchObject({
      'vendor.example/x': '1',
      'kubernetes.io/hostname': 'p-1',
      'sandbox.kentaur.io/pool': 'p',
    });
    expect(node.spec?.taints).toEqual([{ key: 'amd.com/gpu', effect: 'NoSchedule' }]);
    expect(node.status?.allocatable?.['amd.com/gpu']).toBe('8');
  });

  it('expands every pool into nodes and counts devices by resource', () => {
    expect([...fleetNodes(fleet)].map((n) => n.metadata?.name)).toEqual(['p-0', 'p-1']);
    expect(fleetSize(fleet)).toEqual({ nodes: 2, devices: { 'amd.com/gpu': 16 } });
  });
});

describe('the shipped fleets', () => {
  it('default: a few nodes of each vendor with its operator labels, taint and resource', () => {
    const fleet = loadFleet(join(deployDir, 'fleets', 'default.yaml'));
    const byPool = new Map(fleet.pools.map((p) => [p.name, p]));
    const expectVendor = (name: string, resource: string, devices: string, label: string) => {
      const p = byPool.get(name);
      expect(p?.capacity[resource]).toBe(devices);
      expect(p?.taints.map((t) => t.key)).toContain(resource);
      expect(Object.keys(p?.labels ?? {})).toContain(label);
      expect(p?.nodes).toBeGreaterThanOrEqual(2);
    };
    expectVendor('nvidia-h100', 'nvidia.com/gpu', '8', 'nvidia.com/gpu.product');
    expectVendor('amd-mi300x', 'amd.com/gpu', '8', 'amd.com/gpu.product-name');
    expectVendor('intel-gaudi3', 'habana.ai/gaudi', '8', 'habana.ai/device.count');
    expectVendor(
      'tenstorrent-p150',
      'tenstorrent.com/chip',
      '4',
      'feature.node.kubernetes.io/pci-1200_1e52.present',
    );
    expect(byPool.get('cpu')?.taints).toEqual([]);
  });

  it('gigafactory: 100,000 accelerators across the four vendors', () => {
    const fleet = loadFleet(join(deployDir, 'fleets', 'gigafactory.yaml'));
    const { devices } = fleetSize(fleet);
    const total = Object.values(devices).reduce((a, b) => a + b, 0);
    expect(total).toBe(100_000);
    expect(Object.keys(devices).sort()).toEqual([
      'amd.com/gpu',
      'habana.ai/gaudi',
      'nvidia.com/gpu',
      'tenstorrent.com/chip',
    ]);
  });

  it('bench: at least 1,000 nodes and 8,000 accelerators across the four vendors', () => {
    const { nodes, devices } = fleetSize(loadFleet(join(deployDir, 'fleets', 'bench.yaml')));
    expect(nodes).toBeGreaterThanOrEqual(1_000);
    expect(Object.values(devices).reduce((a, b) => a + b, 0)).toBe(8_000);
    expect(Object.keys(devices)).toHaveLength(4);
  });

  it('every fleet file parses', () => {
    for (const f of readdirSync(join(deployDir, 'fleets'))) {
      expect(() => parseFleet(readFileSync(join(deployDir, 'fleets', f), 'utf8'), f)).not.toThrow();
    }
  });
});
