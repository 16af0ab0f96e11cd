import type { EpochMs } from '@kentaur/core';
import { intervalFigures, splitAtMonths, utcMonth, type DeviceRun, type UsageTotals } from './figures';
import type { SqlClient, SqlExecutor } from './sql-client';
import type {
  Accounting,
  AccountResult,
  LedgerInterval,
  TransparencyTotals,
  UsageQuery,
  UsageRow,
  UsageRowKey,
} from './types';
import {
  aggregateSql,
  orderedDimensions,
  totalsOf,
  type AggregateQuery,
  type AggregateRow,
} from './usage-query';

const iso = (ms: EpochMs) => new Date(ms).toISOString();
const epochMs = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

const CREATE_CURSOR = `INSERT INTO usage_cursor (workload_uid, attempt, accounted_until)
  VALUES ($1, $2, $3::timestamptz) ON CONFLICT DO NOTHING`;
const LOCK_CURSOR = `SELECT ${epochMs('accounted_until')} AS "ms" FROM usage_cursor
  WHERE workload_uid = $1 AND attempt = $2 FOR UPDATE`;
const ADVANCE_CURSOR = `UPDATE usage_cursor SET accounted_until = $3::timestamptz
  WHERE workload_uid = $1 AND attempt = $2`;
const INSERT_INTERVAL = `INSERT INTO usage_interval (
  workload_uid, attempt, start_at, end_at, tenant, namespace, workload, site, pool, vendor, model, tier,
  priority_class, devices, compute_units, device_hours, cu_hours, energy_kwh, co2e_kg, cost_eur, energy_source
) VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
  $17, $18, $19, $20, $21)`;
const SELECT_INTERVALS = `SELECT workload_uid AS "uid", attempt, ${epochMs('start_at')} AS "startMs",
  ${epochMs('end_at')} AS "endMs", tenant, namespace, workload AS "name", site, pool, vendor, model, tier,
  priority_class AS "priorityClass", devices, compute_units AS "computeUnits", device_hours AS "deviceHours",
  cu_hours AS "computeUnitHours", energy_kwh AS "energyKWh", co2e_kg AS "co2eKg", cost_eur AS "costEUR",
  energy_source AS "energySource"
  FROM usage_interval WHERE workload_uid = $1 ORDER BY attempt, start_at`;
const SUM_OF_WORKLOAD = `SELECT sum(device_hours)::float8 AS "deviceHours", sum(cu_hours)::float8 AS "computeUnitHours",
  sum(energy_kwh)::float8 AS "energyKWh", sum(co2e_kg)::float8 AS "co2eKg", sum(cost_eur)::float8 AS "costEUR"
  FROM usage_interval WHERE workload_uid = $1`;

export interface LedgerOptions {
  /** A migrated database (`openLedger` connects and migrates). The ledger closes it on close(). */
  db: SqlClient;
}

/**
 * The usage ledger. Writes are exactly-once per admission through a cursor read under a row lock
 * (docs/adr/0008-ledger-exactly-once.md); reads aggregate in SQL, pro-rating intervals at the edges
 * of the window asked for.
 */
export class Ledger {
  private readonly db: SqlClient;

  constructor(options: LedgerOptions) {
    this.db = options.db;
  }

  /**
   * Accounts the admission up to `untilMs`, in one transaction: the interval written, if any, starts
   * exactly where the admission's cursor stood (its admittedAtMs the first time) and the cursor moves
   * to `untilMs`. A call with `untilMs` not past the cursor writes nothing, so retries, restarts and
   * concurrent replicas neither count time twice nor leave a gap.
   */
  async account(a: Accounting): Promise<AccountResult> {
    assertAccounting(a);
    return this.db.transaction(async (tx) => {
      await tx.query(CREATE_CURSOR, [a.uid, a.attempt, iso(a.admittedAtMs)]);
      const { rows } = await tx.query<{ ms: number }>(LOCK_CURSOR, [a.uid, a.attempt]);
      const cursorMs = Number(rows[0]!.ms);
      if (!(a.untilMs > cursorMs)) return { written: [], accountedUntilMs: cursorMs };
      const written = splitAtMonths(cursorMs, a.untilMs).map((p) => intervalOf(a, p));
      for (const i of written) await insertInterval(tx, i);
      await tx.query(ADVANCE_CURSOR, [a.uid, a.attempt, iso(a.untilMs)]);
      return { written, accountedUntilMs: a.untilMs };
    });
  }

  /** The tenant's cost in the UTC month that contains `monthMs` (intervals are split at month boundaries). */
  async monthSpentEUR(tenant: string, monthMs: EpochMs): Promise<number> {
    const m = utcMonth(monthMs);
    const [row] = await this.aggregate({ fromMs: m.startMs, toMs: m.endMs, dimensions: [], tenant });
    return row?.costEUR ?? 0;
  }

  /** Usage inside [fromMs, toMs), one row per distinct key of `groupBy`, sorted like the gateway's rows. */
  async usage(q: UsageQuery): Promise<UsageRow[]> {
    const dims = orderedDimensions(q.groupBy);
    const rows = (await this.aggregate({ ...q, dimensions: dims })).map((r) => {
      const key: UsageRowKey = {};
      for (const d of dims) key[d as keyof UsageRowKey] = r[d];
      return { key, ...totalsOf(r), measuredEnergyKWh: Number(r.measuredEnergyKWh ?? 0) };
    });
    return sortedBy(rows, (r) => JSON.stringify(r.key));
  }

