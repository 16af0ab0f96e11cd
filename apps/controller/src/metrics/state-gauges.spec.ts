import { siteReachable, type Site, type Tenant, type Workload } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import { ControllerMetrics } from './controller-metrics';
import {
  deviceRows,
  poolNodeRows,
  portableShare,
  registerStateGauges,
  siteRows,
  tenantRows,
  vendorConcentration,
  workloadRows,
} from './state-gauges';

const tenant = (
  name: string,
  ns: string,
  tier: Tenant['spec']['tier'],
  status?: Tenant['status'],
): Tenant => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name },
  spec: {
    displayName: name,
    tier,
    namespaces: [ns],
    quota: { guaranteedCU: 10, limitCU: 40 },
    budget: { monthlyEUR: 500 },
  },
  ...(status ? { status } : {}),
});

const inPhase = (name: string, ns: string, phase: string, portable = false): Workload => {
  const w = makeWorkload(name, ns).obj();
  return { ...w, status: { phase: phase as never, portable } };
};

const nvidiaPool = (allocated: number) => {
  const p = amdPool({ devices: { capacity: 16, allocatable: 16, allocated } });
  return {
    ...p,
    metadata: { name: 'dk-1-nvidia-h100' },
    spec: { ...p.spec, vendor: 'nvidia', model: 'H100' },
  };
};

