import type { Site, Tenant, Workload } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import { accountingFor, measuredWattsPerDevice, ratesOf, type AccountingContext } from './accounting';
import { redactedUrl } from './power-reader';

const tenant: Tenant = {
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme' },
  spec: {
    displayName: 'ACME',
    tier: 'sme',
    namespaces: ['tenant-acme'],
    quota: { guaranteedCU: 10, limitCU: 40 },
  },
};
const site: Site = {
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Site',
  metadata: { name: 'dk-1' },
  spec: { country: 'DK', pue: 1.25, gridCarbonGramsPerKWh: 200 },
};
const pool = amdPool();
pool.spec.pricePerDeviceHourEUR = 2;
pool.spec.powerWattsPerDevice = 750;

const NOW = Date.parse('2026-11-22T12:00:00Z');
const ctx: AccountingContext = {
  pools: new Map([[pool.metadata.name!, pool]]),
  sites: new Map([['dk-1', site]]),
  tenantOf: new Map([['tenant-acme', tenant]]),
  defaults: { pricePerDeviceHourEUR: 1, pue: 1.2, gridCarbonGramsPerKWh: 250 },
  nowMs: NOW,
};

function admitted(phase: string, finishedAt?: string): Workload {
  const built = makeWorkload('train', 'tenant-acme').replicas(2).accelerators({ count: 8 }).obj();
  const w: Workload = { ...built, metadata: { ...built.metadata, uid: 'uid-1' } };
  w.status = {
    phase: phase as never,
    attempts: 2,
    admission: {
      site: 'dk-1',
      pool: pool.metadata.name!,
      vendor: 'amd',
      model: 'MI300X',
      computeUnits: 20.96,
      admittedAt: '2026-11-22T11:00:00Z',
    },
    conditions: finishedAt
      ? [{ type: 'Finished', status: 'True', reason: phase, message: '', lastTransitionTime: finishedAt }]
      : [],
  };
  return w;
}

describe('accountingFor', () => {
  it('accounts a running admission up to now, with its pool and site rates', () => {
    const a = accountingFor(admitted('Running'), ctx)!;
    expect(a).toMatchObject({
      uid: 'uid-1',
      attempt: 2,
      tenant: 'acme',
      tier: 'sme',
      devices: 16,
      computeUnits: 20.96,
      admittedAtMs: Date.parse('2026-11-22T11:00:00Z'),
      untilMs: NOW,
    });
    // 16 devices × 2 €/h; 16 × 750 W × 0.8 utilisation × 1.25 PUE = 12 kWh/h; × 200 g = 2.4 kg/h.
    expect(a.rates.eurPerHour).toBeCloseTo(32, 9);
    expect(a.rates.kWhPerHour).toBeCloseTo(12, 9);
    expect(a.rates.co2eKgPerHour).toBeCloseTo(2.4, 9);
  });

  it('accounts a finished admission up to its Finished condition, never past now', () => {
    expect(accountingFor(admitted('Succeeded', '2026-11-22T11:30:00Z'), ctx)!.untilMs).toBe(
      Date.parse('2026-11-22T11:30:00Z'),
    );
    expect(accountingFor(admitted('Failed', '2026-11-22T13:00:00Z'), ctx)!.untilMs).toBe(NOW);
  });

  const noAdmission: Workload = { ...admitted('Running'), status: { phase: 'Running' } };
  it.each([
    ['waiting', admitted('Queued')],
    ['without an admission', noAdmission],
    [
      'without a uid (not yet stored)',
      { ...admitted('Running'), metadata: { name: 'x', namespace: 'tenant-acme' } },
    ],
  ])('is nothing for a workload %s', (_name, w) => {
    expect(accountingFor(w, ctx)).toBeUndefined();
  });

  it("metered: both ends in whole seconds, with the pods' runs of the current attempt", () => {
    const w = admitted('Succeeded', '2026-11-22T11:30:07.950Z');
    w.status!.admission!.admittedAt = '2026-11-22T11:00:00.730Z';
    const runs = [{ devices: 8, startMs: Date.parse('2026-11-22T11:00:02Z') }];
    const seen: Workload[] = [];
    const a = accountingFor(w, {
      ...ctx,
      runsOf: (x) => {
        seen.push(x);
        return runs;
      },
    })!;
    expect(a.admittedAtMs).toBe(Date.parse('2026-11-22T11:00:00Z'));
    expect(a.untilMs).toBe(Date.parse('2026-11-22T11:30:07Z'));
    expect(a.runs).toBe(runs);
    expect(seen).toEqual([w]);
  });
});

