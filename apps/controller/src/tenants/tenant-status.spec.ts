import type { Tenant, TenantStatus, Tier, Workload, WorkloadPhase } from '@kentaur/api';
import { dominantShare, tenantStatus } from './tenant-status';

const tenant = (
  o: { tier?: Tier; guaranteedCU?: number; weight?: number; status?: TenantStatus } = {},
): Pick<Tenant, 'spec' | 'status'> => ({
  spec: {
    displayName: 'ACME',
    tier: o.tier ?? 'sme',
    namespaces: ['team-a'],
    quota: { guaranteedCU: o.guaranteedCU ?? 10, limitCU: 100 },
    ...(o.weight !== undefined ? { weight: o.weight } : {}),
  },
  ...(o.status ? { status: o.status } : {}),
});

const wl = (phase: WorkloadPhase | undefined, cu?: number, vendor = 'amd'): Pick<Workload, 'status'> => ({
  status: {
    ...(phase ? { phase } : {}),
    ...(cu !== undefined
      ? {
          admission: {
            site: 'dk-1',
            pool: `dk-1-${vendor}`,
            vendor,
            model: 'm',
            computeUnits: cu,
            admittedAt: '2025-01-01T00:00:00Z',
          },
        }
      : {}),
  },
});

describe('tenantStatus', () => {
  const cases: [string, Parameters<typeof tenantStatus>[0], TenantStatus][] = [
    [
      'no workloads',
      { tenant: tenant(), workloads: [] },
      { usageCU: 0, usageByVendor: {}, admitted: 0, queued: 0, dominantShare: 0 },
    ],
    [
      'admitted and running hold compute units, by vendor',
      {
        tenant: tenant({ guaranteedCU: 10 }),
        workloads: [wl('Admitted', 2.62, 'amd'), wl('Running', 7.92, 'nvidia'), wl('Running', 1.31, 'amd')],
      },
      {
        usageCU: 11.85,
        usageByVendor: { amd: 3.93, nvidia: 7.92 },
        admitted: 3,
        queued: 0,
        // sme tier weight 2: 11.85 / (10 × 1 × 2)
        dominantShare: 0.5925,
      },
    ],
    [
      'waiting phases count as queued, finished ones as nothing',
      {
        tenant: tenant(),
        workloads: [
          wl(undefined),
          wl('Pending'),
          wl('Queued'),
          wl('Preempted', 4),
          wl('Succeeded', 4),
          wl('Failed', 4),
          wl('Cancelled', 4),
        ],
      },
      { usageCU: 0, usageByVendor: {}, admitted: 0, queued: 4, dominantShare: 0 },
    ],
    [
      'weight and tier weight divide the share (public-interest 3)',
      {
        tenant: tenant({ tier: 'public-interest', guaranteedCU: 4, weight: 0.5 }),
        workloads: [wl('Running', 3)],
      },
      { usageCU: 3, usageByVendor: { amd: 3 }, admitted: 1, queued: 0, dominantShare: 0.5 },
    ],
    [
      'no guaranteed quota: share 0, usage still shown',
      { tenant: tenant({ guaranteedCU: 0 }), workloads: [wl('Running', 5)] },
      { usageCU: 5, usageByVendor: { amd: 5 }, admitted: 1, queued: 0, dominantShare: 0 },
    ],
    [
      'admitted without admission details counts, with no compute units',
      { tenant: tenant(), workloads: [wl('Admitted'), wl('Running', Number.NaN)] },
      { usageCU: 0, usageByVendor: {}, admitted: 2, queued: 0, dominantShare: 0 },
    ],
    [
      "keeps the ledger's monthSpentEUR and drops the old observedGeneration",
      {
        tenant: tenant({ status: { monthSpentEUR: 123.4, usageCU: 99, observedGeneration: 3 } }),
        workloads: [],
      },
      { monthSpentEUR: 123.4, usageCU: 0, usageByVendor: {}, admitted: 0, queued: 0, dominantShare: 0 },
    ],
    [
      'configured tier weights',
      {
        tenant: tenant({ tier: 'commercial', guaranteedCU: 2 }),
        workloads: [wl('Running', 1)],
        tierWeights: { 'public-interest': 3, research: 2, 'public-sector': 2, sme: 2, commercial: 4 },
      },
      { usageCU: 1, usageByVendor: { amd: 1 }, admitted: 1, queued: 0, dominantShare: 0.125 },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(tenantStatus(input)).toEqual(expected);
  });

  it('does not depend on the order workloads come in', () => {
    const ws = [0.1, 0.2, 0.3, 0.7, 1.31, 0.99].map((cu) => wl('Running', cu));
    const forward = tenantStatus({ tenant: tenant(), workloads: ws });
    const backward = tenantStatus({ tenant: tenant(), workloads: [...ws].reverse() });
    expect(backward).toEqual(forward);
    expect(forward.usageCU).toBe(3.6);
  });
});

describe('dominantShare', () => {
  const cases: [Tier, number][] = [
    ['public-interest', 3],
    ['research', 2],
    ['public-sector', 2],
    ['sme', 2],
    ['commercial', 1],
  ];
  it.each(cases)('tier %s weighs %d by default', (tier, weight) => {
    expect(dominantShare(tenant({ tier, guaranteedCU: 1 }), 6)).toBe(6 / weight);
  });
});
