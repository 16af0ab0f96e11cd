import fc from 'fast-check';
import type { UsageInterval } from './intervals';
import { aggregateUsage, type UsageDimension, type UsageRow } from './usage';

const HOUR = 3_600_000;
/** 2025-03-01T00:00:00Z */
const D0 = Date.UTC(2025, 2, 1);

/** One device at 2 €/h, 1 kWh/h, 0.5 kg/h and 3 CU, in [startH, endH) hours after D0. */
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
    computeUnits: 3,
    portable: false,
    startMs: D0 + startH * HOUR,
    endMs: D0 + endH * HOUR,
    eurPerHour: 2,
    kWhPerHour: 1,
    co2eKgPerHour: 0.5,
    pue: 1.2,
    heatReuseFraction: 0,
    ...o,
  };
}

const TENANTS: Record<string, string> = { 'team-a': 'acme', 'team-b': 'acme', 'lab-1': 'uni' };
const tenantOf = (ns: string) => TENANTS[ns] ?? 'unknown';

function aggregate(intervals: UsageInterval[], groupBy: UsageDimension[], fromH = 0, toH = 72): UsageRow[] {
  return aggregateUsage(intervals, { fromMs: D0 + fromH * HOUR, toMs: D0 + toH * HOUR, groupBy, tenantOf });
}

/** Each row as its key's set values and its device-hours, for compact expectations. */
/** Equal up to rounding: sums in another order differ in the last bits. */
const expectNear = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));

const summary = (rows: UsageRow[]) =>
  rows.map((r) => ({
    ...Object.fromEntries(Object.entries(r.key).filter(([, v]) => v !== undefined)),
    deviceHours: r.deviceHours,
  }));

