import { Ledger } from './ledger';
import { migrate } from './migrations';
import { PgliteClient } from './pglite-client';
import { PostgresClient } from './postgres-client';
import type { SqlClient } from './sql-client';

export interface OpenLedgerOptions {
  /** `postgres://…` or `postgresql://…`: PostgreSQL. Absent: PGlite (embedded). */
  url?: string;
  /** PGlite's data directory when no url is given; in memory when absent too. */
  dataDir?: string;
  /** PostgreSQL connection pool size. */
  maxConnections?: number;
}

/** The database the options name, not migrated. */
export async function connectLedgerDb(options: OpenLedgerOptions = {}): Promise<SqlClient> {
  const { url, dataDir } = options;
  if (url !== undefined && dataDir !== undefined)
    throw new Error('ledger: give either a PostgreSQL url or a PGlite dataDir, not both');
  if (url === undefined) return PgliteClient.create({ dataDir });
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new Error(
      `ledger: the url must start with postgres:// or postgresql:// (got ${url.split(':')[0]}:)`,
    );
  return new PostgresClient({ url, maxConnections: options.maxConnections });
}

/** Connects to the ledger's database and applies pending migrations; close the ledger to disconnect. */
export async function openLedger(options: OpenLedgerOptions = {}): Promise<Ledger> {
  const db = await connectLedgerDb(options);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return new Ledger({ db });
}
