// Structural checks of the Grafana dashboards (deploy/grafana/dashboards) and the alerting rules
// (deploy/prometheus): no Prometheus server needed. That every panel query returns data against the
// running apps is tests/e2e/observability.test.ts's job.
import { readFileSync } from 'node:fs';
import { Histogram } from 'prom-client';
import { ControllerMetrics } from '../../apps/controller/src/metrics/controller-metrics';
import { registerStateGauges } from '../../apps/controller/src/metrics/state-gauges';
import { GatewayMetrics } from '../../apps/gateway/src/metrics/gateway-metrics';
import {
  ALERTS_FILE,
  ALERTS_TEST_FILE,
  alertNames,
  balanced,
  BUILTIN_VARIABLES,
  type Dashboard,
  dashboardFiles,
  loadDashboards,
  metricNames,
  panelQueries,
  panelsOf,
  promtool,
  variablesOf,
} from '../support/prometheus';

/** Every series name the apps export: metric names, and for histograms their _bucket/_sum/_count. */
function exportedSeriesNames(): Set<string> {
  const controller = new ControllerMetrics();
  registerStateGauges(controller, {
    pools: () => [],
    workloads: () => [],
    tenants: () => [],
    sites: () => [],
  });
  const gateway = new GatewayMetrics();
  const names = new Set<string>();
  for (const registry of [controller.registry, gateway.registry])
    for (const m of registry.getMetricsAsArray()) {
      names.add(m.name);
      if (m instanceof Histogram) for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
    }
  return names;
}

const DS_REF = '${datasource}';
const dashboards = loadDashboards();
const queriesOf = (d: Dashboard) => [
  ...panelQueries(d).map((q) => ({ where: `${q.dashboard} / ${q.panel} / ${q.refId}`, expr: q.expr })),
  ...(d.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => ({
      where: `${d.uid} / variable ${v.name}`,
      expr: typeof v.query === 'string' ? v.query : (v.query?.query ?? ''),
    })),
];

