import type { UsageDimension, UsageRow, UsageRowKey } from '@kentaur/ledger';
import { addInterval, hoursWithin, zeroTotals, type UsageInterval } from './intervals';

/** The report's shape is the ledger's, so both sources answer `usage` alike. */
export type { UsageDimension, UsageRow, UsageRowKey } from '@kentaur/ledger';

const DAY_MS = 86_400_000;

function pieces(i: UsageInterval, fromMs: number, toMs: number, byDay: boolean) {
  if (!byDay) return [{ day: undefined, hours: hoursWithin(i, fromMs, toMs) }];
  const out: { day: string | undefined; hours: number }[] = [];
  const start = Math.max(i.startMs, fromMs);
  const end = Math.min(i.endMs, toMs);
  for (let d = Math.floor(start / DAY_MS) * DAY_MS; d < end; d += DAY_MS)
    out.push({
      day: new Date(d).toISOString().slice(0, 10),
      hours: hoursWithin(i, Math.max(d, fromMs), Math.min(d + DAY_MS, toMs)),
    });
  return out;
}

/**
 * Totals of the intervals inside [fromMs, toMs), one row per distinct value of the chosen
 * dimensions (no dimension: one row). `tenantOf` maps a namespace to its tenant (`tenant` grouping).
 */
export function aggregateUsage(
  intervals: readonly UsageInterval[],
  o: { fromMs: number; toMs: number; groupBy: readonly UsageDimension[]; tenantOf: (ns: string) => string },
): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  const g = new Set(o.groupBy);
  for (const i of intervals) {
    for (const { day, hours } of pieces(i, o.fromMs, o.toMs, g.has('day'))) {
      if (hours <= 0) continue;
      const key: UsageRowKey = {
        vendor: g.has('vendor') ? i.vendor : undefined,
        site: g.has('site') ? i.site : undefined,
        model: g.has('model') ? i.model : undefined,
        pool: g.has('pool') ? i.pool : undefined,
        day,
        priorityClass: g.has('priorityClass') ? i.priorityClass : undefined,
        tenant: g.has('tenant') ? o.tenantOf(i.namespace) : undefined,
      };
      const id = JSON.stringify(key);
      const row = rows.get(id) ?? { key, ...zeroTotals() };
      addInterval(row, i, hours);
      rows.set(id, row);
    }
  }
  return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
}
