import fc from 'fast-check';
import { intervalFigures, runDeviceHours, splitAtMonths, utcMonth, type UsageRates } from './figures';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 31, 20);
const rates: UsageRates = { eurPerHour: 33.6, kWhPerHour: 11.04, co2eKgPerHour: 1.3248 };

describe('intervalFigures', () => {
  const cases: [string, { devices: number; computeUnits: number; hours: number }, Record<string, number>][] =
    [
      [
        '16 devices, 20.96 CU for 6 h',
        { devices: 16, computeUnits: 20.96, hours: 6 },
        { deviceHours: 96, computeUnitHours: 125.76, energyKWh: 66.24, co2eKg: 7.9488, costEUR: 201.6 },
      ],
      [
        'one device for 90 s',
        { devices: 1, computeUnits: 0.99, hours: 90 / 3600 },
        { deviceHours: 0.025, computeUnitHours: 0.02475, energyKWh: 0.276, co2eKg: 0.03312, costEUR: 0.84 },
      ],
      [
        'an empty interval',
        { devices: 8, computeUnits: 8, hours: 0 },
        { deviceHours: 0, computeUnitHours: 0, energyKWh: 0, co2eKg: 0, costEUR: 0 },
      ],
      [
        'an inverted interval counts nothing',
        { devices: 8, computeUnits: 8, hours: -1 },
        { deviceHours: 0, computeUnitHours: 0, energyKWh: 0, co2eKg: 0, costEUR: 0 },
      ],
    ];
  it.each(cases)('%s', (_name, c, expected) => {
    const f = intervalFigures({ rates, ...c, startMs: T0, endMs: T0 + c.hours * HOUR });
    for (const [k, v] of Object.entries(expected)) expect(f[k as keyof typeof f]).toBeCloseTo(v, 9);
  });

  it('is additive: the figures of two adjacent intervals sum to those of their union', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (a, b) => {
        const f = (s: number, e: number) =>
          intervalFigures({ rates, devices: 8, computeUnits: 10.48, startMs: s, endMs: e });
        const [x, y, whole] = [f(T0, T0 + a), f(T0 + a, T0 + a + b), f(T0, T0 + a + b)];
        expect(x.costEUR + y.costEUR).toBeCloseTo(whole.costEUR, 6);
        expect(x.energyKWh + y.energyKWh).toBeCloseTo(whole.energyKWh, 6);
      }),
    );
  });
});

