import type { Tenant, Workload } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import { ControllerMetrics } from './controller-metrics';
import {
  deviceRows,
  poolNodeRows,
  portableShare,
  registerStateGauges,
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

  it('nodes ready and not ready', () => {
    const rows = poolNodeRows([amdPool({ nodes: 3, nodesReady: 2 })]);
    expect(rows.map((r) => [r.labels.state, r.value])).toEqual([
      ['ready', 2],
      ['not_ready', 1],
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
        { labels: { phase: 'Running', tier: 'sme' }, value: 2 },
        { labels: { phase: 'Queued', tier: 'research' }, value: 1 },
        { labels: { phase: 'Queued', tier: 'unknown' }, value: 1 },
      ]),
    );
    expect(rows.flatMap((r) => Object.values(r.labels))).not.toContain('a');
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
    registerStateGauges(m, { pools: () => pools, workloads: () => [], tenants: () => [] });
    expect(await m.registry.getSingleMetricAsString('kentaur_devices')).toMatch(/state="allocated"} 0/);
    pools = [amdPool({ devices: { capacity: 16, allocatable: 16, allocated: 8 } })];
    expect(await m.registry.getSingleMetricAsString('kentaur_devices')).toMatch(/state="allocated"} 8/);
  });
});
