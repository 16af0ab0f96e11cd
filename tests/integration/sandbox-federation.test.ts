// The federation sandbox (deploy/sandbox/fleets/federation.yaml): one real control plane per site,
// the first site's cluster managing the others through Site objects and kubeconfig Secrets. It runs
// in its own layout directory, beside (never instead of) the shared test sandbox.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Node, Pod, Secret } from 'kubernetes-types/core/v1';
import type { Site } from '@kentaur/api';
import { KubeClient, loadKubeconfig, Nodes, Pods, Secrets, Sites, waitFor } from '@kentaur/k8s-runtime';
import {
  fleetSize,
  isAlive,
  KWOK_NODE_ANNOTATION,
  loadFleet,
  readState,
  restartComponent,
  SandboxLayout,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
  siteObject,
  type SandboxInfo,
} from '@kentaur/sandbox';

const repo = resolve(__dirname, '../..');
const fleetFile = join(repo, 'deploy/sandbox/fleets/federation.yaml');
const fleet = loadFleet(fleetFile);
const siteNames = fleet.sites!.map((s) => s.name);

const isReady = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('federation sandbox', () => {
  let dir: string;
  let layout: SandboxLayout;
  let info: SandboxInfo;
  const clients = new Map<string, KubeClient>();
  const client = (site: string) => clients.get(site)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(repo, '.kentaur', 'federation-'));
    layout = new SandboxLayout(dir);
    // Owned by this test process: even a killed run cannot leak its fifteen processes.
    info = await sandboxUp({ layout, fleetFile, ownerPid: process.pid });
    for (const site of info.sites ?? [])
      clients.set(site.name, new KubeClient({ credentials: loadKubeconfig(site.kubeconfig) }));
  });
  afterAll(async () => {
    for (const c of clients.values()) c.close();
    if (layout) await sandboxDown(layout);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts one API server per site, the first one the management cluster', async () => {
    expect(info.sites?.map((s) => s.name)).toEqual(siteNames);
    expect(new Set(info.sites?.map((s) => s.server)).size).toBe(siteNames.length);
    expect(info.server).toBe(info.sites?.[0]?.server);
    expect(loadKubeconfig(info.kubeconfig).server).toBe(info.sites?.[0]?.server);
    const status = await sandboxStatus(layout);
    expect(status.healthy).toBe(true);
    expect(status.sites?.map((s) => [s.name, s.management, s.healthy])).toEqual(
      siteNames.map((name, i) => [name, i === 0, true]),
    );
    expect(status.components.map((c) => c.component)).toEqual(
      expect.arrayContaining(siteNames.flatMap((s) => [`${s}/etcd`, `${s}/kube-apiserver`, `${s}/kwok`])),
    );
  });

  it.each(siteNames)('%s holds only its own nodes, Ready and managed by KWOK', async (name) => {
    const site = fleet.sites!.find((s) => s.name === name)!;
    const nodes = (await client(name).listAll<Node>(Nodes)).items;
    expect(nodes).toHaveLength(fleetSize(site).nodes);
    for (const node of nodes) {
      expect(node.metadata?.name).toMatch(new RegExp(`^${name}-`));
      expect(node.metadata?.labels?.['topology.kubernetes.io/region']).toBe(name);
      expect(node.metadata?.annotations?.[KWOK_NODE_ANNOTATION]).toBe('fake');
      expect(isReady(node)).toBe(true);
    }
  });

  it('the management cluster has a Site per site and a kubeconfig Secret that reaches each other site', async () => {
    const mgmt = client(siteNames[0]!);
    for (const [i, site] of fleet.sites!.entries()) {
      const obj = await mgmt.get<Site>(Sites, site.name);
      expect(obj.spec).toEqual(siteObject(site, i === 0).spec);
      const ref = obj.spec.kubeconfigSecretRef;
      if (i === 0) {
        expect(ref).toBeUndefined();
        continue;
      }
      const secret = await mgmt.get<Secret>(Secrets, ref!.name, ref!.namespace);
      const file = join(dir, `from-secret-${site.name}.kubeconfig`);
      writeFileSync(file, Buffer.from(secret.data![ref!.key]!, 'base64'));
      const remote = new KubeClient({ credentials: loadKubeconfig(file) });
      try {
        const names = (await remote.listAll<Node>(Nodes)).items.map((n) => n.metadata!.name!);
        expect(names.length).toBe(fleetSize(site).nodes);
        expect(names.every((n) => n.startsWith(`${site.name}-`))).toBe(true);
      } finally {
        remote.close();
      }
    }
  });

  it("each site has its own CA: one site's credentials are refused by another site's API server", async () => {
    const [dk1, fi1] = info.sites!;
    const crossed = new KubeClient({
      credentials: { ...loadKubeconfig(dk1!.kubeconfig), server: fi1!.server },
    });
    try {
      await expect(crossed.listAll<Node>(Nodes)).rejects.toThrow();
    } finally {
      crossed.close();
    }
  });

  it("a pod created in it-1 is bound by it-1's scheduler to an it-1 node", async () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gpu-probe', namespace: 'default' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'registry.example/probe:1',
            resources: { limits: { 'nvidia.com/gpu': '1' } },
          },
        ],
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      },
    };
    await client('it-1').create(Pods, pod);
    const bound = await waitFor('the pod in it-1 to be bound', async () => {
      const p = await client('it-1').get<Pod>(Pods, 'gpu-probe', 'default');
      return p.spec?.nodeName ? p : undefined;
    });
    expect(bound.spec?.nodeName).toMatch(/^it-1-nvidia-h100-\d+$/);
    // The other clusters never saw it.
    for (const other of ['dk-1', 'fi-1'])
      expect((await client(other).listAll<Pod>(Pods, { namespace: 'default' })).items).toEqual([]);
  });

  it("restartComponent restarts one site's API server by its qualified name", async () => {
    const before = readState(layout.state)!.processes.find((p) => p.component === 'fi-1/kube-apiserver')!;
    const result = await restartComponent(layout.state, 'fi-1/kube-apiserver');
    expect(result.component).toBe('fi-1/kube-apiserver');
    const after = readState(layout.state)!.processes.find((p) => p.component === 'fi-1/kube-apiserver')!;
    expect(after.pid).not.toBe(before.pid);
    expect(isAlive(before.pid)).toBe(false);
    // Same port and data: the restarted API server serves fi-1's nodes again.
    expect(
      (await client('fi-1').listAll<Node>(Nodes)).items.every((n) => n.metadata!.name!.startsWith('fi-1-')),
    ).toBe(true);
    expect((await sandboxStatus(layout)).healthy).toBe(true);
  });

  it('sandboxDown stops every process of every site', async () => {
    const pids = readState(layout.state)!.processes.map((p) => p.pid);
    expect(pids).toHaveLength(1 + 5 * siteNames.length); // the watchdog and five per site
    const stopped = await sandboxDown(layout);
    expect(stopped.map((p) => p.pid).sort()).toEqual([...pids].sort());
    expect(pids.filter(isAlive)).toEqual([]);
    expect((await sandboxStatus(layout)).running).toBe(false);
  });
});
