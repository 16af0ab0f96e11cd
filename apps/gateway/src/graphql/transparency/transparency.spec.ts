import fc from 'fast-check';
import type { AcceleratorPool, Site, Tenant, Tier, Workload, WorkloadStatus } from '@kentaur/api';
import { amdPool, makeWorkload } from '@kentaur/testing';
import type { UsageInterval } from '../usage/intervals';
import {
  periodBounds,
  transparencyFromSlices,
  transparencyReport,
  type TransparencyReport,
  type UsageSlice,
} from './transparency';

const HOUR = 3_600_000;
/** 2025-03-01T00:00:00Z */
const D0 = Date.UTC(2025, 2, 1);

function interval(startH: number, endH: number, o: Partial<UsageInterval> = {}): UsageInterval {
  return {
    namespace: 'team-a',
    workload: 'w',
    priorityClass: 'standard',
    site: 'dk-1',
    vendor: 'amd',
    model: 'MI300X',
    pool: 'dk-1-amd-mi300x',
    devices: 1,
    computeUnits: 1,
    portable: false,
    startMs: D0 + startH * HOUR,
    endMs: D0 + endH * HOUR,
    eurPerHour: 1,
    kWhPerHour: 1,
    co2eKgPerHour: 1,
    pue: 1,
    heatReuseFraction: 0,
    ...o,
  };
}

function pool(vendor: string, allocatable: number, allocated: number): AcceleratorPool {
  const p = amdPool({ devices: { capacity: allocatable, allocatable, allocated } });
  return { ...p, metadata: { name: `dk-1-${vendor}` }, spec: { ...p.spec, vendor } };
}

function tenant(name: string, tier: Tier, namespaces: string[]): Tenant {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name },
    spec: { displayName: name, tier, namespaces, quota: { guaranteedCU: 0, limitCU: 10 } },
  };
}

function workload(name: string, status: WorkloadStatus): Workload {
  return { ...makeWorkload(name, 'team-a').obj(), status };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('periodBounds', () => {
  it.each([
    {
      name: 'a day, at midday',
      period: 'day',
      at: '2025-03-15T13:45:10Z',
      from: '2025-03-15',
      to: '2025-03-16',
    },
    {
      name: 'a day, at midnight',
      period: 'day',
      at: '2025-03-15T00:00:00Z',
      from: '2025-03-15',
      to: '2025-03-16',
    },
    {
      name: 'a day, its last ms',
      period: 'day',
      at: '2025-03-15T23:59:59.999Z',
      from: '2025-03-15',
      to: '2025-03-16',
    },
    {
      name: 'the last day of a year',
      period: 'day',
      at: '2025-12-31T08:00:00Z',
      from: '2025-12-31',
      to: '2026-01-01',
    },
    { name: 'a month', period: 'month', at: '2025-03-15T13:45:10Z', from: '2025-03-01', to: '2025-04-01' },
    {
      name: 'a month, its first ms',
      period: 'month',
      at: '2025-03-01T00:00:00Z',
      from: '2025-03-01',
      to: '2025-04-01',
    },
    {
      name: 'December into January',
      period: 'month',
      at: '2025-12-31T23:00:00Z',
      from: '2025-12-01',
      to: '2026-01-01',
    },
    {
      name: 'a leap February',
      period: 'month',
      at: '2024-02-29T12:00:00Z',
      from: '2024-02-01',
      to: '2024-03-01',
    },
  ] as const)('$name', ({ period, at, from, to }) => {
    expect(periodBounds(period, Date.parse(at))).toEqual({
      fromMs: Date.parse(`${from}T00:00:00Z`),
      toMs: Date.parse(`${to}T00:00:00Z`),
    });
  });

  it('always holds the instant it was asked for', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('day' as const, 'month' as const),
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        (period, atMs) => {
          const { fromMs, toMs } = periodBounds(period, atMs);
          expect(fromMs).toBeLessThanOrEqual(atMs);
          expect(atMs).toBeLessThan(toMs);
          expect(periodBounds(period, toMs).fromMs).toBe(toMs);
        },
      ),
    );
  });
});

