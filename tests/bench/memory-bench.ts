import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AcceleratorPool, Workload } from '@kentaur/api';
import { AcceleratorPools, type KubeClient, Nodes, Tenants, waitFor, Workloads } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { createTestNamespace, deleteTestNamespacesAndWait, testClient } from '../support/cluster';
import { killAllControllerProcesses } from '../support/controller-process';
import { installCrds } from '../support/crds';
import { aSpec, gql, SUBMIT } from '../support/gateway';
import { createTenant } from '../support/tenants';
import { metricSum, samplePeaks, sampleController, startBenchController } from './bench-controller';
import { pooled, round } from './e2e-bench';
import { machine } from './figures';
import { costed, load, QUOTE, type LoadResult } from './gateway-bench';
import { startGatewayProcess, type ServerProcess } from './server-process';

/**
 * Memory (`npm run bench -- memory`, issue #8): the controller's heap and RSS with a whole fleet
 * and a long queue in its informer caches, and the gateway's under load. The workloads stay queued
 * (their tenants' limit is 0 CU), so the caches hold every Workload with its status while each
 * scheduling cycle goes over all of them: the controller's largest steady state short of running
 * pods. The full run uses the bench fleet (1,150 nodes); KENTAUR_TEST_FLEET picks the gigafactory
 * fleet (15,050 nodes, about 11 minutes on two cores; docs/benchmarks.md).
 */

export interface MemoryBenchSizes {
  tenants: number;
  workloads: number;
  /** How long the controller is sampled after every workload carries its queue status. */
  settleMs: number;
  /** Gateway load: connections and seconds of `workloads(first: 50)`. */
  gatewayLoad: { connections: number; seconds: number };
  concurrency: number;
}

export const MEMORY_FULL: MemoryBenchSizes = {
  tenants: 500,
  workloads: 50_000,
  settleMs: 60_000,
  gatewayLoad: { connections: 100, seconds: 20 },
  concurrency: 32,
};

export const MEMORY_SMOKE: MemoryBenchSizes = {
  tenants: 2,
  workloads: 20,
  settleMs: 3_000,
  gatewayLoad: { connections: 4, seconds: 1 },
  concurrency: 4,
};

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function countQueued(client: KubeClient, total: number): Promise<number> {
  let queued = 0;
  for (const w of (await client.listAll<Workload>(Workloads, { limit: 5_000 })).items)
    if (w.status?.phase === 'Queued') queued++;
  return Math.min(queued, total);
}

