import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKubeconfig } from '../support/cluster';
import { type ControllerProcess, startControllerProcess } from '../support/controller-process';
import { freePort } from '../support/prometheus';

/** What the benchmarks read from a controller's `/metrics`. */
export interface ControllerSample {
  cpuSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  apiRequests: number;
  /** API requests by `VERB resource` (e.g. `PUT workloads/status`), every status code together. */
  apiRequestsBy: Map<string, number>;
  admissions: number;
}

/**
 * Sum of every sample of one metric in a Prometheus text exposition; with `labels`, of the samples
 * that carry each of them (e.g. `{ operation: 'quote', le: '1' }`).
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (!wanted.every((label) => line.includes(label))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** `kentaur_api_requests_total` summed by verb and resource: `PUT workloads/status` → count. */
export function apiRequestsByResource(text: string): Map<string, number> {
  const by = new Map<string, number>();
  const sample = /^kentaur_api_requests_total\{(.*)\} (\S+)$/;
  for (const line of text.split('\n')) {
    const m = sample.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const key = `${labels['verb']} ${labels['resource'] ?? 'other'}`;
    by.set(key, (by.get(key) ?? 0) + Number(m[2]));
  }
  return by;
}

/** What `after` has more of than `before`, per admission, most first. */
export function requestsPerAdmission(
  before: Map<string, number>,
  after: Map<string, number>,
  admissions: number,
): { what: string; perAdmission: number; total: number }[] {
  return [...after.entries()]
    .map(([what, n]) => ({ what, total: n - (before.get(what) ?? 0) }))
    .filter((r) => r.total > 0)
    .sort((a, b) => b.total - a.total)
    .map((r) => ({ ...r, perAdmission: Math.round((r.total / Math.max(1, admissions)) * 100) / 100 }));
}

export async function sampleController(metricsUrl: string): Promise<ControllerSample> {
  const text = await (await fetch(metricsUrl)).text();
  return {
    cpuSeconds: metricSum(text, 'kentaur_process_cpu_seconds_total'),
    rssBytes: metricSum(text, 'kentaur_process_resident_memory_bytes'),
    heapUsedBytes: metricSum(text, 'kentaur_nodejs_heap_size_used_bytes'),
    apiRequests: metricSum(text, 'kentaur_api_requests_total'),
    apiRequestsBy: apiRequestsByResource(text),
    admissions: metricSum(text, 'kentaur_admission_attempts_total{result="admitted"'),
  };
}

/**
 * `kentaur controller` as its own process with its defaults (not the tests' fast ones), a PGlite
 * ledger in `ledgerDir` (the chart's default) and a known port, so its /metrics can be read.
 */
export async function startBenchController(o: {
  identity: string;
  namespace: string;
  ledgerDir: string;
}): Promise<{ controller: ControllerProcess; metricsUrl: string }> {
  const healthPort = await freePort();
  const controller = await startControllerProcess({
    identity: o.identity,
    leaseNamespace: o.namespace,
    kubeconfig: testKubeconfig(),
    logDir: join(tmpdir(), `kentaur-bench-${process.pid}`),
    ledgerDir: o.ledgerDir,
    extraArgs: ['--health-port', String(healthPort), '--accounting-interval', '30'],
  });
  return { controller, metricsUrl: `http://127.0.0.1:${healthPort}/metrics` };
}

/** Samples the controller's RSS and heap every `everyMs` until stopped; returns the peaks. */
export function samplePeaks(
  metricsUrl: string,
  everyMs: number,
): { stop: () => Promise<{ rssBytes: number; heapUsedBytes: number }> } {
  const peak = { rssBytes: 0, heapUsedBytes: 0 };
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const s = await sampleController(metricsUrl).catch(() => undefined);
      if (s) {
        peak.rssBytes = Math.max(peak.rssBytes, s.rssBytes);
        peak.heapUsedBytes = Math.max(peak.heapUsedBytes, s.heapUsedBytes);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await loop;
      return peak;
    },
  };
}
