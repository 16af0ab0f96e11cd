import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AcceleratorPools, type KubeClient, Tenants, waitFor } from '@kentaur/k8s-runtime';
import type { AcceleratorPool } from '@kentaur/api';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { startTestController } from '../support/controller';
import { installCrds } from '../support/crds';
import { JIT_MIN_USES, type GatewayConfig } from '@kentaur/gateway';
import { aSpec, gql, SUBMIT } from '../support/gateway';
import { createTenant } from '../support/tenants';
import { abbaRounds } from './abba';
import { machine } from './figures';
import {
  startBareProcess,
  startGatewayProcess,
  startNestProcess,
  type ServerProcess,
} from './server-process';

/**
 * Gateway throughput: autocannon (in its own process, so the load generator does not share the
 * gateway's event loop) against four operations with a real tenant token, and in the same run a
 * bare Fastify + Mercurius server answering a trivial query: the ceiling of this machine and stack;
 * and the same query through Nest set up as the gateway is, with nothing of the gateway's own.
 * The gateway and the bare server each run in a process of their own (serve.js), as deployed.
 */

export interface GatewayBenchSizes {
  connections: number;
  seconds: number;
  /** Workloads the tenant has before the run (what `workloads(first: 50)` pages through). */
  seeded: number;
}

export const GATEWAY_FULL: GatewayBenchSizes = { connections: 100, seconds: 10, seeded: 200 };
export const GATEWAY_SMOKE: GatewayBenchSizes = { connections: 4, seconds: 1, seeded: 3 };

export interface LoadResult {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  requests: number;
  errors: number;
  non2xx: number;
  /**
   * The server process's CPU time per request answered during the load, in microseconds (user and
   * system). Steadier than the rate on a shared machine: a neighbour's load takes cores away from
   * the server, which lowers its rate, but adds little to what each request costs it.
   */
  cpuMicrosPerRequest?: number;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  non2xx: number;
}

const AUTOCANNON = join(__dirname, '../../node_modules/.bin/autocannon');