export async function runMemoryBench(sizes: MemoryBenchSizes, log: (line: string) => void = () => undefined) {
  const client = testClient();
  await installCrds(client);
  const namespaces: string[] = [];
  const tenants: string[] = [];
  const ledgerDir = mkdtempSync(join(tmpdir(), 'kentaur-bench-ledger-'));
  try {
    const nodes = (await client.listAll(Nodes, { limit: 5_000 })).items.length;
    log(`creating ${sizes.tenants} tenants (limit 0 CU) and ${sizes.workloads} workloads`);
    for (let i = 0; i < sizes.tenants; i++) {
      const ns = await createTenant(client, {
        name: `m${String(i).padStart(3, '0')}`,
        quota: { guaranteedCU: 0, limitCU: 0 },
      });
      namespaces.push(ns);
      tenants.push(ns);
    }
    const mix = Array.from({ length: sizes.workloads }, (_, i) =>
      makeWorkload(`w-${String(i).padStart(5, '0')}`, tenants[i % tenants.length])
        .kind('Batch')
        .replicas(1 + (i % 4))
        .accelerators({ count: 8 })
        .image('registry.example/bench/train:1')
        .maxDuration('1h')
        .obj(),
    );
    const started = performance.now();
    await pooled(mix, sizes.concurrency, async (w) => {
      await client.create(Workloads, w);
    });
    log(`created in ${((performance.now() - started) / 1000).toFixed(1)} s; starting the controller`);

    const system = await createTestNamespace(client, 'kentaur-bench-memory');
    namespaces.push(system);
    const { controller, metricsUrl } = await startBenchController({
      identity: 'bench-memory',
      namespace: system,
      ledgerDir,
    });
    const sampler = samplePeaks(metricsUrl, 1_000);
    const cyclesStarted = performance.now();
    try {
      // Two whole scheduling cycles: the caches are synced and every workload has been decided on.
      await waitFor(
        'two scheduling cycles',
        async () => {
          const text = await (await fetch(metricsUrl)).text();
          return metricSum(text, 'kentaur_scheduling_cycle_duration_seconds_count') >= 2 ? true : undefined;
        },
        { timeoutMs: 30 * 60_000, intervalMs: 1_000 },
      );
    } catch (e) {
      log(`the controller's last lines (${controller.logFile}):\n${controller.tail(40)}`);
      throw e;
    }
    const cyclesSeconds = (performance.now() - cyclesStarted) / 1000;
    log(`two cycles done after ${cyclesSeconds.toFixed(1)} s; sampling for ${sizes.settleMs / 1000} s`);
    await sleep(sizes.settleMs);
    const settled = await sampleController(metricsUrl);
    const queued = await countQueued(client, mix.length);
    const { rssBytes: peakRss, heapUsedBytes: peakHeap } = await sampler.stop();
    const pools = (await client.list<AcceleratorPool>(AcceleratorPools)).items;
    killAllControllerProcesses();

    // The gateway, in its own process as deployed, idle and under load.
    const gw = await startGatewayProcess({ namespace: system });
    let gateway;
    try {
      const token = await gw.token({ tenant: tenants[0]! });
      // Its first answer without errors: the tenant is in its cache.
      await waitFor('gateway answers', async () =>
        (await gql(gw.url, token, SUBMIT, { input: { spec: aSpec() } })).errors ? undefined : true,
      );
      const idle = await gw.memory();
      let rssUnderLoad = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          rssUnderLoad = Math.max(rssUnderLoad, (await gw.memory()).rss);
          await sleep(250);
        }
      })();
      const r = await load(
        `${gw.url}/graphql`,
        { query: '{ workloads(first: 50) { edges { node { id name phase } } } }' },
        { ...sizes.gatewayLoad, token },
      );
      sampling = false;
      await sampler;
      const quotes = await quotesBehindTheQueue(gw, token, sizes);
      gateway = {
        processRssMiBIdle: Math.round(idle.rss / MiB),
        processRssMiBPeakUnderLoad: Math.round(rssUnderLoad / MiB),
        heapUsedMiBIdle: Math.round(idle.heapUsed / MiB),
        load: {
          ...sizes.gatewayLoad,
          requestsPerSecond: r.requestsPerSecond,
          p99Ms: r.latencyMs.p99,
          errors: r.errors,
        },
        quoteLoad: quotes,
      };
    } finally {
      await gw.stop();
    }
    const comparison = await quotesAgainstBaseline(system, tenants[0]!, sizes, gateway.quoteLoad);

    return {
      benchmark: 'memory',
      date: new Date().toISOString(),
      machine: machine(),
      sizes,
      cached: {
        nodes,
        devices: pools.reduce((n, p) => n + (p.status?.devices?.capacity ?? 0), 0),
        tenants: tenants.length,
        workloads: mix.length,
      },
      controller: {
        secondsUntilTwoCycles: round(cyclesSeconds, 1),
        queueStatusesWrittenBySettle: queued,
        rssMiB: Math.round(settled.rssBytes / MiB),
        heapUsedMiB: Math.round(settled.heapUsedBytes / MiB),
        rssMiBPeak: Math.round(peakRss / MiB),
        heapUsedMiBPeak: Math.round(peakHeap / MiB),
        ledger: 'PGlite on disk (the chart default)',
      },
      gateway,
      ...(comparison ? { quoteComparison: comparison } : {}),
      targets: { controllerUnder1_5GiB: { target: '< 1536 MiB RSS', met: peakRss / MiB < 1536 } },
    };
  } finally {
    killAllControllerProcesses();
    await deleteTestNamespacesAndWait(client, namespaces).catch(() => undefined);
    for (const t of tenants) await client.delete(Tenants, t).catch(() => undefined);
    client.close();
    rmSync(ledgerDir, { recursive: true, force: true });
  }
}

/** Connections of `{ __typename }` beside the quotes: the requests that wait while a run holds the event loop. */
const BESIDE_CONNECTIONS = 4;

/**
 * `quote(spec)` behind the whole queue (ADR 17, 18), in two loads of the gateway's configured
 * size: quotes alone (rate, latency, CPU per quote), then quotes with `{ __typename }` from a few
 * connections beside them, whose latency is what other requests wait while the queue is run. The
 * gateway's own figures of both: the queue runs it made, their time, and the longest delay of its
 * event loop (prom-client's lag maximum, reset by each scrape of /metrics).
 */