describe('Grafana dashboards', () => {
  it('are the four dashboards, each valid JSON with a unique uid and title', () => {
    const files = dashboardFiles();
    expect(files.map((f) => f.file)).toEqual([
      'control-plane.json',
      'energy-sovereignty.json',
      'factory-overview.json',
      'tenants.json',
    ]);
    for (const { file, text } of files) expect(() => JSON.parse(text) as unknown).not.toThrow(file);
    const uids = dashboards.map((d) => d.dashboard.uid);
    const titles = dashboards.map((d) => d.dashboard.title);
    for (const u of uids) expect(u).toMatch(/^kentaur-[a-z-]+$/);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(titles).size).toBe(titles.length);
    expect([...titles].sort()).toEqual([
      'Kentaur — Control plane',
      'Kentaur — Energy and sovereignty',
      'Kentaur — Factory overview',
      'Kentaur — Tenants',
    ]);
  });

  describe.each(dashboards.map((d) => [d.file, d.dashboard] as const))('%s', (_file, d) => {
    it('is schema version 39 with a Prometheus ${datasource} variable', () => {
      expect(d.schemaVersion).toBe(39);
      expect(d.templating?.list).toContainEqual(
        expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
      );
    });

    it('gives every panel a title, the ${datasource} data source and at least one query', () => {
      const panels = panelsOf(d);
      expect(panels.length).toBeGreaterThan(0);
      for (const p of panels) {
        const where = `${d.uid} panel ${p.id} "${p.title}"`;
        expect({ where, title: p.title?.trim() }).toEqual({ where, title: expect.stringMatching(/\S/) });
        expect({ where, ds: p.datasource }).toEqual({ where, ds: { type: 'prometheus', uid: DS_REF } });
        expect({ where, queries: (p.targets?.length ?? 0) > 0 }).toEqual({ where, queries: true });
        const refIds = p.targets!.map((t) => t.refId);
        expect(new Set(refIds).size).toBe(refIds.length);
        for (const t of p.targets!) {
          expect({ where, ds: t.datasource }).toEqual({ where, ds: { type: 'prometheus', uid: DS_REF } });
          expect({ where, expr: t.expr?.trim() }).toEqual({ where, expr: expect.stringMatching(/\S/) });
        }
      }
    });

    it('lays panels out on the 24-column grid with unique ids', () => {
      const panels = panelsOf(d);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of panels) {
        expect(p.gridPos).toBeDefined();
        expect(p.gridPos!.x + p.gridPos!.w).toBeLessThanOrEqual(24);
      }
    });

    it('uses only variables it defines or Grafana provides', () => {
      const defined = new Set([
        ...(d.templating?.list ?? []).map((v) => v.name),
        ...Object.keys(BUILTIN_VARIABLES),
      ]);
      for (const { where, expr } of queriesOf(d))
        for (const v of variablesOf(expr))
          expect({ where, variable: v, defined: defined.has(v) }).toEqual({
            where,
            variable: v,
            defined: true,
          });
      // A filter variable offers "All" as a regex that matches everything.
      for (const v of (d.templating?.list ?? []).filter((x) => x.type === 'query'))
        expect(v).toMatchObject({ includeAll: true, allValue: '.*' });
    });

    it('writes queries with balanced brackets that select only kentaur_* metrics (or up)', () => {
      for (const { where, expr } of queriesOf(d)) {
        expect({ where, expr, balanced: balanced(expr) }).toEqual({ where, expr, balanced: true });
        const names = metricNames(expr);
        expect({ where, expr, names: names.length > 0 }).toEqual({ where, expr, names: true });
        for (const n of names)
          expect({ where, metric: n }).toEqual({
            where,
            metric: expect.stringMatching(/^(kentaur_\w+|up)$/),
          });
      }
    });

    it('selects only metrics the apps export', () => {
      const known = exportedSeriesNames();
      for (const { where, expr } of queriesOf(d))
        for (const n of metricNames(expr).filter((x) => x !== 'up'))
          expect({ where, metric: n, exported: known.has(n) }).toEqual({ where, metric: n, exported: true });
    });
  });

  it('the site filter is on the dashboards that show per-site devices, nodes, reachability or ledger counters', () => {
    for (const { dashboard: d } of dashboards) {
      const perSite = queriesOf(d).some((q) =>
        /kentaur_(devices|pool_nodes|site_reachable|energy|co2e|cost)/.test(q.expr),
      );
      const hasSite = (d.templating?.list ?? []).some((v) => v.name === 'site');
      expect({ uid: d.uid, hasSite }).toEqual({ uid: d.uid, hasSite: perSite });
    }
  });

  it('the site selector is a multi-select with All over a metric that carries site', () => {
    const carrying = siteMetrics();
    for (const { dashboard: d } of dashboards) {
      const v = (d.templating?.list ?? []).find((x) => x.name === 'site');
      if (!v) continue;
      expect({ uid: d.uid, v }).toMatchObject({
        uid: d.uid,
        v: { type: 'query', multi: true, includeAll: true, allValue: '.*' },
      });
      const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const m = /^label_values\((\w+), site\)$/.exec(query);
      expect({ uid: d.uid, query, carriesSite: !!m && carrying.has(m[1]!) }).toEqual({
        uid: d.uid,
        query,
        carriesSite: true,
      });
    }
  });

  it('on a dashboard with the site selector, every selector of a metric that carries site filters by it', () => {
    const carrying = siteMetrics();
    const unfiltered: string[] = [];
    for (const { dashboard: d } of dashboards) {
      if (!(d.templating?.list ?? []).some((v) => v.name === 'site')) continue;
      for (const q of panelQueries(d))
        for (const sel of q.expr.matchAll(/\b(kentaur_\w+)(\{[^}]*\})?/g))
          if (carrying.has(sel[1]!) && !/site=~"\$site"/.test(sel[2] ?? ''))
            unfiltered.push(`${q.dashboard} / ${q.panel} / ${sel[0]}`);
    }
    expect(unfiltered.sort()).toEqual([...SITE_UNFILTERED].sort());
  });
});

/**
 * Selectors left unfiltered by site on purpose: waiting work has no site until it is admitted, so
 * the queue panels count it for the whole factory.
 */
