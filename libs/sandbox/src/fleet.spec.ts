import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployDir } from './layout';
import { FleetError, fleetNode, fleetNodes, fleetSize, loadFleet, parseFleet } from './fleet';
import { siteObject, siteSecret } from './federation';

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
    [
      'node lease too short',
      'kind: Fleet\nspec:\n  nodeLeaseSeconds: 5\n  pools:\n' + pool(),
      /spec\.nodeLeaseSeconds: must be a whole number of seconds from 10 to 3600/,
    ],
    [
      'node lease not a number',
      'kind: Fleet\nspec:\n  nodeLeaseSeconds: 10m\n  pools:\n' + pool(),
      /spec\.nodeLeaseSeconds: must be a whole number of seconds/,
    ],
  ];
  it.each(invalid)('rejects %s with a message naming the field', (_name, text, message) => {
    expect(() => parseFleet(text)).toThrow(FleetError);
    expect(() => parseFleet(text)).toThrow(message);
  });

  it('takes the node Lease duration of a large fleet, and leaves it unset by default', () => {
    expect(
      parseFleet('kind: Fleet\nspec:\n  nodeLeaseSeconds: 600\n  pools:\n' + pool()).nodeLeaseSeconds,
    ).toBe(600);
    expect(parseFleet(minimal(pool())).nodeLeaseSeconds).toBeUndefined();
    expect(loadFleet(join(deployDir, 'fleets', 'gigafactory.yaml')).nodeLeaseSeconds).toBeGreaterThan(40);
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

const sites = (list: string) => `kind: Fleet\nmetadata: { name: f }\nspec:\n  sites:\n${list}`;
const site = (name: string, extra = '') =>
  `    - name: ${name}\n      country: DK\n${extra}      pools:\n        - { name: cpu, nodes: 2, capacity: { cpu: "8", memory: 64Gi, pods: "110" } }\n`;

describe('parseFleet with spec.sites (federation)', () => {
  const invalid: [string, string, RegExp][] = [
    ['no sites', 'kind: Fleet\nspec: { sites: [] }', /spec\.sites must be a non-empty list/],
    [
      'pools beside sites',
      'kind: Fleet\nspec:\n  pools: []\n  sites:\n' + site('a'),
      /spec\.pools: a fleet has either spec\.pools .* or spec\.sites/,
    ],
    [
      'runtimeClasses beside sites',
      'kind: Fleet\nspec:\n  runtimeClasses: [nvidia]\n  sites:\n' + site('a'),
      /spec\.runtimeClasses: with spec\.sites, give runtimeClasses per site/,
    ],
    [
      'nodeLeaseSeconds beside sites',
      'kind: Fleet\nspec:\n  nodeLeaseSeconds: 600\n  sites:\n' + site('a'),
      /spec\.nodeLeaseSeconds: with spec\.sites, give nodeLeaseSeconds per site/,
    ],
    [
      'bad site lease',
      sites(site('a', '      nodeLeaseSeconds: 0\n')),
      /spec\.sites\[0\]\.nodeLeaseSeconds: must be/,
    ],
    ['bad site name', sites(site('DK_1')), /spec\.sites\[0\]\.name: must be a DNS-1123 label/],
    ['duplicate sites', sites(site('a') + site('a')), /spec\.sites\[1\]\.name: "a" is used twice/],
    [
      'site without country',
      sites(site('a').replace('      country: DK\n', '')),
      /spec\.sites\[0\]\.country: /,
    ],
    [
      'lower-case country',
      sites(site('a').replace('DK', 'dk')),
      /spec\.sites\[0\]\.country: must be an ISO 3166-1/,
    ],
    ['PUE below 1', sites(site('a', '      pue: 0.9\n')), /spec\.sites\[0\]\.pue: /],
    [
      'unknown site field',
      sites(site('a', '      carbon: 5\n')),
      /spec\.sites\[0\]\.carbon: unknown field; a site has name/,
    ],
    [
      'kubeconfigSecretRef given',
      sites(site('a', '      kubeconfigSecretRef: { namespace: x, name: y, key: z }\n')),
      /spec\.sites\[0\]\.kubeconfigSecretRef: set by the sandbox/,
    ],
    [
      'site without pools',
      sites('    - { name: a, country: DK }\n'),
      /spec\.sites\[0\]\.pools must be a non-empty list/,
    ],
    [
      'pool error inside a site',
      sites(
        '    - { name: a, country: DK, pools: [{ name: p, nodes: 1, capacity: { memory: 1Gi, pods: "1" } }] }\n',
      ),
      /spec\.sites\[0\]\.pools\[0\]\.capacity\.cpu: required/,
    ],
    [
      'region label of another site',
      sites(
        '    - { name: a, country: DK, pools: [{ name: p, nodes: 1, labels: { topology.kubernetes.io/region: b }, capacity: { cpu: "1", memory: 1Gi, pods: "1" } }] }\n',
      ),
      /spec\.sites\[0\]\.pools\[0\]\.labels\.topology\.kubernetes\.io\/region: is "b" but the pool is in site a/,
    ],
    [
      'node names over 63 characters',
      sites(
        `    - { name: ${'s'.repeat(40)}, country: DK, pools: [{ name: ${'p'.repeat(30)}, nodes: 1, capacity: { cpu: "1", memory: 1Gi, pods: "1" } }] }\n`,
      ),
      /spec\.sites\[0\]\.pools\[0\]\.name: node names such as .* would be longer than 63 characters/,
    ],
  ];
  it.each(invalid)('rejects %s with a message naming the field', (_name, text, message) => {
    expect(() => parseFleet(text)).toThrow(FleetError);
    expect(() => parseFleet(text)).toThrow(message);
  });

  it('gives each site its own pools, runtime classes and Site facts', () => {
    const fleet = parseFleet(
      sites(
        site('a', '      pue: 1.2\n      gridCarbonGramsPerKWh: 100\n      runtimeClasses: [nvidia]\n') +
          site('b'),
      ),
    );
    expect(fleet.pools).toEqual([]);
    expect(fleet.sites?.map((s) => s.name)).toEqual(['a', 'b']);
    expect(fleet.sites?.[0]?.spec).toEqual({ country: 'DK', pue: 1.2, gridCarbonGramsPerKWh: 100 });
    expect(fleet.sites?.[0]?.runtimeClasses).toEqual(['nvidia']);
    expect(fleet.sites?.[1]?.runtimeClasses).toEqual([]);
  });

  it('names nodes <site>-<pool>-<index> and labels them with the site as region', () => {
    const fleet = parseFleet(sites(site('a') + site('b')));
    const names = fleet.sites!.map((s) => [...fleetNodes(s)].map((n) => n.metadata?.name));
    expect(names).toEqual([
      ['a-cpu-0', 'a-cpu-1'],
      ['b-cpu-0', 'b-cpu-1'],
    ]);
    const node = fleetNode(fleet.sites![1]!.pools[0]!, 1);
    expect(node.metadata?.labels).toMatchObject({
      'topology.kubernetes.io/region': 'b',
      'kubernetes.io/hostname': 'b-cpu-1',
      'sandbox.kentaur.io/pool': 'cpu',
    });
  });

  it('keeps single-cluster node names and labels unchanged', () => {
    const node = fleetNode(parseFleet(minimal(pool())).pools[0]!, 0);
    expect(node.metadata?.name).toBe('p-0');
    expect(node.metadata?.labels?.['topology.kubernetes.io/region']).toBeUndefined();
  });
});

describe('Site objects and Secrets of a federation', () => {
  const [mgmt, other] = parseFleet(sites(site('a', '      pue: 1.2\n') + site('b'))).sites!;

  it('the management site has no kubeconfigSecretRef; the others point at their Secret', () => {
    expect(siteObject(mgmt!, true).spec).toEqual({ country: 'DK', pue: 1.2 });
    expect(siteObject(other!, false)).toMatchObject({
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Site',
      metadata: { name: 'b' },
      spec: {
        country: 'DK',
        kubeconfigSecretRef: { namespace: 'kentaur-system', name: 'site-b', key: 'kubeconfig' },
      },
    });
  });

  it('the Secret holds the kubeconfig under its key', () => {
    const secret = siteSecret('b', 'apiVersion: v1\n');
    expect(secret.metadata).toMatchObject({ name: 'site-b', namespace: 'kentaur-system' });
    expect(Buffer.from(secret.data!.kubeconfig!, 'base64').toString()).toBe('apiVersion: v1\n');
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

  it('federation: dk-1 mixed (the management cluster), fi-1 AMD-heavy, it-1 NVIDIA-heavy', () => {
    const fleet = loadFleet(join(deployDir, 'fleets', 'federation.yaml'));
    const bySite = new Map(fleet.sites?.map((s) => [s.name, s]));
    expect([...bySite.keys()]).toEqual(['dk-1', 'fi-1', 'it-1']);
    expect(Object.keys(fleetSize(bySite.get('dk-1')!).devices)).toHaveLength(4);
    const share = (site: string, resource: string) => {
      const { devices } = fleetSize(bySite.get(site)!);
      return (devices[resource] ?? 0) / Object.values(devices).reduce((a, b) => a + b, 0);
    };
    expect(share('fi-1', 'amd.com/gpu')).toBeGreaterThan(0.5);
    expect(share('it-1', 'nvidia.com/gpu')).toBeGreaterThan(0.5);
    for (const s of bySite.values()) {
      expect(fleetSize(s).nodes).toBeLessThanOrEqual(6); // a handful: three clusters share 2 cores
      expect(s.spec.pue).toBeGreaterThanOrEqual(1);
      expect(s.spec.gridCarbonGramsPerKWh).toBeGreaterThan(0);
      expect(s.spec.pricePerKWhEUR).toBeGreaterThan(0);
    }
    expect(bySite.get('dk-1')?.spec.country).toBe('DK');
    expect(bySite.get('fi-1')?.spec.country).toBe('FI');
    expect(bySite.get('it-1')?.spec.country).toBe('IT');
  });

  it('every fleet file parses', () => {
    for (const f of readdirSync(join(deployDir, 'fleets'))) {
      expect(() => parseFleet(readFileSync(join(deployDir, 'fleets', f), 'utf8'), f)).not.toThrow();
    }
  });
});
