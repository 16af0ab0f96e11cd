import type { PoolSnapshot, SiteSnapshot } from './snapshot';

/**
 * Compute units, quotes and energy: what a placement costs before it runs. Pure arithmetic, so a
 * quote shown to a tenant before submitting is the same number the scheduler budgets with.
 */

/** What a request asks for, independent of where it runs. */
export interface RequestShape {
  readonly replicas: number;
  readonly devicesPerReplica: number;
  readonly maxDurationSeconds?: number;
}

export interface PlacementQuote {
  readonly eurPerHour: number;
  /** Over maxDuration; undefined when the workload has no maxDuration (only the hourly figures hold). */
  readonly estimatedEUR: number | undefined;
  readonly estimatedKWh: number | undefined;
  readonly estimatedCO2eKg: number | undefined;
  readonly kWhPerHour: number;
  readonly co2eKgPerHour: number;
}

/** Used for pools whose Site is not in the snapshot: estimates are then lower bounds. */
export const NEUTRAL_SITE = { pue: 1, gridCarbonGramsPerKWh: 0 } as const;

export function deviceCount(shape: RequestShape): number {
  return shape.replicas * shape.devicesPerReplica;
}

/** CU of a request on a pool: replicas × devicesPerReplica × the pool's CU per device. */
export function computeUnits(shape: RequestShape, pool: Pick<PoolSnapshot, 'computeUnitsPerDevice'>): number {
  return deviceCount(shape) * pool.computeUnitsPerDevice;
}

export interface QuoteInput {
  readonly shape: RequestShape;
  readonly pool: Pick<PoolSnapshot, 'pricePerDeviceHourEUR' | 'powerWattsPerDevice'>;
  readonly site: Pick<SiteSnapshot, 'pue' | 'gridCarbonGramsPerKWh'> | undefined;
  readonly utilisationFactor: number;
}

/**
 * eurPerHour = devices × price; kWh = devices × W × utilisation × hours × PUE ÷ 1000;
 * CO2e kg = kWh × grid g/kWh ÷ 1000.
 */
export function quote(input: QuoteInput): PlacementQuote {
  const { shape, pool, utilisationFactor } = input;
  const site = input.site ?? NEUTRAL_SITE;
  const devices = deviceCount(shape);
  const eurPerHour = devices * pool.pricePerDeviceHourEUR;
  const kWhPerHour = (devices * pool.powerWattsPerDevice * utilisationFactor * site.pue) / 1000;
  const co2eKgPerHour = (kWhPerHour * site.gridCarbonGramsPerKWh) / 1000;
  const hours = shape.maxDurationSeconds === undefined ? undefined : shape.maxDurationSeconds / 3600;
  return {
    eurPerHour,
    estimatedEUR: hours === undefined ? undefined : eurPerHour * hours,
    estimatedKWh: hours === undefined ? undefined : kWhPerHour * hours,
    estimatedCO2eKg: hours === undefined ? undefined : co2eKgPerHour * hours,
    kWhPerHour,
    co2eKgPerHour,
  };
}
