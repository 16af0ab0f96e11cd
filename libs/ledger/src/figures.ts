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

/**
 * When a set of devices ran: one pod's devices from its start to its end (undefined: still running).
 * Kubernetes stamps pod times to the second, so these are whole seconds.
 */
export interface DeviceRun {
  readonly devices: number;
  readonly startMs: EpochMs;
  readonly endMs?: EpochMs;
}

export interface IntervalFiguresInput {
  readonly rates: UsageRates;
  readonly devices: number;
  readonly computeUnits: number;
  readonly startMs: EpochMs;
  readonly endMs: EpochMs;
  /**
   * The pods' runs: the interval counts only the device-time they overlap it (a run without an end
   * lasts to the interval's end). Absent: all the admission's devices count for the whole interval.
   */
  readonly runs?: readonly DeviceRun[];
}

const HOUR_MS = 3_600_000;

/** Device-hours of `runs` inside [startMs, endMs). */
export function runDeviceHours(runs: readonly DeviceRun[], startMs: EpochMs, endMs: EpochMs): number {
  let ms = 0;
  for (const r of runs) {
    const overlap = Math.min(endMs, r.endMs ?? endMs) - Math.max(startMs, r.startMs);
    if (overlap > 0) ms += r.devices * overlap;
  }
  return ms / HOUR_MS;
}

/**
 * Each figure is its rate × the interval's hours (zero for an empty or inverted interval). With
 * runs, the figures scale with the share of the admission's device-hours that pods really used.
 */
export function intervalFigures(i: IntervalFiguresInput): UsageTotals {
  const hours = Math.max(0, i.endMs - i.startMs) / HOUR_MS;
  const deviceHours = i.runs ? runDeviceHours(i.runs, i.startMs, i.endMs) : i.devices * hours;
  // Hours of the whole admission (all its devices) that the device-hours amount to.
  const admissionHours = i.runs ? (i.devices > 0 ? deviceHours / i.devices : 0) : hours;
  return {
    deviceHours,
    computeUnitHours: i.computeUnits * admissionHours,
    energyKWh: i.rates.kWhPerHour * admissionHours,
    co2eKg: i.rates.co2eKgPerHour * admissionHours,
    costEUR: i.rates.eurPerHour * admissionHours,
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
