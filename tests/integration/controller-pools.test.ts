// The controller against the real API server: it discovers one AcceleratorPool per vendor model
// from the sandbox's nodes, counts nodes and devices in each pool's status, follows changes
// (a node made unschedulable, devices taken by a pod), and keeps fields an admin set.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { AcceleratorPool } from '@kentaur/api';
import { controllerConfig, startController, type RunningController } from '@kentaur/controller';
import { AcceleratorPools, type KubeClient, Nodes, Pods, waitFor } from '@kentaur/k8s-runtime';
import { parseVendorsFile } from '@kentaur/vendors';
import { createTestNamespace, deleteTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { installCrds } from '../support/crds';

const EURONPU = {
  vendor: 'euronpu',
  resourceName: 'example.eu/npu',
  nodeSelector: { 'example.eu/npu.present': 'true' },
  defaultModel: 'npu-1',
};

describe('controller: pool discovery', () => {
  let client: KubeClient;
  let controller: RunningController;
  let ns: string;

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    ns = await createTestNamespace(client, 'pools');
    controller = await startController(
      controllerConfig({
        kubeconfig: testKubeconfig(),
        namespace: ns,
        healthPort: 0,
        poolResyncDelayMs: 100,
        identity: 'test-controller',
        // A vendor added by data, as `--vendors-file` (the Helm chart's vendors.custom) gives it.
        vendors: parseVendorsFile(JSON.stringify([EURONPU]), 'vendors.json'),
      }),
    );
  });
  afterAll(async () => {
    await controller?.stop();
    await client
      .patch(AcceleratorPools, 'dk-1-tenstorrent-p150', {
        spec: { cordoned: false, pricePerDeviceHourEUR: null },
      })
      .catch(() => undefined);
    await deleteTestNamespace(client, ns);
    client.close();
  });

  const pool = (name: string) => client.get<AcceleratorPool>(AcceleratorPools, name);
  const poolWhere = (name: string, ok: (p: AcceleratorPool) => boolean, what: string, timeoutMs = 30_000) =>
    waitFor(
      `${name}: ${what}`,
      async () => {
        const p = await pool(name).catch(() => undefined);
        return p && ok(p) ? p : undefined;
      },
      { timeoutMs },
    );

  it('is healthy and ready, and leads (the Lease is held in its namespace)', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`http://127.0.0.1:${controller.healthPort}${path}`);
      expect(res.status).toBe(200);
    }
    await waitFor('leadership', () => Promise.resolve(controller.leadership.isLeader() ? true : undefined));
  });

  it('creates one pool per vendor model with counts in its status', async () => {
    const expected: [string, string, string, number][] = [
      ['dk-1-nvidia-h100', 'nvidia', 'H100', 16],
      ['dk-1-amd-mi300x', 'amd', 'MI300X', 16],
      ['dk-1-intel-gaudi3', 'intel', 'Gaudi3', 16],
      ['dk-1-tenstorrent-p150', 'tenstorrent', 'p150', 8],
    ];
    for (const [name, vendor, model, devices] of expected) {
      // Other files may have changed the pool's spec (cordon): the status catches up asynchronously.
      const p = await poolWhere(
        name,
        (x) =>
          x.status?.devices?.capacity === devices && x.status.observedGeneration === x.metadata.generation,
        `${devices} devices counted for the current generation`,
      );
      expect(p.spec).toMatchObject({ site: 'dk-1', vendor, model, devicesPerNode: devices / 2 });
      expect(p.status).toMatchObject({
        discovered: true,
        nodes: 2,
        nodesReady: 2,
        devices: { capacity: devices, allocatable: devices },
      });
      expect(p.status?.observedGeneration).toBe(p.metadata.generation);
    }
    expect((await pool('dk-1-nvidia-h100')).spec.computeUnitsPerDevice).toBe(0.99);
  });

  it('discovers a pool of a vendor added by data, from a node that advertises its resource', async () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'euronpu-test-0',
        labels: { 'example.eu/npu.present': 'true', 'topology.kubernetes.io/region': 'dk-1' },
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
      },
      spec: { taints: [{ key: 'example.eu/npu', value: 'present', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '64', memory: '512Gi', pods: '110', 'example.eu/npu': '4' },
        allocatable: { cpu: '64', memory: '512Gi', pods: '110', 'example.eu/npu': '4' },
      },
    };
    await client.create(Nodes, node);
    try {
      const p = await waitFor('a euronpu pool', async () => {
        const pools = (await client.list<AcceleratorPool>(AcceleratorPools)).items;
        return pools.find((x) => x.spec.vendor === 'euronpu' && x.status?.devices?.capacity === 4);
      });
      expect(p.spec).toMatchObject({ site: 'dk-1', vendor: 'euronpu', model: 'npu-1', devicesPerNode: 4 });
    } finally {
      await client.delete(Nodes, node.metadata!.name!).catch(() => undefined);
      // With its only node gone the pool is empty; remove it so later files see the fleet as it was.
      const pools = (await client.list<AcceleratorPool>(AcceleratorPools)).items;
      for (const x of pools.filter((y) => y.spec.vendor === 'euronpu'))
        await client.delete(AcceleratorPools, x.metadata.name!).catch(() => undefined);
    }
  });

  it('counts devices held by pods and nodes that cannot take work', async () => {
    // Other files' pods may still be going away (their namespaces are deleted at their end).
    const before = await poolWhere(
      'dk-1-amd-mi300x',
      (p) => p.status?.devices?.allocated === 0,
      'idle',
      60_000,
    );
    const busy: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'holds-amd', namespace: ns },
      spec: {
        nodeSelector: before.spec.nodeSelector,
        tolerations: [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [
          { name: 'c', image: 'registry.example/x:1', resources: { limits: { 'amd.com/gpu': '3' } } },
        ],
      },
    };
    await client.create(Pods, busy);
    const after = await poolWhere(
      'dk-1-amd-mi300x',
      (p) => (p.status?.devices?.allocated ?? 0) >= 3,
      'allocated devices counted',
    );
    expect(after.status?.devices?.allocated).toBe((before.status?.devices?.allocated ?? 0) + 3);

    const node = 'intel-gaudi3-1';
    await client.patch<Node>(Nodes, node, { spec: { unschedulable: true } });
    try {
      await poolWhere('dk-1-intel-gaudi3', (p) => p.status?.nodesReady === 1, 'one node left ready');
    } finally {
      await client.patch<Node>(Nodes, node, { spec: { unschedulable: false } });
    }
    await poolWhere('dk-1-intel-gaudi3', (p) => p.status?.nodesReady === 2, 'both nodes ready again');
  });

  it('never overwrites what an admin set on a discovered pool', async () => {
    await client.patch(AcceleratorPools, 'dk-1-tenstorrent-p150', {
      spec: { cordoned: true, pricePerDeviceHourEUR: 0.8 },
    });
    // A node event makes discovery apply its fields again; the admin's must survive that pass.
    const passes = controller.pools.passes;
    await client.patch<Node>(Nodes, 'tenstorrent-p150-0', {
      metadata: { labels: { 'test.kentaur.io/poke': '1' } },
    });
    await waitFor('another discovery pass', () =>
      Promise.resolve(controller.pools.passes > passes ? true : undefined),
    );
    const p = await pool('dk-1-tenstorrent-p150');
    expect(p.spec).toMatchObject({
      cordoned: true,
      pricePerDeviceHourEUR: 0.8,
      model: 'p150',
      vendor: 'tenstorrent',
    });
    const managers = (p.metadata.managedFields ?? []).map((m) => `${m.manager}:${m.operation}`);
    expect(managers).toContain('kentaur-pool-discovery:Apply');
  });
});
