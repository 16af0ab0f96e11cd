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
import { load } from './gateway-bench';
import { quotesAgainstBaseline, quotesBehindTheQueue } from './quote-load';
import { startGatewayProcess } from './server-process';

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
      const quotes = await quotesBehindTheQueue(gw, token, sizes.gatewayLoad);
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
    const comparison = await quotesAgainstBaseline(system, tenants[0]!, sizes.gatewayLoad, gateway.quoteLoad);

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
