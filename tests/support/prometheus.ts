import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@kentaur/sandbox';

/** Free loopback ports, outside the ephemeral range (see the sandbox's freePort). */
export { freePort };

/**
 * Prometheus, promtool and the dashboards' PromQL for the tests. Prometheus and promtool come from
 * Debian's `prometheus` package (deploy/prometheus/install.sh); KENTAUR_TEST_PROMETHEUS and
 * KENTAUR_TEST_PROMTOOL point elsewhere.
 */
export const REPO_ROOT = resolve(__dirname, '../..');
export const DASHBOARD_DIR = join(REPO_ROOT, 'deploy/grafana/dashboards');
export const ALERTS_FILE = join(REPO_ROOT, 'deploy/prometheus/alerts.yaml');
export const ALERTS_TEST_FILE = join(REPO_ROOT, 'deploy/prometheus/alerts.test.yaml');

const PROMETHEUS_BIN = process.env.KENTAUR_TEST_PROMETHEUS ?? '/usr/bin/prometheus';
const PROMTOOL_BIN = process.env.KENTAUR_TEST_PROMTOOL ?? 'promtool';
const INSTALL_HINT = 'run deploy/prometheus/install.sh';

/** Runs promtool; throws (never skips) with the install hint when it is missing. */
export function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL_BIN, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error && 'code' in r.error && r.error.code === 'ENOENT')
    throw new Error(`promtool not found (${PROMTOOL_BIN}): ${INSTALL_HINT}`);
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  path?: string;
}

/** A sample of an instant vector, as /api/v1/query answers it. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One rule of /api/v1/rules. */
export interface LoadedRule {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  query: string;
}

export interface TestPrometheus {
  url: string;
  /** Evaluates `expr` now; throws with Prometheus' error for a query it refuses. */
  query(expr: string): Promise<Sample[]>;
  rules(): Promise<LoadedRule[]>;
  /** What the process has printed (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

async function api<T>(url: string, path: string, what: string): Promise<T> {
  const res = await fetch(`${url}${path}`);
  const body = (await res.json()) as ApiAnswer<T>;
  if (body.status !== 'success' || body.data === undefined)
    throw new Error(`Prometheus refused ${what}: ${body.errorType ?? res.status}: ${body.error ?? ''}`);
  return body.data;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

/**
 * A real Prometheus on a free port of 127.0.0.1 with a temporary TSDB, scraping `targets` every
 * `scrapeIntervalSeconds` and evaluating `ruleFiles` as often. Resolves once it answers /-/ready.
 */
export async function startPrometheus(o: {
  targets: ScrapeTarget[];
  ruleFiles?: string[];
  scrapeIntervalSeconds?: number;
  /** The port to listen on (default: a free one), for components configured before it starts. */
  port?: number;
}): Promise<TestPrometheus> {
  const interval = `${o.scrapeIntervalSeconds ?? 1}s`;
  const dir = mkdtempSync(join(tmpdir(), 'kentaur-prometheus-'));
  // JSON is YAML: no YAML library needed for the configuration.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: o.ruleFiles ?? [],
    scrape_configs: o.targets.map((t) => ({
      job_name: t.job,
      metrics_path: t.path ?? '/metrics',
      static_configs: [{ targets: [t.address] }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const spawned = new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'ENOENT' ? new Error(`${PROMETHEUS_BIN} not found: ${INSTALL_HINT}`) : e),
    );
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spawned;
    await waitUntilReady(url, child, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    query: async (expr) => {
      const data = await api<{ resultType: string; result: Sample[] | [number, string] }>(
        url,
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
        `the query ${expr}`,
      );
      // Scalars come back as one value; the tests treat them as a one-sample vector.
      return data.resultType === 'scalar'
        ? [{ metric: {}, value: data.result as [number, string] }]
        : (data.result as Sample[]);
    },
    rules: async () => {
      const data = await api<{ groups: { rules: LoadedRule[] }[] }>(url, '/api/v1/rules', 'the rules');
      return data.groups.flatMap((g) => g.rules);
    },
    log: () => output,
    stop,
  };
}

async function waitUntilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}:\n${log()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Prometheus not ready after 30 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// The dashboards' queries.

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

export interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}

export interface GrafanaVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  allValue?: string;
  includeAll?: boolean;
}

export interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  templating?: { list?: GrafanaVariable[] };
  panels?: GrafanaPanel[];
}

/** The dashboard files of deploy/grafana/dashboards, unparsed (the unit test checks they parse). */
export function dashboardFiles(): { file: string; text: string }[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(DASHBOARD_DIR, file), 'utf8') }));
}

export function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  return dashboardFiles().map(({ file, text }) => {
    try {
      return { file, dashboard: JSON.parse(text) as Dashboard };
    } catch (e) {
      throw new Error(`${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  });
}

/** Every panel, those inside collapsed rows included; rows themselves are not panels with queries. */
export function panelsOf(d: Dashboard): GrafanaPanel[] {
  const all = (ps: GrafanaPanel[]): GrafanaPanel[] =>
    ps.flatMap((p) => (p.type === 'row' ? all(p.panels ?? []) : [p]));
  return all(d.panels ?? []);
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function panelQueries(d: Dashboard): PanelQuery[] {
  return panelsOf(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      dashboard: d.uid ?? '',
      panel: p.title ?? '',
      refId: t.refId ?? '',
      expr: t.expr ?? '',
    })),
  );
}

/** Grafana's built-in variables the dashboards may use, with the value the e2e test evaluates them at. */
export const BUILTIN_VARIABLES: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
};

/** Names of the `$var` / `${var}` references of an expression. */
export function variablesOf(expr: string): string[] {
  return [...expr.matchAll(/\$(?:\{(\w+)\}|(\w+))/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * The expression as Prometheus would get it from Grafana with every template variable at "All"
 * (its allValue, `.*`) and the built-ins at BUILTIN_VARIABLES.
 */
export function concreteQuery(expr: string, d: Dashboard): string {
  const values: Record<string, string> = { ...BUILTIN_VARIABLES };
  for (const v of d.templating?.list ?? []) if (v.type === 'query') values[v.name] = v.allValue ?? '.*';
  return expr.replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, a?: string, b?: string) => values[a ?? b!] ?? whole);
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names an expression selects. Not a PromQL parser: it drops strings, label matchers,
 * ranges, grouping clauses and numbers, and what is left that is not a function call or a keyword
 * is a metric name. Good enough for the dashboards' queries, whose syntax the e2e test checks for
 * real against Prometheus.
 */
export function metricNames(expr: string): string[] {
  const rest = expr
    // Grafana's label_values(selector, label) of a variable query: only the selector selects.
    .replace(/\blabel_values\s*\(([^,]*),\s*\w+\s*\)/g, '$1')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' ');
  const names = new Set<string>();
  for (const m of rest.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const after = rest.slice(m.index + m[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Whether (), {} and [] nest properly outside string literals, and every string is closed. */
export function balanced(expr: string): boolean {
  const closing: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  const stack: string[] = [];
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '');
  if (code.includes('"')) return false;
  for (const ch of code) {
    if ('({['.includes(ch)) stack.push(ch);
    else if (ch in closing && stack.pop() !== closing[ch]) return false;
  }
  return stack.length === 0;
}

/** The alert names of a rule file (`- alert: Name` lines). */
export function alertNames(ruleFile: string): string[] {
  return [...readFileSync(ruleFile, 'utf8').matchAll(/^\s*-\s+alert:\s*(\w+)\s*$/gm)].map((m) => m[1]!);
}
