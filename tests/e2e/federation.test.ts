// Federation end to end (ADR 13) on the three-cluster sandbox (deploy/sandbox/fleets/federation.yaml):
// dk-1 is the management cluster (Workloads, Tenants, Sites), fi-1 and it-1 are remote sites reached
// through the kubeconfigs in their Site Secrets. One controller in this process places work across
// the three: data residency (a tenant's and a workload's sites) is honoured, `optimizeFor: energy`
// picks the site with the lowest carbon, and the rendered objects run in the chosen site's cluster
// with its namespace kit. Then it-1's API server is stopped: nothing new goes there, its portable
// Batch work is requeued elsewhere after the grace period, work pinned to it stays, and when it
// returns the moved work's old objects there are removed, nothing runs twice (the fence lease ran
// out before the new attempt began) and the ledger counts each interval once. The controller reaches
// fi-1 and it-1 as the ServiceAccount of deploy/rbac/remote-site.yaml, not as their admins.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Namespace, Pod, ResourceQuota } from 'kubernetes-types/core/v1';
import {
  ATTEMPT_LABEL,
  WORKLOAD_LABEL,
  type AcceleratorPool,
  type Site,
  type Tenant,
  type Workload,
} from '@kentaur/api';
import { controllerConfig, startController, type RunningController } from '@kentaur/controller';
import {
  AcceleratorPools,
  Jobs,
  KubeClient,
  loadKubeconfig,
  Namespaces,
  Pods,
  ResourceQuotas,
  Secrets,
  Sites,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import {
  binaryPaths,
  restartComponent,
  SandboxLayout,
  sandboxDown,
  sandboxUp,
  siteSecret,
  SITE_SECRET_NAMESPACE,
  type SandboxInfo,
} from '@kentaur/sandbox';
import { stringify } from 'yaml';
import { makeWorkload } from '@kentaur/testing';

const repo = resolve(__dirname, '../..');
const fleetFile = join(repo, 'deploy/sandbox/fleets/federation.yaml');

/** Short federation timings: a probe every 500 ms, the fence lease 8 s, the failover grace 14 s. */
const LEASE_MS = 8_000;
const GRACE_MS = 14_000;

const key = (w: Workload) => `${w.metadata.namespace}/${w.metadata.name}`;

describe('e2e: federation across three clusters', () => {
  let dir: string;
  let layout: SandboxLayout;
  let info: SandboxInfo;
  let controller: RunningController;
  const clients = new Map<string, KubeClient>();
  const site = (name: string) => clients.get(name)!;
  let mgmt: KubeClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(repo, '.kentaur', 'federation-e2e-'));
    layout = new SandboxLayout(dir);
    info = await sandboxUp({ layout, fleetFile, ownerPid: process.pid });
    for (const s of info.sites ?? [])
      clients.set(s.name, new KubeClient({ credentials: loadKubeconfig(s.kubeconfig) }));
    mgmt = site('dk-1');
    for (const s of (info.sites ?? []).slice(1)) await useLeastPrivilege(s.name, s.kubeconfig);
    controller = await startController(
      controllerConfig({
        kubeconfig: info.kubeconfig,
        namespace: 'kentaur-system',
        identity: 'e2e-federation',
        healthPort: 0,
        sandbox: true,
        poolResyncDelayMs: 100,
        schedulingIntervalMs: 200,
        schedulingResyncMs: 1000,
        accountingIntervalMs: 1000,
        siteProbeIntervalMs: 500,
        siteProbeTimeoutMs: 1000,
        siteFenceLeaseMs: LEASE_MS,
        siteFailoverGraceMs: GRACE_MS,
      }),
    );
  });

  afterAll(async () => {
    await controller?.stop();
    for (const c of clients.values()) c.close();
    if (layout) await sandboxDown(layout);
    // KENTAUR_KEEP_FEDERATION=1 keeps the clusters' logs for a look after a failure.
    if (dir && !process.env.KENTAUR_KEEP_FEDERATION) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Applies deploy/rbac/remote-site.yaml in the site's cluster and puts a kubeconfig with its
   * ServiceAccount's token into the site's Secret in the management cluster.
   */
  async function useLeastPrivilege(name: string, adminKubeconfig: string): Promise<void> {
    execFileSync(binaryPaths().kubectl, [
      '--kubeconfig',
      adminKubeconfig,
      'apply',
      '-f',
      join(repo, 'deploy/rbac/remote-site.yaml'),
    ]);
    const token = await site(name).request<{ status: { token: string } }>({
      method: 'POST',
      path: '/api/v1/namespaces/kentaur-system/serviceaccounts/kentaur-federation/token',
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 7200 },
      },
    });
    const admin = loadKubeconfig(adminKubeconfig);
    const kubeconfig = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name,
          cluster: { server: admin.server, 'certificate-authority-data': admin.caData!.toString('base64') },
        },
      ],
      users: [{ name: 'kentaur-federation', user: { token: token.status.token } }],
      contexts: [{ name, context: { cluster: name, user: 'kentaur-federation' } }],
      'current-context': name,
    });
    const secret = siteSecret(name, kubeconfig);
    await mgmt.patch(Secrets, secret.metadata!.name!, secret, {
      patchType: 'apply',
      fieldManager: 'federation-e2e',
      force: true,
      namespace: SITE_SECRET_NAMESPACE,
    });
  }

  /** A tenant with its namespace in the management cluster (the controller gives it its kit). */
  async function tenant(name: string, sites?: string[]): Promise<string> {
    await mgmt.create<Namespace>(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await mgmt.create<Tenant>(Tenants, {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name },
      spec: {
        displayName: name,
        tier: 'research',
        namespaces: [name],
        quota: { guaranteedCU: 500, limitCU: 2000 },
        ...(sites ? { sites } : {}),
      },
    });
    return name;
  }

  function submit(
    ns: string,
    name: string,
    o: {
      count: number;
      vendors?: string[];
      sites?: string[];
      optimizeFor?: 'energy';
      kind?: 'Batch' | 'Service';
    },
  ): Promise<Workload> {
    const b = makeWorkload(name, ns).accelerators({ count: o.count, vendors: o.vendors });
    if (o.kind === 'Service') b.kind('Service').maxDuration(undefined);
    else b.maxDuration('2h');
    const w = b.obj();
    w.metadata.annotations = { 'sandbox.kentaur.io/run-for': '1h' };
    if (o.sites || o.optimizeFor)
      w.spec.placement = { ...(o.sites ? { sites: o.sites } : {}), optimizeFor: o.optimizeFor ?? 'balanced' };
    return mgmt.create<Workload>(Workloads, w);
  }

  async function until(w: Workload, ok: (w: Workload) => boolean, what: string, timeoutMs = 60_000) {
    let last: Workload | undefined;
    try {
      return await waitFor(
        `${key(w)}: ${what}`,
        async () => {
          last = await mgmt.get<Workload>(Workloads, w.metadata.name!, w.metadata.namespace);
          return ok(last) ? last : undefined;
        },
        { timeoutMs, intervalMs: 250 },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: e });
    }
  }

  const running = (w: Workload) => w.status?.phase === 'Running';
  const condition = (w: Workload, type: string) => w.status?.conditions?.find((c) => c.type === type);

  async function poolOf(siteName: string, vendor: string): Promise<AcceleratorPool> {
    return waitFor(`${siteName} ${vendor} pool`, async () => {
      const pools = (await mgmt.list<AcceleratorPool>(AcceleratorPools)).items;
      return pools.find((p) => p.spec.site === siteName && p.spec.vendor === vendor && p.status?.nodes);
    });
  }

  /** The workload's Job in a site, of its latest admission there (one Job per admission, ADR 16). */
  const jobIn = (siteName: string, w: Workload) =>
    site(siteName)
      .list<Job>(Jobs, {
        namespace: w.metadata.namespace,
        labelSelector: `${WORKLOAD_LABEL}=${w.metadata.name}`,
      })
      .then(({ items }) => items.sort((a, b) => attemptOf(b) - attemptOf(a))[0])
      .catch(() => undefined);
  const attemptOf = (j: Job) => Number(j.metadata?.labels?.[ATTEMPT_LABEL]);

  it('reports every site reachable and discovers each remote site’s pools from its own nodes', async () => {
    for (const name of ['dk-1', 'fi-1', 'it-1']) {
      const s = await waitFor(`Site ${name} reachable`, async () => {
        const got = await mgmt.get<Site>(Sites, name);
        return got.status?.reachable ? got : undefined;
      });
      expect(s.status?.conditions?.find((c) => c.type === 'Reachable')).toMatchObject({
        status: 'True',
        reason: name === 'dk-1' ? 'ManagementCluster' : 'Probed',
      });
    }
    const fi = await poolOf('fi-1', 'amd');
    const it = await poolOf('it-1', 'nvidia');
    expect([fi.status?.nodes, fi.status?.devices?.allocatable]).toEqual([3, 24]);
    expect([it.status?.nodes, it.status?.devices?.allocatable]).toEqual([3, 24]);
    // The management cluster's own AMD node is dk-1's pool, not fi-1's.
    expect((await poolOf('dk-1', 'amd')).status?.nodes).toBe(1);
  });

  it('honours data residency: a tenant held to fi-1, and a workload that asks for it-1', async () => {
    const finns = await tenant('finns', ['fi-1']);
    const open = await tenant('open');
    const resident = await submit(finns, 'resident', { count: 1 });
    const pinned = await submit(open, 'pinned-it', { count: 1, sites: ['it-1'] });
    const r = await until(resident, running, 'running');
    const p = await until(pinned, running, 'running');
    expect([r.status?.admission?.site, p.status?.admission?.site]).toEqual(['fi-1', 'it-1']);
    // The objects run in the chosen site's cluster, not in the management cluster.
    const job = await jobIn('it-1', p);
    expect(job?.metadata?.labels?.['kentaur.io/workload']).toBe('pinned-it');
    expect(job?.metadata?.ownerReferences).toBeUndefined();
    expect(job?.metadata?.annotations?.['kentaur.io/workload-uid']).toBe(p.metadata.uid);
    expect(await jobIn('dk-1', p)).toBeUndefined();
    // The controller's requests to that site are counted under its name.
    const metrics = await (await fetch(`http://127.0.0.1:${controller.healthPort}/metrics`)).text();
    expect(metrics).toMatch(
      /kentaur_api_requests_total{verb="POST",code="201",resource="jobs",site="it-1"} [1-9]/,
    );
    const pods = (
      await site('it-1').list<Pod>(Pods, { namespace: open, labelSelector: 'kentaur.io/workload=pinned-it' })
    ).items;
    expect(pods.map((x) => x.status?.phase)).toEqual(['Running']);
    // The namespace kit was applied in it-1 before the Job: Pod Security restricted, device quota.
    const ns = await site('it-1').get<Namespace>(Namespaces, open);
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const quotas = (await site('it-1').list<ResourceQuota>(ResourceQuotas, { namespace: open })).items;
    expect(quotas.map((q) => q.metadata?.name)).toContain('kentaur-vendor-resources');
  });

  it('puts energy-optimised work on the site with the lowest carbon (fi-1: PUE 1.1, 80 g/kWh)', async () => {
    const w = await submit('open', 'green', { count: 8, vendors: ['nvidia', 'amd'], optimizeFor: 'energy' });
    const admitted = await until(w, running, 'running');
    expect(admitted.status?.admission).toMatchObject({ site: 'fi-1', vendor: 'amd' });
  });

  it('fences remote Batch Jobs with a lease the controller renews', async () => {
    const w = await mgmt.get<Workload>(Workloads, 'pinned-it', 'open');
    // Pinned to it-1, it never moves: no fence. The green workload may move (its vendors run elsewhere).
    expect((await jobIn('it-1', w))?.spec?.activeDeadlineSeconds).toBe(7200);
    const green = await mgmt.get<Workload>(Workloads, 'green', 'open');
    const first = await waitFor('fenced job started', async () => {
      const j = await jobIn('fi-1', green);
      return j?.status?.startTime ? j : undefined;
    });
    const left = (j: Job) =>
      Date.parse(j.status!.startTime!) + j.spec!.activeDeadlineSeconds! * 1000 - Date.now();
    expect(left(first)).toBeLessThanOrEqual(LEASE_MS + 1000);
    const renewed = await waitFor(
      'fence renewed',
      async () => {
        const j = await jobIn('fi-1', green);
        return j && j.spec!.activeDeadlineSeconds! > first.spec!.activeDeadlineSeconds! ? j : undefined;
      },
      { timeoutMs: LEASE_MS * 2 },
    );
    expect(left(renewed)).toBeGreaterThan(0);
    expect(left(renewed)).toBeLessThanOrEqual(LEASE_MS + 1000);
  });

  it('cut off it-1: nothing new goes there, portable Batch work moves after the grace, pinned work stays; on return nothing runs twice and the ledger counts each interval once', async () => {
    const dkNvidia = await poolOf('dk-1', 'nvidia');
    // dk-1's H100s cordoned for a moment: the portable workload starts in it-1.
    await mgmt.patch(AcceleratorPools, dkNvidia.metadata.name!, { spec: { cordoned: true } });
    const mover = await submit('open', 'mover', { count: 8, vendors: ['nvidia'], sites: ['it-1', 'dk-1'] });
    const service = await submit('open', 'endpoint', {
      count: 1,
      vendors: ['nvidia'],
      kind: 'Service',
      sites: ['it-1', 'dk-1'],
    });
    const before = await until(mover, running, 'running in it-1');
    expect(before.status?.admission?.site).toBe('it-1');
    expect((await until(service, running, 'running')).status?.admission?.site).toBe('it-1');
    await mgmt.patch(AcceleratorPools, dkNvidia.metadata.name!, { spec: { cordoned: false } });

    // While it-1 answers, its fenced Job's deadline is never more than a lease ahead.
    const oldJob = await waitFor('mover job started in it-1', async () => {
      const j = await jobIn('it-1', before);
      return j?.status?.startTime ? j : undefined;
    });
    const deadlineAt = (j: Job) => Date.parse(j.status!.startTime!) + j.spec!.activeDeadlineSeconds! * 1000;
    expect(deadlineAt(oldJob) - Date.now()).toBeLessThanOrEqual(LEASE_MS + 1000);
    // Its first attempt is in the ledger before the cut.
    await waitFor('attempt 1 accounted', async () => {
      const list = await controller.ledger.intervalsOf(before.metadata.uid!);
      return list.some((i) => i.attempt === 1 && i.endMs > i.startMs) ? true : undefined;
    });

    const cutAt = Date.now();
    const outage = restartComponent(layout.state, 'it-1/kube-apiserver', { downMs: GRACE_MS + 16_000 });
    try {
      const marked = await until(
        before,
        (w) => condition(w, 'SiteReachable')?.status === 'False',
        'marked',
        15_000,
      );
      expect(marked.status?.phase).toBe('Running');
      expect((await mgmt.get<Site>(Sites, 'it-1')).status?.reachable).toBe(false);
      // New work allowed only at it-1 waits; none is placed there while it is away.
      const waiting = await submit('open', 'while-away', { count: 1, vendors: ['nvidia'], sites: ['it-1'] });
      // After the grace period the mover is requeued and runs in dk-1, the only other site it may use.
      const moved = await until(
        before,
        (w) => running(w) && w.status?.admission?.site === 'dk-1',
        'moved to dk-1',
        GRACE_MS + 30_000,
      );
      expect(moved.status?.attempts).toBe(2);
      const movedAt = Date.parse(moved.status!.admission!.admittedAt);
      // The fence: the new attempt began only after the old Job's last possible deadline.
      expect(movedAt - cutAt).toBeGreaterThanOrEqual(GRACE_MS);
      expect(GRACE_MS).toBeGreaterThan(LEASE_MS);
      expect(await jobIn('dk-1', moved)).toBeDefined();
      const endpoint = await mgmt.get<Workload>(Workloads, 'endpoint', 'open');
      expect([endpoint.status?.phase, endpoint.status?.admission?.site]).toEqual(['Running', 'it-1']);
      expect(condition(endpoint, 'SiteReachable')?.status).toBe('False');
      const w = await mgmt.get<Workload>(Workloads, waiting.metadata.name!, 'open');
      expect(w.status?.admission).toBeUndefined();
    } finally {
      await outage;
    }

    // it-1 is back: reachable again, the mover's old Job there removed, the Service's condition cleared.
    await waitFor('Site it-1 reachable again', async () =>
      (await mgmt.get<Site>(Sites, 'it-1')).status?.reachable ? true : undefined,
    );
    await waitFor(
      'old mover Job gone from it-1',
      async () => ((await jobIn('it-1', before)) ? undefined : true),
      {
        timeoutMs: 30_000,
      },
    );
    // Its pods go with it (the site's garbage collector, after the Job).
    await waitFor(
      'old mover pods gone from it-1',
      async () => {
        const pods = await site('it-1').list<Pod>(Pods, {
          namespace: 'open',
          labelSelector: 'kentaur.io/workload=mover',
        });
        return pods.items.every((p) => p.metadata?.deletionTimestamp || p.status?.phase !== 'Running')
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await until(
      service,
      (w) => condition(w, 'SiteReachable')?.status === 'True',
      'condition cleared',
      20_000,
    );
    // Placed in it-1 once it answers (its pods start when it-1's own node lifecycle controller has
    // found its nodes Ready again, which takes it up to a minute after an outage: not waited for).
    const away = await until(
      await mgmt.get<Workload>(Workloads, 'while-away', 'open'),
      (w) => w.status?.admission !== undefined,
      'admitted once it-1 answers',
    );
    expect(away.status?.admission?.site).toBe('it-1');

    // The ledger: attempt 1 (it-1) ends by the cut, attempt 2 (dk-1) starts at its admission; no overlap.
    const intervals = await waitFor('attempt 2 accounted', async () => {
      const list = await controller.ledger.intervalsOf(before.metadata.uid!);
      return list.some((i) => i.attempt === 2) ? list : undefined;
    });
    const first = intervals.filter((i) => i.attempt === 1);
    const second = intervals.filter((i) => i.attempt === 2);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((i) => i.site === 'it-1' && i.endMs <= cutAt + 2000)).toBe(true);
    expect(second.every((i) => i.site === 'dk-1')).toBe(true);
    const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.startMs).toBeGreaterThanOrEqual(sorted[i - 1]!.endMs);
  });

  it('says why a Site cannot be reached, naming its Secret or server and never the kubeconfig', async () => {
    const token = 'do-not-log-me-0123456789';
    const broken = siteSecret(
      'xx-1',
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'u', user: { token } }],
        contexts: [{ name: 'x', context: { cluster: 'x', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    await mgmt.create(Secrets, broken, { namespace: SITE_SECRET_NAMESPACE });
    const ref = (name: string) => ({ namespace: SITE_SECRET_NAMESPACE, name, key: 'kubeconfig' });
    for (const [name, secret] of [
      ['xx-1', broken.metadata!.name!],
      ['yy-1', 'no-such-secret'],
    ] as const)
      await mgmt.create<Site>(Sites, {
        apiVersion: 'kentaur.io/v1alpha1',
        kind: 'Site',
        metadata: { name },
        spec: { country: 'EE', kubeconfigSecretRef: ref(secret) },
      });
    const reachable = async (name: string) => {
      const got = await mgmt.get<Site>(Sites, name);
      const c = got.status?.conditions?.find((x) => x.type === 'Reachable');
      // A new Site says Connecting (Unknown) until its Secret is read; wait for the verdict.
      return got.status?.reachable === false && c?.status === 'False' ? c : undefined;
    };
    const xx = await waitFor('xx-1 unreachable', () => reachable('xx-1'));
    const yy = await waitFor('yy-1 unusable', () => reachable('yy-1'));
    expect(xx.reason).toBe('Unreachable');
    expect(xx.message).toContain('https://127.0.0.1:1');
    expect(yy).toMatchObject({
      reason: 'KubeconfigUnusable',
      message: `Secret ${SITE_SECRET_NAMESPACE}/no-such-secret key kubeconfig does not exist`,
    });
    const everything = JSON.stringify(await mgmt.list<Site>(Sites));
    expect(everything).not.toContain(token);
    await mgmt.delete(Sites, 'xx-1');
    await mgmt.delete(Sites, 'yy-1');
  });

  it('a Site deleted under its work: nothing is recreated in the management cluster, movable work moves after the grace', async () => {
    const resident = await mgmt.get<Workload>(Workloads, 'resident', 'finns');
    const green = await mgmt.get<Workload>(Workloads, 'green', 'open');
    expect([resident.status?.admission?.site, green.status?.admission?.site]).toEqual(['fi-1', 'fi-1']);
    const deletedAt = Date.now();
    await mgmt.delete(Sites, 'fi-1');
    // The tenant held to fi-1 has nowhere else to go: marked, kept.
    const kept = await until(
      resident,
      (w) => condition(w, 'SiteReachable')?.status === 'False',
      'marked',
      15_000,
    );
    expect(kept.status?.admission?.site).toBe('fi-1');
    const moved = await until(
      green,
      (w) => w.status?.admission !== undefined && w.status.admission.site !== 'fi-1',
      'requeued to another site',
      GRACE_MS + 30_000,
    );
    expect(Date.parse(moved.status!.admission!.admittedAt) - deletedAt).toBeGreaterThanOrEqual(GRACE_MS);
    // The management cluster never got the work of the site it does not have.
    expect(await jobIn('dk-1', resident)).toBeUndefined();
    if (moved.status?.admission?.site !== 'dk-1') expect(await jobIn('dk-1', green)).toBeUndefined();
  });
});
