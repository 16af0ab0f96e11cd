// The whole loop on the sandbox: tenants create Workload objects (as `kubectl apply` does), the
// controller admits them across vendors, renders vendor-specific Jobs, kube-scheduler binds the
// pods to KWOK nodes of the chosen pool, KWOK runs them to completion, and the Workload's status
// follows. Waiting work says in words why it waits.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1';
import { admissionObjectName, type AcceleratorPool, type Tenant, type Workload } from '@kentaur/api';
import type { RunningController } from '@kentaur/controller';
import {
  AcceleratorPools,
  Deployments,
  Jobs,
  type KubeClient,
  Nodes,
  Pods,
  ResourceQuotas,
  Services,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { createTestNamespace, deleteTestNamespacesAndWait, testClient } from '../support/cluster';
import { startTestController } from '../support/controller';
import { installCrds } from '../support/crds';
import { createTenant } from '../support/tenants';

describe('e2e: admission across vendors', () => {
  let client: KubeClient;
  let controller: RunningController;
  const namespaces: string[] = [];
  const tenants: string[] = [];

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    const system = await createTestNamespace(client, 'kentaur-system');
    namespaces.push(system);
    controller = await startTestController({
      namespace: system,
      identity: 'e2e',
      startTimeoutMs: 10_000,
    });
    // Pools discovered, and nothing left running from other test files.
    for (const pool of ['dk-1-nvidia-h100', 'dk-1-amd-mi300x']) {
      await waitFor(
        `${pool} discovered and idle`,
        async () => {
          const p = await client.get<AcceleratorPool>(AcceleratorPools, pool).catch(() => undefined);
          return p?.status?.devices?.capacity === 16 && p.status.devices.allocated === 0 ? p : undefined;
        },
        { timeoutMs: 60_000 },
      );
    }
  });
  afterAll(async () => {
    await controller?.stop();
    await deleteTestNamespacesAndWait(client, namespaces);
    for (const t of tenants) await client.delete(Tenants, t).catch(() => undefined);
    client.close();
  });

  async function tenant(
    name: string,
    quota: { guaranteedCU: number; limitCU: number },
    tier: Tenant['spec']['tier'] = 'sme',
    allowEmergency = false,
  ) {
    const ns = await createTenant(client, { name, quota, tier, allowEmergency });
    namespaces.push(ns);
    tenants.push(ns);
    return ns;
  }

  const workloadIn = (ns: string, w: Workload) =>
    client.create(Workloads, { ...w, metadata: { ...w.metadata, namespace: ns } });
  const statusOf = async (ns: string, name: string) =>
    (await client.get<Workload>(Workloads, name, ns)).status;
  /** Waits for a status; on timeout the error shows the last status seen. */
  const until = async (ns: string, name: string, ok: (s: Workload['status']) => boolean, what: string) => {
    let last: Workload['status'];
    try {
      return await waitFor(
        `${ns}/${name}: ${what}`,
        async () => {
          last = await statusOf(ns, name);
          return last && ok(last) ? last : undefined;
        },
        { timeoutMs: 60_000 },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last)}`, { cause: e });
    }
  };

  it('runs a two-node gang on an allowed vendor, vendor-specific, to completion', async () => {
    const ns = await tenant('acme', { guaranteedCU: 20, limitCU: 80 });
    const w = makeWorkload('train', ns)
      .kind('Batch')
      .replicas(2)
      .accelerators({ count: 8, vendors: ['amd', 'nvidia'] })
      .image('registry.example/acme/train:1.4')
      .images({ amd: 'registry.example/acme/train:1.4-rocm' })
      .maxDuration('1h')
      .obj();
    w.metadata.annotations = { 'sandbox.kentaur.io/run-for': '3s' };
    await workloadIn(ns, w);

    const admitted = await until(ns, 'train', (s) => Boolean(s?.admission), 'admitted');
    expect(['amd', 'nvidia']).toContain(admitted.admission!.vendor);
    // One Job per admission, named for it (ADR 16): the first is train-1.
    expect(admitted.attempts).toBe(1);
    const job = await client.get<Job>(Jobs, admissionObjectName('train', 1), ns);
    expect(job.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 2,
      parallelism: 2,
      activeDeadlineSeconds: 3600,
    });
    const resource = admitted.admission!.vendor === 'amd' ? 'amd.com/gpu' : 'nvidia.com/gpu';
    expect(job.spec?.template.spec?.containers[0]?.resources?.limits?.[resource]).toBe('8');

    const pods = await waitFor('both pods bound', async () => {
      const list = (
        await client.list<Pod>(Pods, { namespace: ns, labelSelector: 'kentaur.io/workload=train' })
      ).items;
      return list.length === 2 && list.every((p) => p.spec?.nodeName) ? list : undefined;
    });
    const nodes = new Set(pods.map((p) => p.spec!.nodeName!));
    expect(nodes.size).toBe(2); // one replica per node
    for (const n of nodes) {
      const node = await client.get<Node>(Nodes, n);
      expect(Number(node.status?.allocatable?.[resource])).toBe(8);
    }
    const done = await until(
      ns,
      'train',
      (s) => s?.phase === 'Succeeded' || s?.phase === 'Failed',
      'finished',
    );
    expect(done.phase).toBe('Succeeded');
    expect(done.attempts).toBe(1);
  });

  it('places work allowing [amd, nvidia] on AMD when NVIDIA is full', async () => {
    const ns = await tenant('bigco', { guaranteedCU: 40, limitCU: 80 }, 'commercial');
    const fill = makeWorkload('fill-nvidia', ns)
      .kind('Batch')
      .replicas(2)
      .accelerators({ count: 8, vendors: ['nvidia'] });
    await workloadIn(ns, fill.image('registry.example/x:1').maxDuration('2h').obj());
    await until(ns, 'fill-nvidia', (s) => s?.phase === 'Running', 'running on NVIDIA');
    const either = makeWorkload('either', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 8, vendors: ['amd', 'nvidia'] });
    await workloadIn(ns, either.image('registry.example/x:1').maxDuration('1h').obj());
    const s = await until(ns, 'either', (x) => Boolean(x?.admission), 'admitted');
    expect(s.admission!.vendor).toBe('amd');
    expect(s.admission!.pool).toBe('dk-1-amd-mi300x');
  });

  it('keeps a tenant at its limit waiting, with a reason naming its quota', async () => {
    const ns = await tenant('tiny', { guaranteedCU: 1, limitCU: 2 }, 'research');
    const big = makeWorkload('too-big', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 4, vendors: ['amd'] });
    await workloadIn(ns, big.image('registry.example/x:1').maxDuration('1h').obj());
    const s = await until(ns, 'too-big', (x) => x?.phase === 'Queued', 'queued');
    expect(s.queue?.reason).toMatch(/quota/i);
    expect(s.queue?.reason).toMatch(/2 CU/);
    expect(s.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({
      status: 'False',
      reason: 'Quota',
    });
  });

  it('says why work of a namespace no Tenant owns waits', async () => {
    const ns = await createTestNamespace(client, 'nobody');
    namespaces.push(ns);
    await workloadIn(ns, makeWorkload('orphan', ns).obj());
    const s = await until(ns, 'orphan', (x) => x?.phase === 'Queued', 'queued');
    expect(s.queue?.reason).toMatch(new RegExp(`no Tenant lists namespace ${ns}`));
  });

  it('cancels: spec.cancel removes the Job and ends in Cancelled', async () => {
    const ns = await tenant('canceller', { guaranteedCU: 20, limitCU: 40 });
    const long = makeWorkload('long', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 2, vendors: ['amd'] });
    await workloadIn(ns, long.image('registry.example/x:1').maxDuration('1h').obj());
    await until(ns, 'long', (s) => s?.phase === 'Running', 'running');
    await client.patch(Workloads, 'long', { spec: { cancel: true } }, { namespace: ns });
    await until(ns, 'long', (s) => s?.phase === 'Cancelled', 'cancelled');
    await waitFor('the Job to be gone', async () => {
      const jobs = (await client.list<Job>(Jobs, { namespace: ns })).items;
      return jobs.length === 0 ? true : undefined;
    });
  });

  it('a cordoned pool receives nothing; uncordoned, it takes the waiting work', async () => {
    const ns = await tenant('cordon', { guaranteedCU: 10, limitCU: 20 });
    await client.patch(AcceleratorPools, 'dk-1-tenstorrent-p150', { spec: { cordoned: true } });
    try {
      const tt = makeWorkload('tt', ns)
        .kind('Batch')
        .replicas(1)
        .accelerators({ count: 2, vendors: ['tenstorrent'] });
      await workloadIn(ns, tt.image('registry.example/x:1').maxDuration('1h').obj());
      const waiting = await until(ns, 'tt', (x) => x?.phase === 'Queued', 'queued');
      expect(waiting.queue?.reason).toMatch(/cordon/i);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await statusOf(ns, 'tt'))?.admission).toBeUndefined();
    } finally {
      await client.patch(AcceleratorPools, 'dk-1-tenstorrent-p150', { spec: { cordoned: false } });
    }
    const s = await until(ns, 'tt', (x) => Boolean(x?.admission), 'admitted after uncordon');
    expect(s.admission!.pool).toBe('dk-1-tenstorrent-p150');
  });

  it('emergency work preempts preemptible work, which is requeued and later completes', async () => {
    const ns = await tenant('crisis', { guaranteedCU: 40, limitCU: 80 }, 'public-sector', true);
    const victim = makeWorkload('victim', ns)
      .kind('Batch')
      .replicas(2)
      .accelerators({ count: 8, vendors: ['intel'] });
    const v = victim.image('registry.example/x:1').maxDuration('1h').obj();
    v.spec.priorityClass = 'preemptible';
    v.metadata.annotations = { 'sandbox.kentaur.io/run-for': '10s' };
    await workloadIn(ns, v);
    await until(ns, 'victim', (x) => x?.phase === 'Running', 'victim running on both Gaudi nodes');

    const urgent = makeWorkload('urgent', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 8, vendors: ['intel'] });
    const u = urgent.image('registry.example/x:1').maxDuration('1h').obj();
    u.spec.priorityClass = 'emergency';
    u.metadata.annotations = { 'sandbox.kentaur.io/run-for': '2s' };
    await workloadIn(ns, u);

    const preempted = await until(ns, 'victim', (x) => x?.phase === 'Preempted', 'victim preempted');
    // The phase stays Preempted while it waits; the condition's reason moves on to why it waits now.
    expect(preempted.admission).toBeUndefined();
    await until(ns, 'urgent', (x) => x?.phase === 'Succeeded', 'emergency work done');
    const again = await until(
      ns,
      'victim',
      (x) => x?.phase === 'Succeeded',
      'victim readmitted and completed',
    );
    expect(again.attempts).toBe(2);
    // Each admission has a Job of its own (ADR 16); the preempted admission's is gone.
    const jobs = await client.list<Job>(Jobs, { namespace: ns, labelSelector: 'kentaur.io/workload=victim' });
    expect(jobs.items.map((j) => j.metadata?.name)).toEqual([admissionObjectName('victim', 2)]);
  });

  it('requeues admitted work whose pods do not start in time, and runs it once they can', async () => {
    const ns = await tenant('stuck', { guaranteedCU: 10, limitCU: 20 });
    // A quota of zero pods: the Job exists but cannot create its pod.
    await client.create(
      ResourceQuotas,
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-pods' },
        spec: { hard: { pods: '0' } },
      } as never,
      { namespace: ns },
    );
    const w = makeWorkload('blocked', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 1, vendors: ['amd'] });
    const obj = w.image('registry.example/x:1').maxDuration('1h').obj();
    obj.metadata.annotations = { 'sandbox.kentaur.io/run-for': '1s' };
    await workloadIn(ns, obj);
    await until(ns, 'blocked', (x) => Boolean(x?.admission), 'admitted');
    // Each new admission overwrites the previous condition, so the requeue shows in attempts.
    const requeued = await until(
      ns,
      'blocked',
      (x) => (x?.attempts ?? 0) >= 2,
      'requeued after the start timeout',
    );
    expect(requeued.attempts).toBeGreaterThanOrEqual(2);
    await client.delete(ResourceQuotas, 'no-pods', { namespace: ns });
    const done = await until(ns, 'blocked', (x) => x?.phase === 'Succeeded', 'completed once pods can start');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
  });

  it('evacuating a pool moves portable running work to another vendor and reports the rest', async () => {
    const ns = await tenant('evac', { guaranteedCU: 40, limitCU: 80 });
    // Make both land on Gaudi first: AMD is cordoned while they are admitted.
    await client.patch(AcceleratorPools, 'dk-1-amd-mi300x', { spec: { cordoned: true } });
    const movable = makeWorkload('movable', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 4, vendors: ['intel', 'amd'] });
    await workloadIn(ns, movable.image('registry.example/x:1').maxDuration('1h').obj());
    const pinned = makeWorkload('pinned', ns)
      .kind('Batch')
      .replicas(1)
      .accelerators({ count: 4, vendors: ['intel'] });
    await workloadIn(ns, pinned.image('registry.example/x:1').maxDuration('1h').obj());
    for (const name of ['movable', 'pinned']) {
      const s = await until(ns, name, (x) => x?.phase === 'Running', 'running');
      expect(s.admission!.pool).toBe('dk-1-intel-gaudi3');
    }
    await client.patch(AcceleratorPools, 'dk-1-amd-mi300x', { spec: { cordoned: false } });
    await client.patch(AcceleratorPools, 'dk-1-intel-gaudi3', { spec: { cordoned: true, evacuate: true } });
    try {
      const moved = await until(
        ns,
        'movable',
        (x) => x?.phase === 'Running' && x.admission?.pool === 'dk-1-amd-mi300x',
        'moved to AMD',
      );
      expect(moved.attempts).toBe(2);
      const kept = await until(
        ns,
        'pinned',
        (x) => x?.conditions?.some((c) => c.type === 'Evacuation') === true,
        'reported as not portable',
      );
      expect(kept.phase).toBe('Running');
      expect(kept.admission!.pool).toBe('dk-1-intel-gaudi3');
      expect(kept.conditions?.find((c) => c.type === 'Evacuation')).toMatchObject({
        status: 'False',
        reason: 'NotPortable',
      });
    } finally {
      await client.patch(AcceleratorPools, 'dk-1-intel-gaudi3', {
        spec: { cordoned: false, evacuate: false },
      });
    }
  });

  it('runs a Service workload as a Deployment behind a Service, until cancelled', async () => {
    const ns = await tenant('serving', { guaranteedCU: 10, limitCU: 20 }, 'public-interest');
    const svc = makeWorkload('chat', ns)
      .kind('Service')
      .replicas(1)
      .accelerators({ count: 2, vendors: ['tenstorrent'], class: 'inference' });
    await workloadIn(ns, svc.image('registry.example/serve:2').maxDuration(undefined).obj());
    const running = await until(ns, 'chat', (x) => x?.phase === 'Running', 'serving');
    expect(running.admission!.vendor).toBe('tenstorrent');
    const deployment = await client.get<Deployment>(
      Deployments,
      admissionObjectName('chat', running.attempts!),
      ns,
    );
    expect(deployment.spec?.template.spec?.containers[0]?.resources?.limits?.['tenstorrent.com/chip']).toBe(
      '2',
    );
    expect(deployment.spec?.template.spec?.restartPolicy).toBe('Always');
    const service = await client.get<Service>(Services, 'chat', ns);
    expect(service.spec?.selector).toEqual({ 'kentaur.io/workload': 'chat' });
    expect(service.spec?.ports?.[0]?.port).toBe(8000);
    await client.patch(Workloads, 'chat', { spec: { cancel: true } }, { namespace: ns });
    await until(ns, 'chat', (x) => x?.phase === 'Cancelled', 'cancelled');
    await waitFor('the Deployment to be gone', async () => {
      const list = (await client.list<Deployment>(Deployments, { namespace: ns })).items;
      return list.length === 0 ? true : undefined;
    });
  });
});
