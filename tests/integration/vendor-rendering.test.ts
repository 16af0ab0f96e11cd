// Every vendor adapter's rendered pod, in the real API server: it passes a server-side dry run in a
// namespace that enforces Pod Security "restricted", and a real Pod created from it is bound by
// kube-scheduler to a node of that vendor's pool and no other. A vendor declared by data alone
// (no code) schedules onto its own KWOK node the same way.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { parse } from 'yaml';
import { makeNode, makeWorkload } from '@kentaur/testing';
import { admissionObjectName } from '@kentaur/api';
import {
  isAlreadyExists,
  type KubeClient,
  Nodes,
  Pods,
  type ResourceType,
  waitFor,
} from '@kentaur/k8s-runtime';
import {
  discoverPools,
  parseGenericVendorConfig,
  VendorRegistry,
  type DiscoveredPool,
  type PoolPlacement,
} from '@kentaur/vendors';
import { privilegedPod } from '../support/pods';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';

const ResourceClaimTemplates: ResourceType = {
  group: 'resource.k8s.io',
  version: 'v1',
  kind: 'ResourceClaimTemplate',
  plural: 'resourceclaimtemplates',
  namespaced: true,
};

const restricted = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
};

const kwok = (node: Node): Node => ({
  ...node,
  metadata: {
    ...node.metadata,
    annotations: { ...node.metadata?.annotations, 'kwok.x-k8s.io/node': 'fake' },
  },
});

const placement = (
  pool: DiscoveredPool,
  allocation: 'devicePlugin' | 'dra' = 'devicePlugin',
): PoolPlacement => ({
  name: pool.name,
  site: pool.site,
  vendor: pool.vendor,
  model: pool.model,
  nodeSelector: pool.nodeSelector,
  allocation,
  resourceName: pool.resourceName,
  memoryGB: pool.memoryGB,
});

