import https from 'node:https';
import { loadKubeconfig } from '@kentaur/k8s-runtime';

/**
 * What the API server itself says it did (its /metrics, read as the sandbox's administrator): the
 * CPU it used and the writes it served, by resource. Read before and after a benchmark's run, the
 * difference attributes the API server's work: pods created by kube-controller-manager, bound by
 * kube-scheduler, patched by KWOK, Workloads written by Kentaur. This stands in for a CPU profile of
 * the component that bounds the end-to-end rate (issue #8).
 */
export interface ApiServerSample {
  cpuSeconds: number;
  /** Mutating requests served, by `VERB resource[/subresource]`. */
  writes: Map<string, number>;
  /** Sum and count of the mutating requests' durations (seconds). */
  writeSeconds: { sum: number; count: number };
}

// kube-apiserver labels requests with HTTP-like verbs (POST, PUT, PATCH, DELETE, APPLY for
// server-side apply, DELETECOLLECTION); reads are GET, LIST and WATCH.
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION']);

function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Parses the Prometheus text of kube-apiserver's /metrics into a sample. Pure. */
export function parseApiServerMetrics(text: string): ApiServerSample {
  const sample: ApiServerSample = { cpuSeconds: 0, writes: new Map(), writeSeconds: { sum: 0, count: 0 } };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^(\w+)(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!m) continue;
    const [, name, labelText = '', valueText] = m;
    const value = Number(valueText);
    if (name === 'process_cpu_seconds_total') sample.cpuSeconds = value;
    if (name !== 'apiserver_request_total' && !name!.startsWith('apiserver_request_duration_seconds_'))
      continue;
    const l = labelsOf(labelText);
    if (!MUTATING.has(l.verb ?? '')) continue;
    const what = `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`;
    if (name === 'apiserver_request_total') sample.writes.set(what, (sample.writes.get(what) ?? 0) + value);
    else if (name === 'apiserver_request_duration_seconds_sum') sample.writeSeconds.sum += value;
    else if (name === 'apiserver_request_duration_seconds_count') sample.writeSeconds.count += value;
  }
  return sample;
}

/**
 * GET of one of the API server's own paths (/metrics, /debug/pprof/…) with the kubeconfig's
 * credentials (the sandbox's administrator): the body, or an error naming the path and status.
 */
export function getFromApiServer(
  kubeconfig: string,
  path: string,
  o: { timeoutMs: number; hint?: string },
): Promise<Buffer> {
  const c = loadKubeconfig(kubeconfig);
  const url = `${c.server}${path}`;
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { ca: c.caData, cert: c.certData, key: c.keyData, timeout: o.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`GET ${url}: ${res.statusCode}${o.hint ? ` (${o.hint})` : ''}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Reads the API server's /metrics with the kubeconfig's credentials. */
export async function readApiServerMetrics(kubeconfig: string): Promise<ApiServerSample> {
  const body = await getFromApiServer(kubeconfig, '/metrics', { timeoutMs: 30_000 });
  return parseApiServerMetrics(body.toString('utf8'));
}

/** The API server's work between two samples: cores used, writes per pod by resource (top first). */
export function apiServerWork(
  before: ApiServerSample,
  after: ApiServerSample,
  o: { seconds: number; pods: number; top?: number },
) {
  const writes = [...after.writes]
    .map(([what, n]) => [what, n - (before.writes.get(what) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = writes.reduce((s, [, n]) => s + n, 0);
  const count = after.writeSeconds.count - before.writeSeconds.count;
  const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    cpuCoresAverage: round((after.cpuSeconds - before.cpuSeconds) / o.seconds),
    writesPerSecond: round(total / o.seconds, 1),
    writesPerPod: round(total / Math.max(1, o.pods)),
    meanWriteMs:
      count > 0 ? round(((after.writeSeconds.sum - before.writeSeconds.sum) / count) * 1000, 1) : 0,
    topWritesPerPod: writes
      .slice(0, o.top ?? 12)
      .map(([what, n]) => ({ what, perPod: round(n / Math.max(1, o.pods)), total: n })),
  };
}