const SITE_UNFILTERED = [
  'kentaur-factory-overview / Queue depth / kentaur_workloads{phase=~"Pending|Queued|Preempted"}',
  'kentaur-factory-overview / Queue depth by phase and tier / kentaur_workloads{phase=~"Pending|Queued|Preempted"}',
  'kentaur-factory-overview / Queue depth by phase and tier / kentaur_workloads',
];

/** The metrics the apps export with a `site` label. */
function siteMetrics(): Set<string> {
  const controller = new ControllerMetrics();
  registerStateGauges(controller, {
    pools: () => [],
    workloads: () => [],
    tenants: () => [],
    sites: () => [],
  });
  const gateway = new GatewayMetrics();
  const names = new Set<string>();
  for (const registry of [controller.registry, gateway.registry])
    for (const m of registry.getMetricsAsArray()) {
      // prom-client keeps the label names on the metric; its type declarations do not list them.
      const labelNames = (m as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
      if (labelNames.includes('site')) names.add(m.name);
    }
  return names;
}

describe('the metric-name reader of the checks above', () => {
  it.each([
    ['a selector', 'kentaur_devices{state="free", site=~"$site"}', ['kentaur_devices']],
    [
      'functions, grouping and ranges',
      'histogram_quantile(0.99, sum by (le, tier) (rate(kentaur_queue_wait_seconds_bucket[$__rate_interval])))',
      ['kentaur_queue_wait_seconds_bucket'],
    ],
    [
      'binary operators and vector()',
      '(sum(up{job="a"}) or vector(0)) / sum(kentaur_x) > 1e3',
      ['up', 'kentaur_x'],
    ],
    ['a label that looks like a metric', 'max without (instance, pod) (kentaur_y)', ['kentaur_y']],
    ['label_values of a variable', 'label_values(kentaur_devices, site)', ['kentaur_devices']],
  ])('%s', (_name, expr, names) => {
    expect(metricNames(expr).sort()).toEqual([...names].sort());
  });

  it.each([
    ['sum(rate(x[1m]))', true],
    ['sum(rate(x[1m])', false],
    ['x{a="(("}', true],
    ['x{a="b}', false],
    ['sum(x))', false],
    ['(x]', false],
  ])('balanced(%s) is %s', (expr, ok) => {
    expect(balanced(expr)).toBe(ok);
  });
});

describe('alerting rules', () => {
  it('promtool check rules deploy/prometheus/alerts.yaml passes', () => {
    const r = promtool(['check', 'rules', ALERTS_FILE]);
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.any(String) });
  });

  it('promtool test rules deploy/prometheus/alerts.test.yaml passes', () => {
    const r = promtool(['test', 'rules', ALERTS_TEST_FILE]);
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.any(String) });
  });

  it('every alert has a severity, a summary, a description and a runbook, and a unit test', () => {
    const text = readFileSync(ALERTS_FILE, 'utf8');
    const tests = readFileSync(ALERTS_TEST_FILE, 'utf8');
    const names = alertNames(ALERTS_FILE);
    expect(names.length).toBeGreaterThanOrEqual(9);
    const blocks = text.split(/^\s*-\s+alert:\s*/m).slice(1);
    expect(blocks).toHaveLength(names.length);
    blocks.forEach((block, i) => {
      const name = names[i];
      for (const field of [/severity: (critical|warning|info)\b/, /summary: /, /description: /, /runbook: /])
        expect({ name, field: String(field), present: field.test(block) }).toEqual({
          name,
          field: String(field),
          present: true,
        });
      // At least one case where it fires (exp_alerts with labels) and one where it must not.
      const cases = tests.split(`alertname: ${name}\n`).slice(1);
      const firing = cases.filter((c) => /^\s*exp_alerts:\s*\n\s*- exp_labels/.test(c)).length;
      const quiet = cases.filter((c) => /^\s*exp_alerts: \[\]/.test(c)).length;
      expect({ name, firing: firing > 0, quiet: quiet > 0 }).toEqual({ name, firing: true, quiet: true });
    });
  });
});
