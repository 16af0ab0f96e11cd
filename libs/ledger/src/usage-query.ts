import type { EpochMs } from '@kentaur/core';
import type { UsageTotals } from './figures';
import type { UsageDimension } from './types';

/**
 * One SQL aggregate for every report: intervals overlapping [fromMs, toMs), each clipped to the
 * window (and to UTC days when grouping by day) and pro-rated by the fraction of it that remains.
 * Figures are linear in time, so the pro-rated sums are exact.
 */

export type Dimension = UsageDimension | 'tier';

/** The order of a row key's fields; the same as the gateway's, so rows sort the same. */
const KEY_ORDER: readonly Dimension[] = [
  'vendor',
  'site',
  'model',
  'pool',
  'day',
  'priorityClass',
  'tenant',
  'tier',
];

const COLUMN: Record<Dimension, string> = {
  vendor: 'i.vendor',
  site: 'i.site',
  model: 'i.model',
  pool: 'i.pool',
  day: 'p.day',
  priorityClass: 'i.priority_class',
  tenant: 'i.tenant',
  tier: 'i.tier',
};

export interface AggregateQuery {
  readonly fromMs: EpochMs;
  readonly toMs: EpochMs;
  readonly dimensions: readonly Dimension[];
  readonly namespaces?: readonly string[];
  readonly tenant?: string;
}

export type AggregateRow = UsageTotals & { measuredEnergyKWh?: number } & Partial<Record<Dimension, string>>;

const WHOLE_WINDOW = `CROSS JOIN LATERAL (SELECT w.s AS s, w.e AS e) p`;

// Days are cut in UTC, with '24 hours' rather than '1 day', which follows the session's time zone.
const BY_DAY = `CROSS JOIN LATERAL (
    SELECT to_char(d AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
           greatest(w.s, d) AS s, least(w.e, d + interval '24 hours') AS e
    FROM generate_series(date_trunc('day', w.s, 'UTC'), w.e, interval '24 hours') AS d
  ) p`;

const SUMS = `
  sum(i.device_hours * k.f)::float8 AS "deviceHours",
  sum(i.cu_hours * k.f)::float8     AS "computeUnitHours",
  sum(i.energy_kwh * k.f)::float8   AS "energyKWh",
  sum(i.co2e_kg * k.f)::float8      AS "co2eKg",
  sum(i.cost_eur * k.f)::float8     AS "costEUR",
  coalesce(sum(i.energy_kwh * k.f) FILTER (WHERE i.energy_source = 'measured'), 0)::float8
                                    AS "measuredEnergyKWh"`;

/** The dimensions in key order, without repeats. */
export function orderedDimensions(dimensions: readonly Dimension[]): Dimension[] {
  const wanted = new Set(dimensions);
  return KEY_ORDER.filter((d) => wanted.has(d));
}

export function aggregateSql(q: AggregateQuery): { sql: string; params: unknown[] } {
  const dims = orderedDimensions(q.dimensions);
  const params: unknown[] = [new Date(q.fromMs).toISOString(), new Date(q.toMs).toISOString()];
  const filters = ['i.end_at > $1::timestamptz', 'i.start_at < $2::timestamptz', 'p.e > p.s'];
  if (q.namespaces) {
    params.push([...q.namespaces]);
    filters.push(`i.namespace = ANY($${params.length}::text[])`);
  }
  if (q.tenant !== undefined) {
    params.push(q.tenant);
    filters.push(`i.tenant = $${params.length}`);
  }
  const select = dims.map((d) => `${COLUMN[d]} AS "${d}",`).join('\n  ');
  const groupBy = dims.length > 0 ? `GROUP BY ${dims.map((d) => COLUMN[d]).join(', ')}` : '';
  const sql = `SELECT ${select}${SUMS}
FROM usage_interval i
CROSS JOIN LATERAL (
  SELECT greatest(i.start_at, $1::timestamptz) AS s, least(i.end_at, $2::timestamptz) AS e
) w
${dims.includes('day') ? BY_DAY : WHOLE_WINDOW}
CROSS JOIN LATERAL (
  SELECT extract(epoch FROM p.e - p.s)::float8 / extract(epoch FROM i.end_at - i.start_at)::float8 AS f
) k
WHERE ${filters.join(' AND ')}
${groupBy}
HAVING count(*) > 0`;
  return { sql, params };
}

export function totalsOf(row: Partial<UsageTotals>): UsageTotals {
  return {
    deviceHours: Number(row.deviceHours ?? 0),
    computeUnitHours: Number(row.computeUnitHours ?? 0),
    energyKWh: Number(row.energyKWh ?? 0),
    co2eKg: Number(row.co2eKg ?? 0),
    costEUR: Number(row.costEUR ?? 0),
  };
}
