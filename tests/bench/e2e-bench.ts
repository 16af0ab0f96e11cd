import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { type AcceleratorPool, TIERS, WORKLOAD_LABEL, type Workload } from '@kentaur/api';
import {
  AcceleratorPools,
  Informer,
  Jobs,
  type KubeClient,
  type KubeObject,
  objectKey,
  Pods,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { VendorRegistry } from '@kentaur/vendors';
import { desiredObjects } from '../../apps/controller/src/workloads/workload-objects';
import {
  createTestNamespace,
  deleteTestNamespacesAndWait,
  testClient,
  testKubeconfig,
} from '../support/cluster';
import { type ControllerProcess, killAllControllerProcesses } from '../support/controller-process';
import { installCrds } from '../support/crds';
import { seededRandom } from '../support/random';
import { createTenant } from '../support/tenants';
import { apiServerWork, readApiServerMetrics } from './apiserver-metrics';
import { captureApiServerProfile } from './apiserver-profile';
import {
  requestsPerAdmission,
  samplePeaks,
  sampleController,
  startBenchController,
} from './bench-controller';
import { machine } from './figures';

/**
 * End-to-end admission on the sandbox (`npm run bench -- e2e`, issue #8): many tenants submit many
 * workloads to a real controller process, which admits them, renders their Jobs, and the fake
 * fleet runs them to completion. In the same run, the raw rate at which the same API server accepts
 * the equivalent Jobs created directly is measured first: the physical limit any controller that
 * creates one Job per workload works under.
 */

export interface E2eBenchSizes {
  tenants: number;
  workloads: number;
  /** Gangs of 1..maxReplicas replicas, each replica 1..maxDevicesPerReplica devices. */
  maxReplicas: number;
  maxDevicesPerReplica: number;
  /** Each pod runs this many seconds (uniform, inclusive) in KWOK, then succeeds. */
  runForSeconds: [number, number];
  /** Requests in flight while submitting workloads and while creating the raw Jobs. */
  concurrency: number;
  /** Pools that must be discovered before the run (the fleet's pool count). */
  pools: number;
  /** The whole queue must drain within this. */
  drainTimeoutMs: number;
  seed: number;
  /**
   * A CPU profile of kube-apiserver for `seconds` from the start of the submissions, written to `dir`
   * (BENCH_E2E_APISERVER_PROFILE=<dir>, BENCH_E2E_APISERVER_PROFILE_SECONDS, default 30).
   */
  apiServerProfile?: { dir: string; seconds: number };
}

export const E2E_FULL: E2eBenchSizes = {
  tenants: 200,
  workloads: 10_000,
  maxReplicas: 8,
  maxDevicesPerReplica: 2,
  runForSeconds: [5, 15],
  concurrency: 32,
  pools: 4,
  // 10,000 workloads drain in about an hour on 2 cores: room above that, not a target.
  drainTimeoutMs: 90 * 60_000,
  seed: 20_261_205,
};

/**
 * The full sizes, or smaller ones from BENCH_E2E_WORKLOADS / BENCH_E2E_TENANTS: on a 2-core machine the
 * 10,000 workloads (44,912 pods) take about an hour to drain, the API server being the limit
 * (docs/benchmarks.md).
 */
export function e2eFullSizes(env: NodeJS.ProcessEnv = process.env): E2eBenchSizes {
  const n = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1)
      throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return x;
  };
  const profileDir = env.BENCH_E2E_APISERVER_PROFILE;
  return {
    ...E2E_FULL,
    workloads: n('BENCH_E2E_WORKLOADS', E2E_FULL.workloads),
    tenants: n('BENCH_E2E_TENANTS', E2E_FULL.tenants),
    ...(profileDir
      ? { apiServerProfile: { dir: profileDir, seconds: n('BENCH_E2E_APISERVER_PROFILE_SECONDS', 30) } }
      : {}),
  };
}

export const E2E_SMOKE: E2eBenchSizes = {
  tenants: 3,
  workloads: 12,
  // A gang puts one replica per node; the default fleet has two nodes per pool.
  maxReplicas: 2,
  maxDevicesPerReplica: 1,
  runForSeconds: [1, 2],
  concurrency: 4,
  pools: 4,
  drainTimeoutMs: 3 * 60_000,
  seed: 20_261_205,
};

const VENDORS = ['nvidia', 'amd', 'intel', 'tenstorrent'];

/** p50/p95/p99/max of a list of milliseconds, in seconds with millisecond precision. */
export function percentiles(ms: number[]): { p50: number; p95: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
  const sec = (v: number) => Math.round(v) / 1000;
  return { p50: sec(at(0.5)), p95: sec(at(0.95)), p99: sec(at(0.99)), max: sec(at(1)) };
}