async function quotesBehindTheQueue(
  gw: ServerProcess,
  token: string,
  sizes: MemoryBenchSizes,
): Promise<QuoteFigures> {
  const url = `${gw.url}/graphql`;
  const quote = { query: QUOTE, variables: { spec: aSpec() } };
  // The figures are of real answers: one without errors first.
  const quoted = await gql(gw.url, token, QUOTE, { spec: aSpec() });
  if (quoted.errors) throw new Error(`quote(spec) does not answer cleanly: ${JSON.stringify(quoted.errors)}`);
  const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
  const before = await scrape();
  const alone = await costed(gw, () => load(url, quote, { ...sizes.gatewayLoad, token }));
  const afterAlone = await scrape();
  const [withOthers, others] = await Promise.all([
    load(url, quote, { ...sizes.gatewayLoad, token }),
    load(
      url,
      { query: '{ __typename }' },
      { connections: BESIDE_CONNECTIONS, seconds: sizes.gatewayLoad.seconds, token },
    ),
  ]);
  const after = await scrape();
  const runs =
    metricSum(after, 'kentaur_gateway_queue_run_seconds_count') -
    metricSum(before, 'kentaur_gateway_queue_run_seconds_count');
  const runSeconds =
    metricSum(after, 'kentaur_gateway_queue_run_seconds_sum') -
    metricSum(before, 'kentaur_gateway_queue_run_seconds_sum');
  return {
    ...sizes.gatewayLoad,
    ...figuresOf(alone),
    errors: alone.errors + withOthers.errors,
    non2xx: alone.non2xx + withOthers.non2xx,
    cpuMicrosPerRequest: alone.cpuMicrosPerRequest,
    eventLoopLagMaxMs: lagMaxMs(afterAlone),
    gatewayTimedOver1s: quotesOver1s(afterAlone) - quotesOver1s(before),
    queueRuns: runs,
    queueRunSecondsMean: runs > 0 ? round(runSeconds / runs, 3) : undefined,
    beside: {
      ...figuresOf(others),
      connections: BESIDE_CONNECTIONS,
      quotesPerSecond: withOthers.requestsPerSecond,
      eventLoopLagMaxMs: lagMaxMs(after),
    },
  };
}

/**
 * Quotes that the gateway itself timed at over a second (its request histogram: from the request
 * read to the answer sent), so far: whether a long answer seen by the load generator was long in
 * the gateway.
 */
function quotesOver1s(text: string): number {
  let all = 0;
  let underOne = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('kentaur_gateway_request_duration_seconds_') || !line.includes('operation="quote"'))
      continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('kentaur_gateway_request_duration_seconds_count{')) all += value;
    else if (line.startsWith('kentaur_gateway_request_duration_seconds_bucket{') && line.includes('le="1"'))
      underOne += value;
  }
  return all - underOne;
}

/** The gateway's longest event-loop delay since the scrape before `text` (prom-client resets it on each). */
const lagMaxMs = (text: string) =>
  Math.round(metricSum(text, 'kentaur_gateway_nodejs_eventloop_lag_max_seconds') * 1000);

/**
 * BENCH_GATEWAY_BASELINE=<a build's dist/index.js>: the same quote loads of another build (e.g.
 * the commit before a change) on the same cached queue, each side in a new gateway process, in the
 * order this build (the run above), the baseline, the baseline, this build, so that the machine's
 * drift falls on both alike.
 */
async function quotesAgainstBaseline(
  namespace: string,
  tenant: string,
  sizes: MemoryBenchSizes,
  first: QuoteFigures,
): Promise<{ baseline: string; thisBuild: QuoteFigures[]; baselineBuild: QuoteFigures[] } | undefined> {
  const build = process.env.BENCH_GATEWAY_BASELINE;
  if (!build) return undefined;
  const side = async (entry?: string) => {
    const gw = await startGatewayProcess({ namespace }, entry);
    try {
      const token = await gw.token({ tenant });
      await waitFor('gateway answers', async () =>
        (await gql(gw.url, token, QUOTE, { spec: aSpec() })).errors ? undefined : true,
      );
      return await quotesBehindTheQueue(gw, token, sizes);
    } finally {
      await gw.stop();
    }
  };
  const baselineBuild = [await side(build), await side(build)];
  const thisBuild = [first, await side()];
  return { baseline: build, thisBuild, baselineBuild };
}

/** A load's rate, latencies and failures, as the benchmark reports them. */
interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
}

const figuresOf = (l: LoadResult): LoadFigures => ({
  requestsPerSecond: l.requestsPerSecond,
  p50Ms: l.latencyMs.p50,
  p99Ms: l.latencyMs.p99,
  maxMs: l.latencyMs.max,
  errors: l.errors,
  non2xx: l.non2xx,
});

/** Rates and latencies of the quotes alone; errors of both loads of quotes. */
export interface QuoteFigures extends LoadFigures {
  connections: number;
  seconds: number;
  cpuMicrosPerRequest?: number;
  /** The gateway's longest event-loop delay during the quotes alone. */
  eventLoopLagMaxMs: number;
  /** Quotes of the load alone that the gateway's own histogram has at over a second. */
  gatewayTimedOver1s: number;
  /** Runs of the queue during both loads, and their mean time (the gateway's histogram). */
  queueRuns: number;
  queueRunSecondsMean?: number;
  /** `{ __typename }` beside the second load of quotes. */
  beside: LoadFigures & { connections: number; quotesPerSecond: number; eventLoopLagMaxMs: number };
}
