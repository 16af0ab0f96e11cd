import type { EpochMs } from '@kentaur/core';

/**
 * The ledger's arithmetic, pure: what an interval of usage amounts to, and where intervals are cut.
 */

/** Per hour of the whole admission (all its devices): price, energy (PUE and utilisation included), CO2e. */
export interface UsageRates {
  readonly eurPerHour: number;
  readonly kWhPerHour: number;
  readonly co2eKgPerHour: number;
}

/** The same shape as the gateway's usage totals. */
export interface UsageTotals {
  deviceHours: number;
  computeUnitHours: number;
  energyKWh: number;
  co2eKg: number;
  costEUR: number;
}

export interface IntervalFiguresInput {
  readonly rates: UsageRates;
  readonly devices: number;
  readonly computeUnits: number;
  readonly startMs: EpochMs;
  readonly endMs: EpochMs;
}

const HOUR_MS = 3_600_000;

/** Each figure is its rate × the interval's hours (zero for an empty or inverted interval). */
export function intervalFigures(i: IntervalFiguresInput): UsageTotals {
  const hours = Math.max(0, i.endMs - i.startMs) / HOUR_MS;
  return {
    deviceHours: i.devices * hours,
    computeUnitHours: i.computeUnits * hours,
    energyKWh: i.rates.kWhPerHour * hours,
    co2eKg: i.rates.co2eKgPerHour * hours,
    costEUR: i.rates.eurPerHour * hours,
  };
}

/** Start of the UTC month that contains `t`, and of the month after it. */
export function utcMonth(t: EpochMs): { startMs: EpochMs; endMs: EpochMs } {
  const d = new Date(t);
  return {
    startMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    endMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

/**
 * [startMs, endMs) cut at UTC month boundaries, in order; empty when endMs <= startMs. Every piece
 * lies in one month, so a month's bill is a sum of whole rows.
 */
export function splitAtMonths(startMs: EpochMs, endMs: EpochMs): { startMs: EpochMs; endMs: EpochMs }[] {
  const out: { startMs: EpochMs; endMs: EpochMs }[] = [];
  for (let s = startMs; s < endMs;) {
    const e = Math.min(endMs, utcMonth(s).endMs);
    out.push({ startMs: s, endMs: e });
    s = e;
  }
  return out;
}