describe('metered intervals (pod runs)', () => {
  const SEC = 1000;
  // Two pods of 4 devices (an admission of 8, 10.48 CU): one ran 0–60 s, the other 10 s–still running.
  const runs = [
    { devices: 4, startMs: T0, endMs: T0 + 60 * SEC },
    { devices: 4, startMs: T0 + 10 * SEC },
  ];

  it('counts only the device-time the runs overlap the interval; an open run lasts to its end', () => {
    expect(runDeviceHours(runs, T0, T0 + 120 * SEC) * 3600).toBeCloseTo(4 * 60 + 4 * 110, 9);
    expect(runDeviceHours(runs, T0 + 30 * SEC, T0 + 40 * SEC) * 3600).toBeCloseTo(4 * 10 + 4 * 10, 9);
    expect(runDeviceHours(runs, T0 - 100 * SEC, T0) * 3600).toBe(0);
    expect(runDeviceHours([], T0, T0 + HOUR)).toBe(0);
  });

  it('scales every figure with the share of the admission the pods used', () => {
    const reserved = intervalFigures({
      rates,
      devices: 8,
      computeUnits: 10.48,
      startMs: T0,
      endMs: T0 + 120 * SEC,
    });
    const metered = intervalFigures({
      rates,
      devices: 8,
      computeUnits: 10.48,
      startMs: T0,
      endMs: T0 + 120 * SEC,
      runs,
    });
    const share = (4 * 60 + 4 * 110) / (8 * 120);
    expect(metered.deviceHours).toBeCloseTo((4 * 60 + 4 * 110) / 3600, 12);
    for (const k of ['computeUnitHours', 'energyKWh', 'co2eKg', 'costEUR'] as const)
      expect(metered[k]).toBeCloseTo(reserved[k] * share, 12);
  });

  it('no pod running yet counts nothing', () => {
    const f = intervalFigures({
      rates,
      devices: 8,
      computeUnits: 8,
      startMs: T0,
      endMs: T0 + HOUR,
      runs: [],
    });
    expect(Object.values(f)).toEqual([0, 0, 0, 0, 0]);
  });

  it("tiling: the runs' device-time is the sum over any cut of the time line", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            devices: fc.integer({ min: 0, max: 8 }),
            start: fc.integer({ min: 0, max: 3600 }),
            length: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
          }),
          { maxLength: 8 },
        ),
        fc.uniqueArray(fc.integer({ min: 1, max: 7199 }), { maxLength: 6 }),
        (rs, cuts) => {
          const end = T0 + 7200 * SEC;
          const asRuns = rs.map((r) => ({
            devices: r.devices,
            startMs: T0 + r.start * SEC,
            endMs: r.length === undefined ? undefined : T0 + (r.start + r.length) * SEC,
          }));
          const bounds = [T0, ...cuts.sort((a, b) => a - b).map((c) => T0 + c * SEC), end];
          const pieces = bounds.slice(1).map((e, i) => runDeviceHours(asRuns, bounds[i]!, e));
          const whole = asRuns.reduce(
            (n, r) => n + (r.devices * (Math.min(end, r.endMs ?? end) - r.startMs)) / HOUR,
            0,
          );
          expect(pieces.reduce((a, b) => a + b, 0)).toBeCloseTo(whole, 9);
        },
      ),
    );
  });
});

describe('utcMonth', () => {
  it.each([
    ['mid-month', Date.UTC(2026, 1, 14, 12), Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)],
    ['the first instant of a month', Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1)],
    ['the last ms of a year', Date.UTC(2027, 0, 1) - 1, Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1)],
  ])('%s', (_name, t, start, end) => {
    expect(utcMonth(t)).toEqual({ startMs: start, endMs: end });
  });
});

describe('splitAtMonths', () => {
  const feb1 = Date.UTC(2026, 1, 1);
  const mar1 = Date.UTC(2026, 2, 1);
  it.each([
    ['inside one month', [T0, T0 + HOUR], [[T0, T0 + HOUR]]],
    [
      'across one boundary',
      [T0, feb1 + 2 * HOUR],
      [
        [T0, feb1],
        [feb1, feb1 + 2 * HOUR],
      ],
    ],
    ['ending on a boundary', [T0, feb1], [[T0, feb1]]],
    ['starting on a boundary', [feb1, feb1 + HOUR], [[feb1, feb1 + HOUR]]],
    [
      'across two boundaries',
      [T0, mar1 + HOUR],
      [
        [T0, feb1],
        [feb1, mar1],
        [mar1, mar1 + HOUR],
      ],
    ],
    ['empty', [T0, T0], []],
    ['inverted', [T0 + HOUR, T0], []],
  ])('%s', (_name, [s, e], pieces) => {
    expect(splitAtMonths(s!, e!)).toEqual(pieces.map(([a, b]) => ({ startMs: a, endMs: b })));
  });

  it('covers the interval exactly: contiguous pieces, each inside one UTC month', () => {
    const span = 400 * 24 * HOUR;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: span }), fc.integer({ min: 1, max: span }), (offset, length) => {
        const s = T0 + offset;
        const pieces = splitAtMonths(s, s + length);
        expect(pieces[0]!.startMs).toBe(s);
        expect(pieces.at(-1)!.endMs).toBe(s + length);
        pieces.forEach((p, i) => {
          expect(p.endMs).toBeGreaterThan(p.startMs);
          if (i > 0) expect(p.startMs).toBe(pieces[i - 1]!.endMs);
          expect(utcMonth(p.startMs).endMs).toBeGreaterThanOrEqual(p.endMs);
        });
      }),
    );
  });
});