/** The highest count of events in any window of `windowMs`, per second. */
export function peakRate(times: number[], windowMs: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < s.length; j++) {
    while (s[j]! - s[i]! > windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return Math.round((best / windowMs) * 1000 * 10) / 10;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function pooled<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/** The seeded workload mix: gangs, several vendors allowed, short KWOK run times. */
function workloadMix(sizes: E2eBenchSizes, tenantNs: string[]): Workload[] {
  const random = seededRandom(sizes.seed);
  const pick = (n: number) => 1 + Math.floor(random() * n);
  return Array.from({ length: sizes.workloads }, (_, i) => {
    const ns = tenantNs[i % tenantNs.length]!;
    const vendors = VENDORS.filter(() => random() < 0.6);
    if (vendors.length === 0) vendors.push(VENDORS[Math.floor(random() * VENDORS.length)]!);
    const w = makeWorkload(`w-${String(i).padStart(5, '0')}`, ns)
      .kind('Batch')
      .replicas(pick(sizes.maxReplicas))
      .accelerators({ count: pick(sizes.maxDevicesPerReplica), vendors })
      .image('registry.example/bench/train:1')
      .maxDuration('1h')
      .obj();
    const [lo, hi] = sizes.runForSeconds;
    w.metadata.annotations = {
      'sandbox.kentaur.io/run-for': `${lo + Math.floor(random() * (hi - lo + 1))}s`,
    };
    return w;
  });
}

/**
 * The raw rate: the Job Kentaur would render for each workload (its vendor's adapter, the pool it
 * would most likely land in), created directly by `concurrency` requests in flight. The Jobs are
 * suspended, so this measures the API server accepting Jobs, not the fleet running them: an upper
 * bound for any controller that creates one Job per workload.
 */
async function rawJobRate(
  client: KubeClient,
  sizes: E2eBenchSizes,
  pools: AcceleratorPool[],
): Promise<{ jobs: number; seconds: number; perSecond: number }> {
  const ns = await createTestNamespace(client, 'bench-raw');
  const registry = new VendorRegistry();
  const byVendor = new Map(pools.map((p) => [p.spec.vendor, p]));
  const jobs: Job[] = workloadMix(sizes, [ns]).map((w, i) => {
    const vendor = w.spec.accelerators.vendors?.find((v) => byVendor.has(v)) ?? pools[0]!.spec.vendor;
    const job = desiredObjects({
      workload: {
        ...w,
        metadata: { ...w.metadata, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
      },
      tenant: 'bench-raw',
      pool: byVendor.get(vendor)!,
      registry,
      sandbox: true,
    }).job!;
    // No owner (the Workload does not exist: the garbage collector would delete the Job) and no pods.
    return {
      ...job,
      metadata: { ...job.metadata, ownerReferences: undefined },
      spec: { ...job.spec!, suspend: true },
    };
  });
  const started = performance.now();
  await pooled(jobs, sizes.concurrency, async (job) => {
    await client.create(Jobs, job);
  });
  const seconds = (performance.now() - started) / 1000;
  await deleteTestNamespacesAndWait(client, [ns]);
  return { jobs: jobs.length, seconds: round(seconds, 2), perSecond: round(jobs.length / seconds, 1) };
}

export const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** What the watches saw of each workload: when it was admitted, when all its pods were bound, when it ended. */
class Observer {
  readonly admitted = new Map<string, number>();
  readonly bound = new Map<string, number>();
  readonly finished = new Map<string, { at: number; phase: string }>();
  private readonly boundPods = new Map<string, Set<string>>();
  private readonly replicas = new Map<string, number>();
  private readonly workloads: Informer<Workload>;
  private readonly pods: Informer<Pod>;

  constructor(client: KubeClient, namespaces: Set<string>) {
    const keep = (o: KubeObject) => namespaces.has(o.metadata?.namespace ?? '');
    this.workloads = new Informer<Workload>({
      client,
      type: Workloads,
      transform: (o) => {
        const w = o as Workload;
        return {
          apiVersion: w.apiVersion,
          kind: w.kind,
          metadata: {
            name: w.metadata.name,
            namespace: w.metadata.namespace,
            resourceVersion: w.metadata.resourceVersion,
          },
          spec: { replicas: w.spec.replicas },
          status: { phase: w.status?.phase, admission: w.status?.admission ? ({} as never) : undefined },
        } as unknown as KubeObject;
      },
    });
    this.pods = new Informer<Pod>({
      client,
      type: Pods,
      labelSelector: WORKLOAD_LABEL,
      transform: (o) => {
        const p = o as Pod;
        return {
          metadata: {
            name: p.metadata?.name,
            namespace: p.metadata?.namespace,
            resourceVersion: p.metadata?.resourceVersion,
            labels: { [WORKLOAD_LABEL]: p.metadata?.labels?.[WORKLOAD_LABEL] ?? '' },
          },
          spec: { nodeName: p.spec?.nodeName, containers: [] },
        } as KubeObject;
      },
    });
    const onWorkload = (w: Workload) => {
      if (!keep(w)) return;
      const key = objectKey(w);
      const now = performance.now();
      this.replicas.set(key, w.spec.replicas ?? 1);
      if (w.status?.admission && !this.admitted.has(key)) this.admitted.set(key, now);
      const phase = w.status?.phase;
      if ((phase === 'Succeeded' || phase === 'Failed') && !this.finished.has(key))
        this.finished.set(key, { at: now, phase });
    };
    this.workloads.addHandlers({ onAdd: onWorkload, onUpdate: (_, w) => onWorkload(w) });
    const onPod = (p: Pod) => {
      if (!keep(p) || !p.spec?.nodeName) return;
      const key = `${p.metadata!.namespace}/${p.metadata!.labels![WORKLOAD_LABEL]}`;
      const set = this.boundPods.get(key) ?? new Set<string>();
      set.add(p.metadata!.name!);
      this.boundPods.set(key, set);
      if (set.size >= (this.replicas.get(key) ?? Infinity) && !this.bound.has(key))
        this.bound.set(key, performance.now());
    };
    this.pods.addHandlers({ onAdd: onPod, onUpdate: (_, p) => onPod(p) });
  }

  async start(): Promise<void> {
    this.workloads.start();
    this.pods.start();
    await Promise.all([this.workloads.waitForSync(), this.pods.waitForSync()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.workloads.stop(), this.pods.stop()]);
  }
}

export async function runE2eBench(sizes: E2eBenchSizes, log: (line: string) => void = () => undefined) {
  const client = testClient();
  await installCrds(client);
  const namespaces: string[] = [];
  const tenants: string[] = [];
  const ledgerDir = mkdtempSync(join(tmpdir(), 'kentaur-bench-ledger-'));
  let controller: ControllerProcess | undefined;
  let observer: Observer | undefined;
  try {
    const system = await createTestNamespace(client, 'kentaur-bench-e2e');
    namespaces.push(system);
    const bench = await startBenchController({ identity: 'bench', namespace: system, ledgerDir });
    controller = bench.controller;
    const { metricsUrl } = bench;
    const pools = await waitFor(
      `${sizes.pools} pools discovered`,
      async () => {
        const all = (await client.list<AcceleratorPool>(AcceleratorPools)).items;
        const ready = all.filter((p) => (p.status?.devices?.capacity ?? 0) > 0);
        return ready.length >= sizes.pools ? ready : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const devices = pools.reduce((n, p) => n + (p.status?.devices?.capacity ?? 0), 0);
    log(`pools: ${pools.map((p) => `${p.metadata.name}=${p.status?.devices?.capacity}`).join(' ')}`);

    log(`raw: creating ${sizes.workloads} suspended Jobs directly, ${sizes.concurrency} in flight`);
    const raw = await rawJobRate(client, sizes, pools);
    log(`raw: ${raw.perSecond} Jobs/s (${raw.jobs} in ${raw.seconds} s)`);

    log(`creating ${sizes.tenants} tenants`);
    for (let i = 0; i < sizes.tenants; i++) {
      const ns = await createTenant(client, {
        name: `b${String(i).padStart(3, '0')}`,
        quota: { guaranteedCU: 10, limitCU: 10_000 },
        tier: TIERS[i % TIERS.length],
      });
      namespaces.push(ns);
      tenants.push(ns);
    }
    const mix = workloadMix(sizes, tenants);
    const pods = mix.reduce((n, w) => n + (w.spec.replicas ?? 1), 0);
    const deviceDemand = mix.reduce(
      (n, w) => n + (w.spec.replicas ?? 1) * (w.spec.accelerators.count ?? 1),
      0,
    );
    observer = new Observer(client, new Set(tenants));
    await observer.start();

    const before = await sampleController(metricsUrl);
    const apiBefore = await readApiServerMetrics(testKubeconfig());
    const sampler = samplePeaks(metricsUrl, 2_000);

    log(
      `submitting ${mix.length} workloads (${pods} pods, ${deviceDemand} device-runs for ${devices} devices)`,
    );
    const profile = sizes.apiServerProfile;
    const profiling = profile
      ? captureApiServerProfile(testKubeconfig(), profile.dir, profile.seconds).catch((e: Error) => ({
          error: e.message,
        }))
      : undefined;
    const created = new Map<string, number>();
    const started = performance.now();
    await pooled(mix, sizes.concurrency, async (w) => {
      await client.create(Workloads, w);
      created.set(objectKey(w), performance.now());
    });
    const submitSeconds = (performance.now() - started) / 1000;
    log(`submitted in ${submitSeconds.toFixed(1)} s; waiting for the queue to drain`);
    const o = observer;
    let lastLog = 0;
    await waitFor(
      'every workload finished',
      () => {
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          log(
            `  admitted ${o.admitted.size}, all pods bound ${o.bound.size}, finished ${o.finished.size} of ${mix.length}`,
          );
        }
        return Promise.resolve(o.finished.size >= mix.length ? true : undefined);
      },
      { timeoutMs: sizes.drainTimeoutMs, intervalMs: 250 },
    );
    const drainSeconds = (performance.now() - started) / 1000;
    const peaks = await sampler.stop();
    const peakRss = Math.max(before.rssBytes, peaks.rssBytes);
    const peakHeap = Math.max(before.heapUsedBytes, peaks.heapUsedBytes);
    const after = await sampleController(metricsUrl);
    const apiAfter = await readApiServerMetrics(testKubeconfig());

    const keys = [...created.keys()];
    const since = (m: Map<string, number>) =>
      keys.filter((k) => m.has(k)).map((k) => m.get(k)! - created.get(k)!);
    const admittedTimes = keys.map((k) => o.admitted.get(k)).filter((t): t is number => t !== undefined);
    const admissions = admittedTimes.length;
    const firstCreate = Math.min(...created.values());
    const lastAdmit = Math.max(...admittedTimes);
    const overall = admissions / ((lastAdmit - firstCreate) / 1000);
    const peak = peakRate(admittedTimes, 10_000);
    const failed = [...o.finished.values()].filter((f) => f.phase !== 'Succeeded').length;
    return {
      benchmark: 'end-to-end admission',
      date: new Date().toISOString(),
      machine: machine(),
      sizes,
      fleet: {
        pools: pools.map((p) => ({ name: p.metadata.name, devices: p.status?.devices?.capacity ?? 0 })),
        devices,
      },
      submitted: { workloads: mix.length, pods, deviceDemand, seconds: round(submitSeconds, 2) },
      raw,
      kentaur: {
        admissions,
        admissionsPerSecond: { overall: round(overall, 1), peak10s: peak },
        shareOfRaw: { overall: round(overall / raw.perSecond, 3), peak10s: round(peak / raw.perSecond, 3) },
        createdToAdmittedSeconds: percentiles(since(o.admitted)),
        createdToAllPodsBoundSeconds: percentiles(since(o.bound)),
        drainSeconds: round(drainSeconds, 1),
        finished: { succeeded: o.finished.size - failed, failed },
      },
      controller: {
        cpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 1),
        cpuCoresAverage: round((after.cpuSeconds - before.cpuSeconds) / drainSeconds, 2),
        rssMiBPeak: Math.round(peakRss / 2 ** 20),
        heapUsedMiBPeak: Math.round(peakHeap / 2 ** 20),
        apiRequests: after.apiRequests - before.apiRequests,
        apiRequestsPerAdmission: round((after.apiRequests - before.apiRequests) / Math.max(1, admissions), 2),
        // Which requests those are, by verb and resource (the controller's own /metrics).
        apiRequestsPerAdmissionByResource: requestsPerAdmission(
          before.apiRequestsBy,
          after.apiRequestsBy,
          admissions,
        ),
      },
      // Where the API server's time went while Kentaur admitted and the fleet ran the work.
      apiServer: apiServerWork(apiBefore, apiAfter, { seconds: drainSeconds, pods }),
      // Where its CPU went in the first seconds of submission and admission (BENCH_E2E_APISERVER_PROFILE).
      ...(profiling ? { apiServerProfile: await profiling } : {}),
      targets: {
        shareOfRaw: { target: '>= 0.8', met: peak / raw.perSecond >= 0.8 },
        kueue20x: { target: '>= 860 admissions/s (20 x 43)', met: peak >= 860 },
      },
    };
  } catch (e) {
    if (controller) log(`the controller's last lines (${controller.logFile}):\n${controller.tail(40)}`);
    throw e;
  } finally {
    await observer?.stop();
    killAllControllerProcesses();
    await deleteTestNamespacesAndWait(client, namespaces).catch(() => undefined);
    for (const t of tenants) await client.delete(Tenants, t).catch(() => undefined);
    client.close();
    rmSync(ledgerDir, { recursive: true, force: true });
  }
}
