import type { SqlClient, SqlExecutor } from './sql-client';

/**
 * The ledger's schema, one migration per entry, applied in order at start-up by `migrate`. The SQL
 * lives here as strings (not .sql files) so `tsc -b` ships it in dist/ with no copy step. A
 * migration, once released, is never edited: a change is a new entry.
 */
export interface Migration {
  /** `NNN-name`; the order of application and the key in `ledger_migrations`. */
  readonly name: string;
  readonly sql: string;
}

const USAGE_TABLES = `
-- How far each admission (workload uid + attempt) has been accounted. Read under a row lock by
-- every writer: an interval always starts where the previous one ended (ADR 8).
CREATE TABLE usage_cursor (
  workload_uid    text        NOT NULL,
  attempt         integer     NOT NULL,
  accounted_until timestamptz NOT NULL,
  PRIMARY KEY (workload_uid, attempt)
);

-- Accounted usage, append-only: [start_at, end_at) of one admission with its attribution and
-- figures. Intervals never cross a UTC month boundary (they are split when written).
CREATE TABLE usage_interval (
  workload_uid   text             NOT NULL,
  attempt        integer          NOT NULL,
  start_at       timestamptz      NOT NULL,
  end_at         timestamptz      NOT NULL,
  tenant         text             NOT NULL,
  namespace      text             NOT NULL,
  workload       text             NOT NULL,
  site           text             NOT NULL,
  pool           text             NOT NULL,
  vendor         text             NOT NULL,
  model          text             NOT NULL,
  tier           text             NOT NULL,
  priority_class text             NOT NULL,
  devices        integer          NOT NULL CHECK (devices >= 0),
  compute_units  double precision NOT NULL CHECK (compute_units >= 0),
  device_hours   double precision NOT NULL,
  cu_hours       double precision NOT NULL,
  energy_kwh     double precision NOT NULL,
  co2e_kg        double precision NOT NULL,
  cost_eur       double precision NOT NULL,
  PRIMARY KEY (workload_uid, attempt, start_at),
  CHECK (end_at > start_at)
);

-- Window queries select intervals with end_at > from AND start_at < to.
CREATE INDEX usage_interval_end_at ON usage_interval (end_at);
CREATE INDEX usage_interval_tenant_end_at ON usage_interval (tenant, end_at);
`;

const ENERGY_SOURCE = `
-- Where each interval's energy comes from: the vendors' exporters (measured) or the pool's catalog
-- power × the utilisation factor. Rows written before this column existed used the catalog.
ALTER TABLE usage_interval
  ADD COLUMN energy_source text NOT NULL DEFAULT 'catalog'
  CHECK (energy_source IN ('measured', 'catalog'));
`;

export const MIGRATIONS: readonly Migration[] = [
  { name: '001-usage-intervals', sql: USAGE_TABLES },
  { name: '002-energy-source', sql: ENERGY_SOURCE },
];

/** Any constant: every Kentaur process applying ledger migrations takes this advisory lock. */
const MIGRATION_LOCK = 0x6b656e74; // 'kent'

/**
 * Applies the migrations not yet recorded in `ledger_migrations`, each in its own transaction that
 * first takes a transaction-level advisory lock: two processes starting at once apply each
 * migration exactly once (the second waits, then finds it recorded). Returns the names applied.
 */
export async function migrate(
  db: SqlClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const applied: string[] = [];
  for (const m of migrations) {
    if (await db.transaction((tx) => applyOnce(tx, m))) applied.push(m.name);
  }
  return applied;
}

async function applyOnce(tx: SqlExecutor, m: Migration): Promise<boolean> {
  // The lock comes before CREATE TABLE IF NOT EXISTS, which is not safe against itself concurrently.
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await tx.exec(
    `CREATE TABLE IF NOT EXISTS ledger_migrations (
       name       text        PRIMARY KEY,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const done = await tx.query('SELECT 1 FROM ledger_migrations WHERE name = $1', [m.name]);
  if (done.rows.length > 0) return false;
  await tx.exec(m.sql);
  await tx.query('INSERT INTO ledger_migrations (name) VALUES ($1)', [m.name]);
  return true;
}