  /** Transparency: device-hours, energy, CO2e and cost in [fromMs, toMs), by vendor and by tenant tier. */
  async totals(q: { fromMs: EpochMs; toMs: EpochMs }): Promise<TransparencyTotals> {
    const [all, byVendor, byTier] = await Promise.all([
      this.aggregate({ ...q, dimensions: [] }),
      this.aggregate({ ...q, dimensions: ['vendor'] }),
      this.aggregate({ ...q, dimensions: ['tier'] }),
    ]);
    return {
      all: totalsOf(all[0] ?? {}),
      byVendor: sortedBy(
        byVendor.map((r) => ({ vendor: r.vendor!, ...totalsOf(r) })),
        (r) => r.vendor,
      ),
      byTier: sortedBy(
        byTier.map((r) => ({ tier: r.tier!, ...totalsOf(r) })),
        (r) => r.tier,
      ),
    };
  }

  /** Everything accounted for one workload, all attempts (the controller's status.usage). */
  async usageOf(uid: string): Promise<UsageTotals> {
    const { rows } = await this.db.query<Partial<UsageTotals>>(SUM_OF_WORKLOAD, [uid]);
    return totalsOf(rows[0] ?? {});
  }

  /** The workload's intervals by attempt and start (audits and tests). */
  async intervalsOf(uid: string): Promise<LedgerInterval[]> {
    const { rows } = await this.db.query<LedgerInterval>(SELECT_INTERVALS, [uid]);
    return rows.map((r) => ({ ...r, startMs: Number(r.startMs), endMs: Number(r.endMs) }));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async aggregate(q: AggregateQuery): Promise<AggregateRow[]> {
    const { sql, params } = aggregateSql(q);
    return (await this.db.query<AggregateRow>(sql, params)).rows;
  }
}

/** Sorted by a string key in the locale's order (the gateway sorts its rows the same way). */
function sortedBy<T>(xs: T[], key: (x: T) => string): T[] {
  return xs
    .map((x) => ({ k: key(x), x }))
    .sort((a, b) => a.k.localeCompare(b.k))
    .map(({ x }) => x);
}

function intervalOf(a: Accounting, p: { startMs: EpochMs; endMs: EpochMs }): LedgerInterval {
  const { admittedAtMs: _admitted, untilMs: _until, rates, runs, energySource, ...attribution } = a;
  return {
    ...attribution,
    energySource: energySource ?? 'catalog',
    ...p,
    ...intervalFigures({ rates, devices: a.devices, computeUnits: a.computeUnits, runs, ...p }),
  };
}

async function insertInterval(tx: SqlExecutor, i: LedgerInterval): Promise<void> {
  await tx.query(INSERT_INTERVAL, [
    i.uid,
    i.attempt,
    iso(i.startMs),
    iso(i.endMs),
    i.tenant,
    i.namespace,
    i.name,
    i.site,
    i.pool,
    i.vendor,
    i.model,
    i.tier,
    i.priorityClass,
    i.devices,
    i.computeUnits,
    i.deviceHours,
    i.computeUnitHours,
    i.energyKWh,
    i.co2eKg,
    i.costEUR,
    i.energySource,
  ]);
}

const nonNegative = (x: number) => Number.isFinite(x) && x >= 0;

/** What is wrong with a pod's run, if anything: its devices fit the admission, it ends after it starts. */
function runProblem(r: DeviceRun, admitted: number): string | undefined {
  if (!(Number.isInteger(r.devices) && r.devices >= 0 && r.devices <= admitted))
    return `devices ${r.devices} is not an integer between 0 and the admission's ${admitted}`;
  if (!Number.isFinite(r.startMs)) return `startMs ${r.startMs} is not a time`;
  if (r.endMs !== undefined && !(r.endMs >= r.startMs))
    return `endMs ${r.endMs} is before startMs ${r.startMs}`;
  return undefined;
}

/** Refuses what would write a wrong row: the ledger is append-only, a bad figure stays. */
function assertAccounting(a: Accounting): void {
  const problems = [
    !a.uid && 'uid is empty',
    !(Number.isInteger(a.attempt) && a.attempt >= 0) && `attempt ${a.attempt} is not a non-negative integer`,
    !(Number.isInteger(a.devices) && a.devices >= 0) && `devices ${a.devices} is not a non-negative integer`,
    !nonNegative(a.computeUnits) && `computeUnits ${a.computeUnits} is not a non-negative number`,
    !Number.isFinite(a.admittedAtMs) && `admittedAtMs ${a.admittedAtMs} is not a time`,
    !Number.isFinite(a.untilMs) && `untilMs ${a.untilMs} is not a time`,
    a.energySource !== undefined &&
      !['measured', 'catalog'].includes(a.energySource) &&
      `energySource ${String(a.energySource)} is not measured or catalog`,
    ...(['eurPerHour', 'kWhPerHour', 'co2eKgPerHour'] as const).map(
      (r) => !nonNegative(a.rates[r]) && `rates.${r} ${a.rates[r]} is not a non-negative number`,
    ),
    ...(a.runs ?? []).map((r, i) => runProblem(r, a.devices) && `runs[${i}] ${runProblem(r, a.devices)}`),
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new RangeError(`ledger: cannot account ${a.uid}: ${problems.join('; ')}`);
}