describe('transparencyReport', () => {
  // Day 2025-03-01, reported at midday (12 hours elapsed).
  const intervals = [
    // 6 h in the day: 60 kWh, 12 kg, 48 device-hours; overhead 60 × (1 − 1/1.25) = 12; heat 60 × 0.5 = 30.
    interval(0, 6, {
      vendor: 'amd',
      devices: 8,
      kWhPerHour: 10,
      co2eKgPerHour: 2,
      pue: 1.25,
      heatReuseFraction: 0.5,
      namespace: 'team-a',
    }),
    // 4 of its 6 h in the day: 20 kWh, 4 kg, 16 device-hours; PUE 1 → no overhead.
    interval(-2, 4, { vendor: 'nvidia', devices: 4, kWhPerHour: 5, co2eKgPerHour: 1, namespace: 'lab-1' }),
    // The day before: nothing.
    interval(-10, -5, { vendor: 'amd', devices: 2, kWhPerHour: 7, namespace: 'stray' }),
  ];
  const tenants = [tenant('acme', 'commercial', ['team-a']), tenant('uni', 'research', ['lab-1'])];
  const base = {
    period: 'day' as const,
    atMs: D0 + 12 * HOUR,
    nowMs: D0 + 12 * HOUR,
    intervals,
    pools: [pool('amd', 8, 6), pool('nvidia', 8, 2)],
    sites: [] as Site[],
    tenants,
    workloads: [] as Workload[],
  };

  it('sums energy, CO2e, overhead, heat reused and device-hours of the period', () => {
    const r = transparencyReport(base);
    expect(r).toMatchObject({ period: 'day', from: iso(D0), to: iso(D0 + 24 * HOUR) });
    expect(r.energyKWh).toBeCloseTo(80, 9);
    expect(r.co2eKg).toBeCloseTo(16, 9);
    expect(r.facilityOverheadKWh).toBeCloseTo(12, 9);
    expect(r.heatReusedKWh).toBeCloseTo(30, 9);
    expect(r.deviceHours).toBeCloseTo(64, 9);
  });

  it('reports vendors: devices and allocation from the pools, utilisation over the elapsed hours', () => {
    // amd: 48 device-hours of 8 devices × 12 h; nvidia: 16 of 8 × 12. Allocated 6 of 8 and 2 of 8.
    expect(transparencyReport(base).vendors).toEqual([
      { vendor: 'amd', devices: 8, allocated: 6, deviceHours: 48, utilisation: 0.5, share: 0.75 },
      {
        vendor: 'nvidia',
        devices: 8,
        allocated: 2,
        deviceHours: 16,
        utilisation: expect.closeTo(1 / 6, 12),
        share: 0.25,
      },
    ]);
  });

  it('vendor concentration is the sum of squared shares', () => {
    expect(transparencyReport(base).vendorConcentration).toBeCloseTo(0.75 ** 2 + 0.25 ** 2, 12);
  });

  it("reports device-hours by the tenant's tier; unknown namespaces under 'unknown'", () => {
    expect(transparencyReport(base).tiers).toEqual([
      { tier: 'commercial', deviceHours: 48, share: 0.75 },
      { tier: 'research', deviceHours: 16, share: 0.25 },
      { tier: 'unknown', deviceHours: 0, share: 0 },
    ]);
  });

  it.each([
    { name: 'one vendor holds everything', pools: [pool('amd', 8, 3)], concentration: 1 },
    { name: 'an idle vendor beside it', pools: [pool('amd', 8, 3), pool('intel', 8, 0)], concentration: 1 },
    {
      name: 'two vendors in equal parts',
      pools: [pool('amd', 8, 4), pool('nvidia', 16, 4)],
      concentration: 0.5,
    },
    {
      name: 'four vendors in equal parts',
      pools: ['amd', 'nvidia', 'intel', 'tenstorrent'].map((v) => pool(v, 4, 1)),
      concentration: 0.25,
    },
    { name: 'nothing allocated', pools: [pool('amd', 8, 0), pool('nvidia', 8, 0)], concentration: 0 },
    { name: 'no pools', pools: [], concentration: 0 },
  ])('concentration when $name: $concentration', ({ pools, concentration }) => {
    const r = transparencyReport({ ...base, pools, intervals: [] });
    expect(r.vendorConcentration).toBeCloseTo(concentration, 12);
  });

  it('utilisation is 0 for a period that has not started', () => {
    const r = transparencyReport({ ...base, nowMs: D0 - HOUR });
    expect(r.vendors.map((v) => v.utilisation)).toEqual([0, 0]);
  });

  it('a vendor with usage but no pool has no devices and no share', () => {
    const r = transparencyReport({ ...base, pools: [pool('amd', 8, 6)] });
    expect(r.vendors.find((v) => v.vendor === 'nvidia')).toEqual({
      vendor: 'nvidia',
      devices: 0,
      allocated: 0,
      deviceHours: 16,
      utilisation: 0,
      share: 0,
    });
  });

  it.each([
    { name: 'no workloads', statuses: [], portableShare: 0 },
    {
      name: 'only running and admitted ones count',
      statuses: [
        { phase: 'Running', portable: true },
        { phase: 'Admitted', portable: false },
        { phase: 'Queued', portable: true },
        { phase: 'Succeeded', portable: true },
      ],
      portableShare: 0.5,
    },
    {
      name: 'portable unset counts as not portable',
      statuses: [{ phase: 'Running' }, { phase: 'Running', portable: true }, { phase: 'Admitted' }],
      portableShare: 1 / 3,
    },
    { name: 'nothing running', statuses: [{ phase: 'Pending', portable: true }], portableShare: 0 },
  ] as { name: string; statuses: WorkloadStatus[]; portableShare: number }[])(
    'portable share: $name',
    ({ statuses, portableShare }) => {
      const workloads = statuses.map((s, i) => workload(`w${i}`, s));
      expect(transparencyReport({ ...base, workloads }).portableShare).toBeCloseTo(portableShare, 12);
    },
  );

  it('facility overhead is energy × (1 − 1/PUE) for any PUE', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (pue, kWhPerHour, heatReuseFraction) => {
          const r = transparencyReport({
            ...base,
            intervals: [interval(2, 5, { pue, kWhPerHour, heatReuseFraction })],
          });
          expect(r.energyKWh).toBeCloseTo(kWhPerHour * 3, 9);
          expect(r.facilityOverheadKWh).toBeCloseTo(r.energyKWh * (1 - 1 / pue), 9);
          expect(r.heatReusedKWh).toBeCloseTo(r.energyKWh * heatReuseFraction, 9);
        },
      ),
    );
  });

  it('vendor shares are allocated ÷ all allocated, sum to 1, and concentration is Σ share²', () => {
    const pools = fc.array(
      fc
        .record({
          vendor: fc.constantFrom('amd', 'nvidia', 'intel', 'tenstorrent'),
          allocated: fc.integer({ min: 0, max: 64 }),
          free: fc.integer({ min: 0, max: 64 }),
        })
        .map(({ vendor, allocated, free }) => pool(vendor, allocated + free, allocated)),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(pools, (ps) => {
        const byVendor = new Map<string, number>();
        for (const p of ps)
          byVendor.set(p.spec.vendor, (byVendor.get(p.spec.vendor) ?? 0) + p.status!.devices!.allocated);
        const all = [...byVendor.values()].reduce((a, n) => a + n, 0);
        const expected = new Map([...byVendor].map(([v, n]) => [v, all > 0 ? n / all : 0]));

        const r = transparencyReport({ ...base, pools: ps, intervals: [] });
        expect(new Map(r.vendors.map((v) => [v.vendor, v.share]))).toEqual(expected);
        const sum = r.vendors.reduce((a, v) => a + v.share, 0);
        expect(sum).toBeCloseTo(all > 0 ? 1 : 0, 12);
        const hhi = [...expected.values()].reduce((a, s) => a + s * s, 0);
        expect(r.vendorConcentration).toBeCloseTo(hhi, 12);
        if (all > 0) expect(r.vendorConcentration).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });
});

describe('measured energy share', () => {
  const slice = (energyKWh: number, measuredEnergyKWh?: number) => ({
    site: 'dk-1',
    tier: 'sme',
    vendor: 'amd',
    deviceHours: 1,
    energyKWh,
    measuredEnergyKWh,
    co2eKg: 0,
    pue: 1.2,
    heatReuseFraction: 0,
  });
  const report = (slices: ReturnType<typeof slice>[]) =>
    transparencyFromSlices({
      period: 'day',
      fromMs: 0,
      toMs: 86_400_000,
      nowMs: 1,
      slices,
      pools: [],
      sites: [],
      workloads: [],
    });

  it('is the measured part of all energy', () => {
    expect(report([slice(6, 6), slice(2, 0), slice(2)]).measuredEnergyShare).toBeCloseTo(0.6, 12);
  });

  it('is 0 without energy, and without a ledger (intervals from Workload status)', () => {
    expect(report([]).measuredEnergyShare).toBe(0);
    expect(report([slice(3)]).measuredEnergyShare).toBe(0);
  });
});

function site(name: string, spec: Partial<Site['spec']> = {}): Site {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'Site',
    metadata: { name },
    spec: { country: 'DK', ...spec },
  };
}