describe('metered accounting behind a lagging pod cache', () => {
  const w = admitted('Succeeded', '2026-11-22T11:30:07.950Z');
  const runsOf = () => [{ devices: 8, startMs: Date.parse('2026-11-22T11:00:02Z') }];

  it('stops where the pod cache was last known current, and goes on once it is again', () => {
    const capped = accountingFor(w, {
      ...ctx,
      runsOf,
      podsCurrentUntilMs: Date.parse('2026-11-22T11:10:00.500Z'),
    });
    expect(capped!.untilMs).toBe(Date.parse('2026-11-22T11:10:00Z'));
    const caughtUp = accountingFor(w, { ...ctx, runsOf, podsCurrentUntilMs: NOW });
    expect(caughtUp!.untilMs).toBe(Date.parse('2026-11-22T11:30:07Z'));
  });

  it('accounts nothing before the cache has caught up with the admission', () => {
    expect(accountingFor(w, { ...ctx, runsOf, podsCurrentUntilMs: -Infinity })).toBeUndefined();
    expect(
      accountingFor(w, { ...ctx, runsOf, podsCurrentUntilMs: Date.parse('2026-11-22T10:59:00Z') }),
    ).toBeUndefined();
  });
});

describe('measured power', () => {
  const w = admitted('Running');
  // 16 devices: 8 on each of two nodes.
  const devicesByNodeOf = () =>
    new Map([
      ['n1', 8],
      ['n2', 8],
    ]);

  it('energy follows the measured power, without the utilisation factor', () => {
    const power = {
      wattsPerDevice: new Map([
        ['n1', 500],
        ['n2', 700],
      ]),
      devicesByNodeOf,
    };
    expect(measuredWattsPerDevice(w, power, 750)).toBe(600);
    const r = ratesOf(w, { ...ctx, power });
    // 16 × 600 W × 1.25 PUE = 12 kWh per hour; price is unchanged.
    expect(r.kWhPerHour).toBeCloseTo(12, 9);
    expect(r.eurPerHour).toBeCloseTo(32, 9);
    expect(r.energySource).toBe('measured');
    expect(accountingFor(w, { ...ctx, power })!.energySource).toBe('measured');
  });

  it('a node without a reading counts at catalog power × utilisation', () => {
    const power = { wattsPerDevice: new Map([['n1', 500]]), devicesByNodeOf };
    // (8 × 500 + 8 × 750 × 0.8) / 16 = 550 W.
    expect(measuredWattsPerDevice(w, power, 750)).toBe(550);
  });

  it('no reading on any of its nodes, or no started pod: catalog power', () => {
    const power = { wattsPerDevice: new Map([['elsewhere', 500]]), devicesByNodeOf };
    expect(measuredWattsPerDevice(w, power, 750)).toBeUndefined();
    expect(measuredWattsPerDevice(w, { ...power, devicesByNodeOf: () => new Map() }, 750)).toBeUndefined();
    const r = ratesOf(w, { ...ctx, power });
    expect(r.kWhPerHour).toBeCloseTo(12, 9); // 16 × 750 × 0.8 × 1.25
    expect(r.energySource).toBe('catalog');
  });

  it('errors show the Prometheus URL without its credentials', () => {
    expect(redactedUrl('https://user:s3cret@prom.example:9090/api?token=abc')).toBe(
      'https://prom.example:9090/api',
    );
    expect(redactedUrl('not a url')).toBe('(an unparsable URL)');
  });
});