describe('state gauges', () => {
  it('devices by pool and state, free = allocatable − allocated', () => {
    const rows = deviceRows([amdPool({ devices: { capacity: 16, allocatable: 14, allocated: 8 } })]);
    const byState = Object.fromEntries(rows.map((r) => [r.labels.state, r.value]));
    expect(byState).toEqual({ capacity: 16, allocatable: 14, allocated: 8, free: 6 });
    expect(rows[0]!.labels).toMatchObject({
      site: 'dk-1',
      vendor: 'amd',
      model: 'MI300X',
      pool: 'dk-1-amd-mi300x',
    });
  });

  it('nodes ready and not ready, by site and pool', () => {
    const rows = poolNodeRows([amdPool({ nodes: 3, nodesReady: 2 })]);
    expect(rows).toEqual([
      { labels: { site: 'dk-1', pool: 'dk-1-amd-mi300x', state: 'ready' }, value: 2 },
      { labels: { site: 'dk-1', pool: 'dk-1-amd-mi300x', state: 'not_ready' }, value: 1 },
    ]);
  });

  it('counts workloads by phase and tier, never by name', () => {
    const rows = workloadRows(
      [
        inPhase('a', 'ns-a', 'Running'),
        inPhase('b', 'ns-a', 'Running'),
        inPhase('c', 'ns-b', 'Queued'),
        inPhase('d', 'ns-x', 'Queued'),
      ],
      [tenant('a', 'ns-a', 'sme'), tenant('b', 'ns-b', 'research')],
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { labels: { phase: 'Running', tier: 'sme', site: '' }, value: 2 },
        { labels: { phase: 'Queued', tier: 'research', site: '' }, value: 1 },
        { labels: { phase: 'Queued', tier: 'unknown', site: '' }, value: 1 },
      ]),
    );
    expect(rows.flatMap((r) => Object.values(r.labels))).not.toContain('a');
  });

  it("counts admitted workloads at their admission's site, waiting ones at none", () => {
    const at = (name: string, phase: string, site?: string): Workload => {
      const w = inPhase(name, 'ns-a', phase);
      if (site)
        w.status!.admission = {
          site,
          pool: `${site}-amd-mi300x`,
          vendor: 'amd',
          model: 'MI300X',
          computeUnits: 1,
          admittedAt: '2025-03-01T10:00:00Z',
        };
      return w;
    };
    const rows = workloadRows(
      [
        at('a', 'Running', 'dk-1'),
        at('b', 'Running', 'fi-1'),
        at('c', 'Running', 'fi-1'),
        at('d', 'Succeeded', 'fi-1'),
        at('e', 'Queued'),
      ],
      [tenant('a', 'ns-a', 'sme')],
    );
    expect(rows).toHaveLength(4);
    expect(rows).toEqual(
      expect.arrayContaining([
        { labels: { phase: 'Running', tier: 'sme', site: 'dk-1' }, value: 1 },
        { labels: { phase: 'Running', tier: 'sme', site: 'fi-1' }, value: 2 },
        { labels: { phase: 'Succeeded', tier: 'sme', site: 'fi-1' }, value: 1 },
        { labels: { phase: 'Queued', tier: 'sme', site: '' }, value: 1 },
      ]),
    );
  });

  describe('site reachability', () => {
    const site = (name: string, status?: Site['status']): Site => ({
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Site',
      metadata: { name },
      spec: { country: 'FI' },
      ...(status ? { status } : {}),
    });
    const reachableCondition = (status: 'True' | 'False' | 'Unknown') => ({
      type: 'Reachable',
      status,
      reason: 'Probe',
      message: '',
      lastTransitionTime: '2025-03-01T10:00:00Z',
    });

    it.each([
      { name: 'no Site object', site: undefined, reachable: undefined },
      { name: 'no status yet', site: site('a'), reachable: undefined },
      { name: 'status.reachable true', site: site('a', { reachable: true }), reachable: true },
      { name: 'status.reachable false', site: site('a', { reachable: false }), reachable: false },
      {
        name: 'the Reachable condition False',
        site: site('a', { conditions: [reachableCondition('False')] }),
        reachable: false,
      },
      {
        name: 'the Reachable condition True',
        site: site('a', { conditions: [reachableCondition('True')] }),
        reachable: true,
      },
      {
        name: 'the Reachable condition Unknown',
        site: site('a', { conditions: [reachableCondition('Unknown')] }),
        reachable: undefined,
      },
      {
        name: 'status.reachable wins over the condition',
        site: site('a', { reachable: true, conditions: [reachableCondition('False')] }),
        reachable: true,
      },
    ])('$name: $reachable', ({ site: s, reachable }) => {
      expect(siteReachable(s)).toBe(reachable);
    });

    it('one series per site and status, 1 on the current status; sites of pools without a Site are unknown', () => {
      const rows = siteRows(
        [site('fi-1', { reachable: false }), site('se-1', { reachable: true }), site('no-1')],
        [amdPool(), amdPool()],
      );
      const current = rows.filter((r) => r.value === 1).map((r) => [r.labels.site, r.labels.status]);
      expect(current).toEqual([
        ['dk-1', 'unknown'],
        ['fi-1', 'false'],
        ['no-1', 'unknown'],
        ['se-1', 'true'],
      ]);
      expect(rows).toHaveLength(4 * 3);
      for (const s of ['dk-1', 'fi-1', 'no-1', 'se-1'])
        expect(rows.filter((r) => r.labels.site === s).map((r) => r.labels.status)).toEqual([
          'true',
          'false',
          'unknown',
        ]);
    });
  });

  it('tenant usage, quota and spend', () => {
    const r = tenantRows([tenant('acme', 'ns', 'sme', { usageCU: 7.5, monthSpentEUR: 120 })]);
    expect(r.usage).toEqual([{ labels: { tenant: 'acme', tier: 'sme' }, value: 7.5 }]);
    expect(r.quota.map((q) => q.value)).toEqual([10, 40]);
    expect(r.spend).toEqual([
      { labels: { tenant: 'acme', kind: 'spent' }, value: 120 },
      { labels: { tenant: 'acme', kind: 'budget' }, value: 500 },
    ]);
  });

  it('vendor concentration of allocated devices and the portable share', () => {
    const amd = amdPool({ devices: { capacity: 16, allocatable: 16, allocated: 8 } });
    expect(vendorConcentration([amd, nvidiaPool(8)])).toBeCloseTo(0.5, 12);
    expect(vendorConcentration([amd, nvidiaPool(0)])).toBe(1);
    expect(
      portableShare([
        inPhase('a', 'n', 'Running', true),
        inPhase('b', 'n', 'Admitted'),
        inPhase('c', 'n', 'Succeeded', true),
      ]),
    ).toBe(0.5);
    expect(portableShare([])).toBe(0);
  });

  it('are computed at scrape time from the sources', async () => {
    const m = new ControllerMetrics();
    let pools = [amdPool({ devices: { capacity: 16, allocatable: 16, allocated: 0 } })];
    registerStateGauges(m, { pools: () => pools, workloads: () => [], tenants: () => [], sites: () => [] });
    expect(await m.registry.getSingleMetricAsString('kentaur_devices')).toMatch(/state="allocated"} 0/);
    pools = [amdPool({ devices: { capacity: 16, allocatable: 16, allocated: 8 } })];
    expect(await m.registry.getSingleMetricAsString('kentaur_devices')).toMatch(/state="allocated"} 8/);
  });

  it('label pool nodes, workloads and site reachability with the site', async () => {
    const m = new ControllerMetrics();
    const running = inPhase('a', 'ns-a', 'Running');
    running.status!.admission = {
      site: 'dk-1',
      pool: 'dk-1-amd-mi300x',
      vendor: 'amd',
      model: 'MI300X',
      computeUnits: 1,
      admittedAt: '2025-03-01T10:00:00Z',
    };
    registerStateGauges(m, {
      pools: () => [amdPool({ nodes: 2, nodesReady: 2 })],
      workloads: () => [running],
      tenants: () => [tenant('a', 'ns-a', 'sme')],
      sites: () => [],
    });
    expect(await m.registry.getSingleMetricAsString('kentaur_pool_nodes')).toContain(
      'kentaur_pool_nodes{site="dk-1",pool="dk-1-amd-mi300x",state="ready"} 2',
    );
    expect(await m.registry.getSingleMetricAsString('kentaur_workloads')).toContain(
      'kentaur_workloads{phase="Running",tier="sme",site="dk-1"} 1',
    );
    expect(await m.registry.getSingleMetricAsString('kentaur_site_reachable')).toContain(
      'kentaur_site_reachable{site="dk-1",status="unknown"} 1',
    );
  });
});
