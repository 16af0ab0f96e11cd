import { waitFor } from '@kentaur/k8s-runtime';
import { aSpec, gql } from '../support/gateway';
import { abbaRounds } from './abba';
import { metricSum } from './bench-controller';
import { round } from './e2e-bench';
import { costed, load, QUOTE, type LoadResult } from './gateway-bench';
import { startGatewayProcess, type ServerProcess } from './server-process';

/**
 * Loads of `quote(spec)` behind a long queue, for the memory benchmark (memory-bench.ts): what a
 * quote costs the gateway when its queue run goes over every cached workload (ADR 17, 18), and
 * what other requests wait meanwhile.
 */

/** Connections and seconds of one load. */
export interface LoadSize {
  connections: number;
  seconds: number;
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
export async function quotesBehindTheQueue(
  gw: ServerProcess,
  token: string,
  size: LoadSize,
): Promise<QuoteFigures> {
  const url = `${gw.url}/graphql`;
  const quote = { query: QUOTE, variables: { spec: aSpec() } };
  // The figures are of real answers: one without errors first.
  const quoted = await gql(gw.url, token, QUOTE, { spec: aSpec() });
  if (quoted.errors) throw new Error(`quote(spec) does not answer cleanly: ${JSON.stringify(quoted.errors)}`);
  const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
  const before = await scrape();
  const alone = await costed(gw, () => load(url, quote, { ...size, token }));
  const afterAlone = await scrape();
  const [withOthers, others] = await Promise.all([
    load(url, quote, { ...size, token }),
    load(url, { query: '{ __typename }' }, { connections: BESIDE_CONNECTIONS, seconds: size.seconds, token }),
  ]);
  const after = await scrape();
  const runs =
    metricSum(after, 'kentaur_gateway_queue_run_seconds_count') -
    metricSum(before, 'kentaur_gateway_queue_run_seconds_count');
  const runSeconds =
    metricSum(after, 'kentaur_gateway_queue_run_seconds_sum') -
    metricSum(before, 'kentaur_gateway_queue_run_seconds_sum');
  return {
    ...size,
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
  const histogram = 'kentaur_gateway_request_duration_seconds';
  const quote = { operation: 'quote' };
  return (
    metricSum(text, `${histogram}_count`, quote) -
    metricSum(text, `${histogram}_bucket`, { ...quote, le: '1' })
  );
}

/** The gateway's longest event-loop delay since the scrape before `text` (prom-client resets it on each). */
const lagMaxMs = (text: string) =>
  Math.round(metricSum(text, 'kentaur_gateway_nodejs_eventloop_lag_max_seconds') * 1000);

/**
 * BENCH_GATEWAY_BASELINE=<a build's dist/index.js>: the same quote loads of another build (e.g.
 * the commit before a change) on the same cached queue, each side in a new gateway process, in ABBA
 * order (abba.ts; `first` is this build's, run before).
 */
export async function quotesAgainstBaseline(
  namespace: string,
  tenant: string,
  size: LoadSize,
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
      return await quotesBehindTheQueue(gw, token, size);
    } finally {
      await gw.stop();
    }
  };
  const [round] = await abbaRounds(
    first,
    () => side(),
    () => side(build),
    1,
  );
  return { baseline: build, thisBuild: round!.mine, baselineBuild: round!.theirs };
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