/** One load run: POSTs `body` to `url` from `connections` connections for `seconds`. */
export function load(
  url: string,
  body: unknown,
  o: { connections: number; seconds: number; token?: string },
): Promise<LoadResult> {
  const args = ['--json', '-c', String(o.connections), '-d', String(o.seconds), '-m', 'POST'];
  args.push('-H', 'content-type=application/json');
  if (o.token) args.push('-H', `authorization=Bearer ${o.token}`);
  args.push('-b', JSON.stringify(body), url);
  return new Promise((resolve, reject) => {
    const child = spawn(AUTOCANNON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err.slice(-2000)}`));
      const r = JSON.parse(out) as AutocannonJson;
      resolve({
        requestsPerSecond: Math.round(r.requests.average),
        latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
        requests: r.requests.total,
        errors: r.errors,
        non2xx: r.non2xx,
      });
    });
  });
}

/** `run`, a load of `server`, with the server's CPU time per request. */
export async function costed(server: ServerProcess, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = await server.cpu();
  const r = await run();
  const after = await server.cpu();
  const micros = after.user - before.user + (after.system - before.system);
  return { ...r, cpuMicrosPerRequest: Number((micros / Math.max(1, r.requests)).toFixed(1)) };
}

/**
 * BENCH_GATEWAY_PROFILE=<dir>: a V8 CPU profile of the gateway's process during each operation's
 * load, written to <dir>/<slug>.cpuprofile (summarise it with profile-summary.js). Profiling slows
 * the gateway: figures of such a run are not comparable with others.
 */
async function profiled<T>(server: ServerProcess, slug: string, run: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_GATEWAY_PROFILE;
  if (!dir) return run();
  mkdirSync(dir, { recursive: true });
  await server.profileStart();
  const result = await run();
  await server.profileStop(join(dir, `${slug}.cpuprofile`));
  return result;
}

export const QUOTE = `query($spec: WorkloadSpecInput!) { quote(spec: $spec) { options { vendor pool eurPerHour } } }`;
const LIST = `{ workloads(first: 50) { edges { node { id name phase } } pageInfo { hasNextPage } } }`;
const GET = `query($id: ID!) { workload(id: $id) { id name phase } }`;

interface Fixture {
  client: KubeClient;
  gw: Awaited<ReturnType<typeof startGatewayProcess>>;
  token: string;
  tenant: string;
  someId: string;
  system: string;
  namespaces: string[];
}

/** A gateway of its own, started after the seeding, answering for the fixture's tenant. */
interface Served {
  gw: ServerProcess;
  url: string;
  token: string;
}

/** A new gateway process of `build` (else this build) on the fixture's cluster, its cache warm. */
async function freshGateway(
  f: Fixture,
  build?: string,
  config: Partial<GatewayConfig> = {},
): Promise<Served> {
  const gw = await startGatewayProcess({ namespace: f.system, ...config }, build);
  const token = await gw.token({ tenant: f.tenant });
  await waitFor('the gateway has the tenant cached', async () => {
    const r = await gql<{ workload: { id: string } | null }>(gw.url, token, GET, { id: f.someId });
    return r.data?.workload?.id;
  });
  return { gw, url: `${gw.url}/graphql`, token };
}

/**
 * BENCH_GATEWAY_BASELINE=<a build's dist/index.js>: a comparison of this build with another (e.g.
 * the commit before a change), each in a new gateway process on the same cluster and tenant. Each
 * operation is loaded four times, this build, the baseline, the baseline, this build (ABBA), so
 * that the machine's drift in speed, which on a shared VM moves the ceiling by a factor of two
 * between runs minutes apart, falls on both alike; each side reports the mean of its loads.
 * BENCH_GATEWAY_ROUNDS=<n> repeats the four n times (one round resolves about ±10 %).
 * Both processes start after the seeding: the gateway that served the 200 submissions answered 9 %
 * (list) and 18 % (get) slower than a fresh one of the same build (2026-12-06, an A/A run).
 */
async function comparison(f: Fixture): Promise<{ mine: Served; base: Served } | undefined> {
  const build = process.env.BENCH_GATEWAY_BASELINE;
  if (!build) return undefined;
  return { mine: await freshGateway(f), base: await freshGateway(f, build) };
}

/** The mean of several loads of one operation: rates and percentiles averaged, counts summed. */
function mean(runs: LoadResult[]): LoadResult {
  const avg = (pick: (r: LoadResult) => number) =>
    Math.round(runs.reduce((sum, r) => sum + pick(r), 0) / runs.length);
  const sum = (pick: (r: LoadResult) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    requestsPerSecond: avg((r) => r.requestsPerSecond),
    latencyMs: {
      p50: avg((r) => r.latencyMs.p50),
      p99: avg((r) => r.latencyMs.p99),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    ...(runs.every((r) => r.cpuMicrosPerRequest !== undefined)
      ? { cpuMicrosPerRequest: cpuPerRequest(runs) }
      : {}),
  };
}

/** CPU time per request over several loads: their CPU time over their requests. */
function cpuPerRequest(runs: LoadResult[]): number {
  const micros = runs.reduce((sum, r) => sum + (r.cpuMicrosPerRequest ?? 0) * r.requests, 0);
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  return Number((micros / Math.max(1, requests)).toFixed(1));
}

/** Rounds of a comparison, BENCH_GATEWAY_ROUNDS (default 1). */
function rounds(): number {
  const given = process.env.BENCH_GATEWAY_ROUNDS;
  const n = given === undefined ? 1 : Number(given);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`BENCH_GATEWAY_ROUNDS=${given}: give a whole number of rounds, 1 or more`);
  return n;
}

/**
 * One operation loaded on this build (`mine`) and the baseline (`theirs`) in ABBA order (abba.ts),
 * `n` times over: the rounds show how far one comparison can be trusted. `first` is this build's
 * first load, already run (it may be profiled). The change is of the means; each round's own
 * change is reported beside it.
 */
async function abba(
  first: LoadResult,
  mine: () => Promise<LoadResult>,
  theirs: () => Promise<LoadResult>,
  n: number,
) {
  const ratio = (a: number, b: number) => Number((a / b - 1).toFixed(3));
  const rounds = await abbaRounds(first, mine, theirs, n);
  const ours = rounds.flatMap((r) => r.mine);
  const base = rounds.flatMap((r) => r.theirs);
  const perRound = rounds.map(({ mine: [a1, a2], theirs: [b1, b2] }) =>
    ratio(a1.requestsPerSecond + a2.requestsPerSecond, b1.requestsPerSecond + b2.requestsPerSecond),
  );
  const cpuPerRound = rounds.map((r) => ratio(cpuPerRequest(r.mine), cpuPerRequest(r.theirs)));
  const [m, b] = [mean(ours), mean(base)];
  return {
    mine: m,
    baseline: {
      ...b,
      changeOfThisBuild: ratio(m.requestsPerSecond, b.requestsPerSecond),
      // Of CPU time per request: below zero, this build answers a request with less.
      cpuChangeOfThisBuild: ratio(cpuPerRequest([m]), cpuPerRequest([b])),
      ...(n > 1 ? { changeByRound: perRound, cpuChangeByRound: cpuPerRound } : {}),
    },
  };
}

/** Pools discovered (by a controller that is then stopped), a tenant with seeded workloads, a gateway. */
async function fixture(sizes: GatewayBenchSizes): Promise<Fixture> {
  const client = testClient();
  await installCrds(client);
  const system = await createTestNamespace(client, 'kentaur-bench');
  const controller = await startTestController({ namespace: system, identity: 'bench-pools' });
  await waitFor(
    'pools discovered',
    async () => {
      const pools = (await client.list<AcceleratorPool>(AcceleratorPools)).items;
      return pools.length >= 4 ? pools : undefined;
    },
    { timeoutMs: 60_000 },
  );
  // The controller's work would share the cores with the measurement: only its pools stay.
  await controller.stop();
  const tenant = await createTenant(client, { name: 'bench', quota: { guaranteedCU: 100, limitCU: 100 } });
  const gw = await startGatewayProcess({ namespace: system });
  const token = await gw.token({ tenant });
  const submit = () =>
    gql<{ submitWorkload: { workload: { id: string } } }>(gw.url, token, SUBMIT, {
      input: { spec: aSpec({ accelerators: { count: 8 } }) },
    });
  // The first submission succeeds once the gateway's cache holds the tenant.
  let someId = await waitFor('tenant cached', async () => (await submit()).data?.submitWorkload.workload.id);
  for (let i = 1; i < sizes.seeded; i++) {
    const r = await submit();
    if (r.errors) throw new Error(`seeding: ${JSON.stringify(r.errors)}`);
    someId = r.data!.submitWorkload.workload.id;
  }
  return { client, gw, token, tenant, someId, system, namespaces: [system, tenant] };
}

/**
 * Each operation answers with data and no error before it is loaded (so the figures are of real
 * answers), as often as a query is used before it is compiled: a deployed server sees the same
 * queries again and again, and the load measures that steady state.
 */
async function preflight(
  url: string,
  token: string | undefined,
  ops: Record<string, { query: string; variables?: unknown }>,
) {
  for (const [name, op] of Object.entries(ops)) {
    for (let i = 0; i < JIT_MIN_USES; i++) {
      const r = await gql(url, token, op.query, op.variables as Record<string, unknown>);
      if (r.errors || !r.data)
        throw new Error(`${name} does not answer cleanly: ${JSON.stringify(r.errors)}`);
    }
  }
  // The compilation runs on the next turns of the event loop.
  await new Promise((r) => setTimeout(r, 100));
}

export async function runGatewayBench(sizes: GatewayBenchSizes) {
  const f = await fixture(sizes);
  const page = await gql<{ workloads: unknown }>(f.gw.url, f.token, LIST);
  const bare = await startBareProcess(page.data?.workloads);
  const nest = await startNestProcess().catch(async (e: unknown) => {
    await bare.stop();
    throw e;
  });
  const spec = aSpec({ accelerators: { count: 8 } });
  const all = {
    // The gateway's fixed cost per request: HTTP, authentication, rate limit, context and metrics,
    // with no resolver behind it. What it loses against `{ hello }` is the gateway's own overhead;
    // what list and get lose against it is their resolvers and their answers.
    '{ __typename } with a token': { slug: 'floor', query: '{ __typename }' },
    // Loaded with the same request again and again, list and get are answered from the response
    // cache (ADR 19) once the first answer is kept. The same list from a gateway without the cache
    // is what a page costs when it has to be computed (every change to the tenant's workloads).
    'workloads(first: 50)': { slug: 'list', query: LIST },
    'workload(id)': { slug: 'get', query: GET, variables: { id: f.someId } },
    'workloads(first: 50), no response cache': { slug: 'list-computed', query: LIST, cacheOff: true },
    'quote(spec)': { slug: 'quote', query: QUOTE, variables: { spec } },
    submitWorkload: { slug: 'submit', query: SUBMIT, variables: { input: { spec } } },
  };
  // BENCH_GATEWAY_OPS=list,get: only these operations (for profiling or comparing one change).
  const only = process.env.BENCH_GATEWAY_OPS?.split(',');
  const ops = Object.fromEntries(Object.entries(all).filter(([, op]) => !only || only.includes(op.slug)));
  const compared = await comparison(f);
  // The gateway measured: the one that served the seeding, or a fresh one beside the baseline's.
  const subject: Served = compared?.mine ?? { gw: f.gw, url: `${f.gw.url}/graphql`, token: f.token };
  const base = compared?.base;
  const computed = Object.values(ops).some((op) => 'cacheOff' in op)
    ? await freshGateway(f, undefined, { responseCache: { maxBytes: 0, maxBodyBytes: 0 } })
    : undefined;
  const cached = Object.fromEntries(Object.entries(ops).filter(([, op]) => !('cacheOff' in op)));
  const uncached = Object.fromEntries(Object.entries(ops).filter(([, op]) => 'cacheOff' in op));
  try {
    await preflight(subject.gw.url, subject.token, cached);
    if (base) await preflight(base.gw.url, base.token, cached);
    if (computed) await preflight(computed.gw.url, computed.token, uncached);
    await preflight(bare.url, undefined, { hello: { query: '{ hello }' }, list: { query: LIST } });
    await preflight(nest.url, undefined, { hello: { query: '{ hello }' } });
    const o = { connections: sizes.connections, seconds: sizes.seconds };
    // Profiled too (as `hello`), so that the gateway's profile of `{ __typename }` can be set
    // against what the same request costs the bare stack.
    const ceiling = await profiled(bare, 'hello', () =>
      costed(bare, () => load(`${bare.url}/graphql`, { query: '{ hello }' }, o)),
    );
    // Profiled too (as `bare-list`): the same page through the bare stack, against `list`.
    const listCeiling =
      only && !only.includes('list')
        ? undefined
        : await profiled(bare, 'bare-list', () =>
            costed(bare, () => load(`${bare.url}/graphql`, { query: LIST }, o)),
          );
    // The framework's own floor: between it and `{ hello }` is Nest, between it and the gateway's
    // `{ __typename }` the gateway's own code.
    const nestCeiling = await profiled(nest, 'nest-hello', () =>
      costed(nest, () => load(`${nest.url}/graphql`, { query: '{ hello }' }, o)),
    );
    const results: Record<string, LoadResult & { shareOfCeiling: number }> = {};
    const baselineResults: Record<string, Awaited<ReturnType<typeof abba>>['baseline']> = {};
    for (const [name, { slug, ...given }] of Object.entries(ops)) {
      const { query, variables } = given as { query: string; variables?: unknown };
      const op = { query, variables };
      // A row of the gateway without the cache is this build's alone: the baseline has its own list.
      const server = 'cacheOff' in given ? computed! : subject;
      const mine = () => costed(server.gw, () => load(server.url, op, { ...o, token: server.token }));
      let r = await profiled(server.gw, slug, mine);
      if (base && server === subject) {
        const theirs = () => costed(base.gw, () => load(base.url, op, { ...o, token: base.token }));
        const compared = await abba(r, mine, theirs, rounds());
        r = compared.mine;
        baselineResults[name] = compared.baseline;
      }
      results[name] = {
        ...r,
        shareOfCeiling: Number((r.requestsPerSecond / ceiling.requestsPerSecond).toFixed(3)),
      };
    }
    const { rss } = await subject.gw.memory();
    return {
      benchmark: 'gateway throughput',
      date: new Date().toISOString(),
      machine: machine(),
      sizes,
      ceiling,
      listCeiling,
      nestCeiling,
      nestShareOfCeiling: Number((nestCeiling.requestsPerSecond / ceiling.requestsPerSecond).toFixed(3)),
      listShareOfListCeiling:
        listCeiling && results['workloads(first: 50)']
          ? Number(
              (results['workloads(first: 50)'].requestsPerSecond / listCeiling.requestsPerSecond).toFixed(3),
            )
          : undefined,
      results,
      ...(base ? { baseline: { build: process.env.BENCH_GATEWAY_BASELINE, results: baselineResults } } : {}),
      // The gateway's own process, after the load.
      gatewayProcessRssMiB: Math.round(rss / 1024 / 1024),
      targets: {
        listAndGetShareOfCeiling: {
          target: '>= 0.5',
          met: ['workloads(first: 50)', 'workload(id)'].every(
            (k) => (results[k]?.shareOfCeiling ?? 0) >= 0.5,
          ),
        },
        p99Ms: {
          target: '< 50 (list and get)',
          met: ['workloads(first: 50)', 'workload(id)'].every((k) => (results[k]?.latencyMs.p99 ?? 50) < 50),
        },
      },
    };
  } finally {
    await computed?.gw.stop();
    await base?.gw.stop();
    await compared?.mine.gw.stop();
    await bare.stop();
    await nest.stop();
    await f.gw.stop();
    for (const ns of f.namespaces) await deleteTestNamespace(f.client, ns);
    await f.client.delete(Tenants, f.tenant).catch(() => undefined);
    f.client.close();
  }
}
