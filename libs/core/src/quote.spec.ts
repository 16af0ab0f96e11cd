import { computeUnits, quote, type QuoteInput } from './quote';

describe('computeUnits', () => {
  const cases: [string, { replicas: number; devicesPerReplica: number }, number, number][] = [
    ['one H100', { replicas: 1, devicesPerReplica: 1 }, 0.99, 0.99],
    ['a gang of 2 × 8 MI300X', { replicas: 2, devicesPerReplica: 8 }, 1.31, 20.96],
    ['4 × 4 Gaudi 3', { replicas: 4, devicesPerReplica: 4 }, 1.84, 29.44],
  ];
  it.each(cases)('%s', (_name, shape, perDevice, expected) => {
    expect(computeUnits(shape, { computeUnitsPerDevice: perDevice })).toBeCloseTo(expected, 9);
  });
});

describe('quote', () => {
  const base: QuoteInput = {
    shape: { replicas: 2, devicesPerReplica: 8, maxDurationSeconds: 6 * 3600 },
    pool: { pricePerDeviceHourEUR: 2.1, powerWattsPerDevice: 750 },
    site: { pue: 1.15, gridCarbonGramsPerKWh: 120 },
    utilisationFactor: 0.8,
  };
  // 16 devices × 750 W × 0.8 × 1.15 / 1000 = 11.04 kWh per hour.
  const cases: [string, QuoteInput, Partial<Record<string, number | undefined>>][] = [
    [
      '16 devices for 6 h at dk-1',
      base,
      {
        eurPerHour: 33.6,
        estimatedEUR: 201.6,
        kWhPerHour: 11.04,
        estimatedKWh: 66.24,
        estimatedCO2eKg: 7.9488,
      },
    ],
    [
      'no maxDuration: hourly figures only',
      { ...base, shape: { replicas: 2, devicesPerReplica: 8 } },
      {
        eurPerHour: 33.6,
        estimatedEUR: undefined,
        estimatedKWh: undefined,
        estimatedCO2eKg: undefined,
        co2eKgPerHour: 1.3248,
      },
    ],
    [
      'a clean grid: no CO2e, same energy',
      { ...base, site: { pue: 1.15, gridCarbonGramsPerKWh: 0 } },
      { estimatedKWh: 66.24, estimatedCO2eKg: 0 },
    ],
    [
      'unknown site: PUE 1 and no carbon (a lower bound)',
      { ...base, site: undefined },
      { kWhPerHour: 9.6, co2eKgPerHour: 0 },
    ],
    [
      'utilisation scales energy, not price',
      { ...base, utilisationFactor: 0.4 },
      { eurPerHour: 33.6, kWhPerHour: 5.52 },
    ],
    [
      '30 minutes',
      { ...base, shape: { replicas: 1, devicesPerReplica: 1, maxDurationSeconds: 1800 } },
      { estimatedEUR: 1.05 },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const q = quote(input) as unknown as Record<string, number | undefined>;
    for (const [field, value] of Object.entries(expected)) {
      if (value === undefined) expect(q[field]).toBeUndefined();
      else expect(q[field]).toBeCloseTo(value, 9);
    }
  });
});