describe('vendor adapters on the real API server', () => {
  let client: KubeClient;
  let ns: string;
  const extraNodes: string[] = [];

  beforeAll(async () => {
    client = testClient();
    ns = await createTestNamespace(client, 'render', restricted);
    // The default fleet has no Intel Data Center GPU nodes: add one, labelled as Intel's NFD rules do.
    const intelGpu = kwok(makeNode('render-intel-max1550-0').intelGpu('Max1550', 8).region('dk-1').obj());
    await ignoreExisting(client.create(Nodes, intelGpu));
    extraNodes.push('render-intel-max1550-0');
    await waitForReady(client, 'render-intel-max1550-0');
  });
  afterAll(async () => {
    for (const n of extraNodes) await client.delete(Nodes, n).catch(() => undefined);
    await deleteTestNamespace(client, ns);
    client.close();
  });

  async function pools(registry = new VendorRegistry()) {
    const nodes = (await client.listAll<Node>(Nodes)).items.filter(
      (n) => extraNodes.includes(n.metadata!.name!) || n.metadata?.labels?.type === 'kwok',
    );
    return { nodes, ...discoverPools(nodes, { registry, defaultSite: 'dk-1' }) };
  }

  const workload = (name: string) =>
    makeWorkload(name, ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 2 })
      .image('registry.example/acme/train:1.4')
      .images({ amd: 'registry.example/acme/train:1.4-rocm' })
      .cpu('8')
      .memory('64Gi')
      .env({ EPOCHS: '3' })
      .obj();

  it('the namespace really enforces "restricted": a privileged pod is refused', async () => {
    const privileged = privilegedPod('privileged', ns);
    await expect(client.create(Pods, privileged, { dryRun: true })).rejects.toThrow(
      /violates PodSecurity "restricted/,
    );
  });

  it('discovers a pool for each vendor of the sandbox, and nothing unrecognised', async () => {
    const { pools: found, unrecognised } = await pools();
    expect(found.map((p) => `${p.vendor}/${p.model}`).sort()).toEqual([
      'amd/MI300X',
      'intel/Gaudi3',
      'intel/Max1550',
      'nvidia/H100',
      'tenstorrent/p150',
    ]);
    expect(unrecognised).toEqual([]);
  });

  it.each([
    ['nvidia', 'H100'],
    ['amd', 'MI300X'],
    ['intel', 'Gaudi3'],
    ['intel', 'Max1550'],
    ['tenstorrent', 'p150'],
  ])(
    '%s %s: restricted dry run passes and kube-scheduler binds the pod to that pool only',
    async (vendor, model) => {
      const registry = new VendorRegistry();
      const { pools: found, nodes } = await pools(registry);
      const pool = found.find((p) => p.vendor === vendor && p.model === model)!;
      expect(pool).toBeDefined();
      const name = `w-${vendor}-${model}`.toLowerCase();
      const template = registry.adapter(vendor).renderPodTemplate({
        workload: { name, namespace: ns, spec: workload(name).spec },
        objectName: admissionObjectName(name, 1),
        pool: placement(pool),
      });
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...template.metadata, name: `${name}-0`, namespace: ns },
        spec: template.spec,
      };

      await client.create(Pods, pod, { dryRun: true }); // throws 403 if Pod Security "restricted" refuses it
      await client.create(Pods, pod);
      const bound = await waitFor(`${pod.metadata!.name} to be bound`, async () => {
        const p = await client.get<Pod>(Pods, pod.metadata!.name!, ns);
        return p.spec?.nodeName ? p : undefined;
      });
      expect(pool.nodes).toContain(bound.spec!.nodeName);
      const node = nodes.find((n) => n.metadata!.name === bound.spec!.nodeName)!;
      expect(registry.discover(node).map((d) => d.vendor)).toEqual([vendor]);
      if (vendor === 'amd')
        expect(bound.spec!.containers[0]!.image).toBe('registry.example/acme/train:1.4-rocm');
    },
  );

  it('renders DRA claim templates the API server accepts, and pods that use them', async () => {
    const registry = new VendorRegistry();
    const { pools: found } = await pools(registry);
    for (const pool of found) {
      const name = `dra-${pool.vendor}-${pool.model}`.toLowerCase();
      const input = {
        workload: { name, namespace: ns, spec: workload(name).spec },
        objectName: admissionObjectName(name, 1),
        pool: placement(pool, 'dra'),
      };
      const adapter = registry.adapter(pool.vendor);
      const claim = adapter.renderResourceClaimTemplate(input);
      await client.create(ResourceClaimTemplates, claim as never, { dryRun: true, namespace: ns });
      const template = adapter.renderPodTemplate(input);
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...template.metadata, name: `${name}-0`, namespace: ns },
        spec: template.spec,
      };
      // kubernetes-types 1.30 still has the pre-1.31 shape; the API server (1.35) takes this one.
      const podClaim = pod.spec?.resourceClaims?.[0] as { resourceClaimTemplateName?: string } | undefined;
      expect(podClaim?.resourceClaimTemplateName).toBe(claim.metadata.name);
      await client.create(Pods, pod, { dryRun: true });
    }
  });

  it('schedules a vendor declared by data only onto its own node', async () => {
    const values = parse(`
      vendor: dare
      resourceName: dare.example.eu/vec
      nodeSelector: { feature.node.kubernetes.io/pci-1200_1f0a.present: "true" }
      modelLabel: dare.example.eu/model
      taintKey: dare.example.eu/vec
      visibleDevicesEnv: DARE_VISIBLE_DEVICES
      torchDevice: vec
      models:
        - { name: vec1, memoryGB: 64, boardPowerW: 350, computeUnits: 0.5, precisions: [bf16, fp8], classes: [training, inference] }
    `) as unknown;
    const { config, errors } = parseGenericVendorConfig(values, 'vendors[0]');
    expect(errors).toEqual([]);
    const registry = new VendorRegistry({ generic: [config!] });

    const dareNode = kwok(
      makeNode('render-dare-vec1-0')
        .labels({
          'feature.node.kubernetes.io/pci-1200_1f0a.present': 'true',
          'dare.example.eu/model': 'vec1',
        })
        .region('dk-1')
        .taint('dare.example.eu/vec')
        .allocatable('dare.example.eu/vec', 4)
        .obj(),
    );
    await ignoreExisting(client.create(Nodes, dareNode));
    extraNodes.push('render-dare-vec1-0');
    await waitForReady(client, 'render-dare-vec1-0');

    const { pools: found } = await pools(registry);
    const pool = found.find((p) => p.vendor === 'dare')!;
    expect(pool).toMatchObject({ model: 'vec1', nodes: ['render-dare-vec1-0'], computeUnitsPerDevice: 0.5 });
    const template = registry.adapter('dare').renderPodTemplate({
      workload: { name: 'w-dare', namespace: ns, spec: workload('w-dare').spec },
      objectName: admissionObjectName('w-dare', 1),
      pool: placement(pool),
    });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name: 'w-dare-0', namespace: ns },
      spec: template.spec,
    };
    await client.create(Pods, pod);
    const bound = await waitFor('the DARE pod to be bound', async () => {
      const p = await client.get<Pod>(Pods, 'w-dare-0', ns);
      return p.spec?.nodeName ? p : undefined;
    });
    expect(bound.spec!.nodeName).toBe('render-dare-vec1-0');
    expect(bound.spec!.containers[0]!.resources?.limits?.['dare.example.eu/vec']).toBe('2');
  });
});

async function ignoreExisting(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

async function waitForReady(client: KubeClient, name: string) {
  await waitFor(`node ${name} to be Ready without the not-ready taint`, async () => {
    const n = await client.get<Node>(Nodes, name);
    const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const tainted = n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/'));
    return ready && !tainted ? n : undefined;
  });
}