function sitePool(name: string, siteName: string, allocatable: number): AcceleratorPool {
  const p = amdPool({ devices: { capacity: allocatable, allocatable, allocated: 0 } });
  return { ...p, metadata: { name }, spec: { ...p.spec, site: siteName } };
}

describe('transparency by site', () => {
  // Day 2025-03-01, reported at midday (12 hours elapsed).
  const base = {
    period: 'day' as const,
    atMs: D0 + 12 * HOUR,
    nowMs: D0 + 12 * HOUR,
    tenants: [] as Tenant[],
    workloads: [] as Workload[],
    intervals: [
      // dk-1: 6 h × 8 devices, 10 kWh/h (60 kWh, 12 kg); PUE 1.25 → 12 kWh overhead; heat 0.5 → 30 kWh.
      interval(0, 6, {
        site: 'dk-1',
        devices: 8,
        kWhPerHour: 10,
        co2eKgPerHour: 2,
        pue: 1.25,
        heatReuseFraction: 0.5,
      }),
      // fi-1: 4 of its 6 h in the day × 4 devices, 5 kWh/h (20 kWh, 4 kg); PUE 1 → no overhead.
      interval(-2, 4, { site: 'fi-1', vendor: 'nvidia', devices: 4, kWhPerHour: 5, co2eKgPerHour: 1 }),
      // fi-1 again, another vendor: 2 h × 2 devices, 3 kWh/h (6 kWh, 0.5 kg/h → 1 kg); PUE 1.5 → 2 kWh.
      interval(1, 3, {
        site: 'fi-1',
        vendor: 'intel',
        devices: 2,
        kWhPerHour: 3,
        co2eKgPerHour: 0.5,
        pue: 1.5,
      }),
    ],
    pools: [sitePool('dk-1-a', 'dk-1', 8), sitePool('fi-1-a', 'fi-1', 16), sitePool('de-1-a', 'de-1', 4)],
    sites: [site('dk-1', { pue: 1.25 }), site('fi-1', { country: 'FI' })],
  };

  it('reports each site with its Site object, pools and usage; a site with pools only has no country or PUE', () => {
    expect(transparencyReport(base).sites).toEqual([
      {
        site: 'de-1',
        country: null,
        pue: null,
        energyKWh: 0,
        measuredEnergyShare: 0,
        co2eKg: 0,
        facilityOverheadKWh: 0,
        heatReusedKWh: 0,
        deviceHours: 0,
        devices: 4,
        utilisation: 0,
      },
      {
        site: 'dk-1',
        country: 'DK',
        pue: 1.25,
        energyKWh: 60,
        measuredEnergyShare: 0,
        co2eKg: 12,
        facilityOverheadKWh: expect.closeTo(12, 9),
        heatReusedKWh: 30,
        deviceHours: 48,
        devices: 8,
        // 48 device-hours of 8 devices × 12 h.
        utilisation: 0.5,
      },
      {
        site: 'fi-1',
        country: 'FI',
        pue: null,
        energyKWh: 26,
        measuredEnergyShare: 0,
        co2eKg: 5,
        facilityOverheadKWh: expect.closeTo(2, 9),
        heatReusedKWh: 0,
        deviceHours: 20,
        devices: 16,
        // 20 device-hours of 16 devices × 12 h.
        utilisation: expect.closeTo(20 / 192, 12),
      },
    ]);
  });

  it('lists a site that has usage in the period but neither a Site object nor a pool any more', () => {
    const r = transparencyReport({ ...base, pools: [], sites: [] });
    expect(r.sites.map((x) => [x.site, x.devices, x.deviceHours])).toEqual([
      ['dk-1', 0, 48],
      ['fi-1', 0, 20],
    ]);
  });

  it('has no sites when there are no sites, pools or usage', () => {
    expect(transparencyReport({ ...base, intervals: [], pools: [], sites: [] }).sites).toEqual([]);
  });

  it("the sites' figures sum to the report's totals, whatever the usage", () => {
    const slice = fc.record({
      site: fc.constantFrom('dk-1', 'fi-1', 'de-1', 'unknown'),
      tier: fc.constantFrom('sme', 'research'),
      vendor: fc.constantFrom('amd', 'nvidia'),
      deviceHours: fc.double({ min: 0, max: 1e4, noNaN: true }),
      energyKWh: fc.double({ min: 0, max: 1e5, noNaN: true }),
      measuredEnergyKWh: fc.option(fc.double({ min: 0, max: 1e5, noNaN: true }), { nil: undefined }),
      co2eKg: fc.double({ min: 0, max: 1e4, noNaN: true }),
      pue: fc.double({ min: 1, max: 3, noNaN: true }),
      heatReuseFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    const sums = (r: TransparencyReport) => {
      const total = (f: (x: TransparencyReport['sites'][number]) => number) =>
        r.sites.reduce((a, x) => a + f(x), 0);
      return {
        energyKWh: total((x) => x.energyKWh),
        measuredEnergyKWh: total((x) => x.energyKWh * x.measuredEnergyShare),
        co2eKg: total((x) => x.co2eKg),
        facilityOverheadKWh: total((x) => x.facilityOverheadKWh),
        heatReusedKWh: total((x) => x.heatReusedKWh),
        deviceHours: total((x) => x.deviceHours),
      };
    };
    fc.assert(
      fc.property(fc.array(slice, { maxLength: 20 }), (slices: UsageSlice[]) => {
        const r = transparencyFromSlices({
          period: 'day',
          fromMs: D0,
          toMs: D0 + 24 * HOUR,
          nowMs: D0 + 12 * HOUR,
          slices: slices.map((x) => ({
            ...x,
            measuredEnergyKWh: Math.min(x.energyKWh, x.measuredEnergyKWh ?? 0),
          })),
          pools: base.pools,
          sites: base.sites,
          workloads: [],
        });
        const s = sums(r);
        const close = (a: number, b: number) =>
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, b));
        close(s.energyKWh, r.energyKWh);
        close(s.measuredEnergyKWh, r.energyKWh * r.measuredEnergyShare);
        close(s.co2eKg, r.co2eKg);
        close(s.facilityOverheadKWh, r.facilityOverheadKWh);
        close(s.heatReusedKWh, r.heatReusedKWh);
        close(s.deviceHours, r.deviceHours);
        // Every site with usage is listed once, besides those of the Site objects and pools.
        const names = r.sites.map((x) => x.site);
        expect(new Set(names).size).toBe(names.length);
        for (const x of slices) expect(names).toContain(x.site);
      }),
    );
  });
});