describe('aggregateUsage', () => {
  it('without dimensions: one row of every total', () => {
    const rows = aggregate([interval(0, 2), interval(1, 4, { devices: 8, eurPerHour: 16 })], []);
    expect(rows).toEqual([
      {
        key: {},
        deviceHours: 2 + 8 * 3,
        computeUnitHours: 3 * 2 + 3 * 3,
        energyKWh: 2 + 3,
        co2eKg: 0.5 * 2 + 0.5 * 3,
        costEUR: 2 * 2 + 16 * 3,
      },
    ]);
  });

  it('no intervals: no rows', () => {
    expect(aggregate([], ['vendor'])).toEqual([]);
  });

  const mixed = [
    interval(0, 2, { vendor: 'nvidia', site: 'de-1', namespace: 'lab-1' }),
    interval(0, 3, { vendor: 'amd', site: 'dk-1', namespace: 'team-a' }),
    interval(0, 4, { vendor: 'amd', site: 'de-1', namespace: 'team-b' }),
  ];

  it.each([
    {
      name: 'vendor',
      groupBy: ['vendor'] as UsageDimension[],
      rows: [
        { vendor: 'amd', deviceHours: 7 },
        { vendor: 'nvidia', deviceHours: 2 },
      ],
    },
    {
      name: 'site',
      groupBy: ['site'] as UsageDimension[],
      rows: [
        { site: 'de-1', deviceHours: 6 },
        { site: 'dk-1', deviceHours: 3 },
      ],
    },
    {
      name: 'tenant (namespaces mapped by tenantOf)',
      groupBy: ['tenant'] as UsageDimension[],
      rows: [
        { tenant: 'acme', deviceHours: 7 },
        { tenant: 'uni', deviceHours: 2 },
      ],
    },
    {
      name: 'vendor and site',
      groupBy: ['vendor', 'site'] as UsageDimension[],
      rows: [
        { vendor: 'amd', site: 'de-1', deviceHours: 4 },
        { vendor: 'amd', site: 'dk-1', deviceHours: 3 },
        { vendor: 'nvidia', site: 'de-1', deviceHours: 2 },
      ],
    },
  ])('groups by $name', ({ groupBy, rows }) => {
    expect(summary(aggregate(mixed, groupBy))).toEqual(rows);
  });

  it.each([
    {
      name: 'splits an interval across midnight',
      intervals: [interval(22, 27)],
      window: [0, 72],
      rows: [
        { day: '2025-03-01', deviceHours: 2 },
        { day: '2025-03-02', deviceHours: 3 },
      ],
    },
    {
      name: 'spans whole days',
      intervals: [interval(12, 60)],
      window: [0, 72],
      rows: [
        { day: '2025-03-01', deviceHours: 12 },
        { day: '2025-03-02', deviceHours: 24 },
        { day: '2025-03-03', deviceHours: 12 },
      ],
    },
    {
      name: 'ending exactly at midnight makes no empty next day',
      intervals: [interval(20, 24)],
      window: [0, 72],
      rows: [{ day: '2025-03-01', deviceHours: 4 }],
    },
    {
      name: 'clips the days to a window that starts and ends mid-day',
      intervals: [interval(0, 72)],
      window: [18, 30],
      rows: [
        { day: '2025-03-01', deviceHours: 6 },
        { day: '2025-03-02', deviceHours: 6 },
      ],
    },
    {
      name: 'adds intervals of the same day',
      intervals: [interval(1, 2), interval(3, 5)],
      window: [0, 72],
      rows: [{ day: '2025-03-01', deviceHours: 3 }],
    },
  ])('by day: $name', ({ intervals, window, rows }) => {
    expect(summary(aggregate(intervals, ['day'], window[0], window[1]))).toEqual(rows);
  });

  it.each([
    { name: 'before the window', groupBy: [] as UsageDimension[], interval: interval(0, 10) },
    { name: 'after the window', groupBy: [] as UsageDimension[], interval: interval(30, 40) },
    { name: 'ending where the window starts', groupBy: [] as UsageDimension[], interval: interval(0, 12) },
    { name: 'before the window, by day', groupBy: ['day'] as UsageDimension[], interval: interval(0, 10) },
    { name: 'after the window, by day', groupBy: ['day'] as UsageDimension[], interval: interval(30, 40) },
    { name: 'empty (start = end)', groupBy: ['vendor'] as UsageDimension[], interval: interval(15, 15) },
  ])('an interval $name contributes nothing', ({ groupBy, interval: outside }) => {
    const inside = interval(13, 14, { vendor: 'intel' });
    expect(aggregate([outside, inside], groupBy, 12, 24)).toEqual(aggregate([inside], groupBy, 12, 24));
  });

  it('counts only the part inside the window', () => {
    expect(summary(aggregate([interval(10, 20)], [], 12, 24))).toEqual([{ deviceHours: 8 }]);
  });

  const dimensions: UsageDimension[] = ['vendor', 'site', 'model', 'pool', 'day', 'priorityClass', 'tenant'];
  const arbitraryInterval = fc
    .record({
      startH: fc.integer({ min: -48, max: 120 }),
      lengthH: fc.double({ min: 0, max: 100, noNaN: true }),
      vendor: fc.constantFrom('amd', 'nvidia', 'intel'),
      site: fc.constantFrom('dk-1', 'de-1'),
      namespace: fc.constantFrom('team-a', 'team-b', 'lab-1', 'other'),
      priorityClass: fc.constantFrom('standard', 'preemptible'),
      devices: fc.integer({ min: 1, max: 64 }),
      eurPerHour: fc.double({ min: 0, max: 100, noNaN: true }),
      kWhPerHour: fc.double({ min: 0, max: 50, noNaN: true }),
    })
    .map(({ startH, lengthH, ...o }) => interval(startH, startH + lengthH, o));

  it('every grouping has the same totals as no grouping', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryInterval, { maxLength: 20 }),
        fc.subarray(dimensions),
        fc.integer({ min: 0, max: 48 }),
        fc.integer({ min: 1, max: 72 }),
        (intervals, groupBy, fromH, lengthH) => {
          const total = (rows: UsageRow[], f: (r: UsageRow) => number) => rows.reduce((a, r) => a + f(r), 0);
          const flat = aggregate(intervals, [], fromH, fromH + lengthH);
          const grouped = aggregate(intervals, groupBy, fromH, fromH + lengthH);
          for (const f of [
            (r: UsageRow) => r.deviceHours,
            (r: UsageRow) => r.computeUnitHours,
            (r: UsageRow) => r.energyKWh,
            (r: UsageRow) => r.co2eKg,
            (r: UsageRow) => r.costEUR,
          ])
            expectNear(total(grouped, f), total(flat, f));
          const keys = grouped.map((r) => JSON.stringify(r.key));
          expect(new Set(keys).size).toBe(keys.length);
        },
      ),
    );
  });

  it('device-hours are devices × hours inside the window, summed', () => {
    fc.assert(
      fc.property(fc.array(arbitraryInterval, { maxLength: 20 }), (intervals) => {
        const fromMs = D0;
        const toMs = D0 + 48 * HOUR;
        const expected = intervals.reduce(
          (a, i) =>
            a + (i.devices * Math.max(0, Math.min(i.endMs, toMs) - Math.max(i.startMs, fromMs))) / HOUR,
          0,
        );
        const rows = aggregateUsage(intervals, { fromMs, toMs, groupBy: ['day'], tenantOf });
        expectNear(
          rows.reduce((a, r) => a + r.deviceHours, 0),
          expected,
        );
        for (const r of rows) expect(r.deviceHours).toBeGreaterThan(0);
        expect(rows.every((r) => r.key.day! >= '2025-03-01' && r.key.day! <= '2025-03-02')).toBe(true);
      }),
    );
  });
});
