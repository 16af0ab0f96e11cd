import { Module } from 'node:module';
import type * as pglite from '@electric-sql/pglite';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor } from './sql-client';

type PgliteModule = typeof pglite;

/**
 * PGlite, loaded by Node's own CommonJS loader. Its CommonJS build loads Node's built-in modules
 * and its WebAssembly with import(), which Jest's module sandbox cannot run without
 * --experimental-vm-modules; swc cannot compile that away either (Jest transforms .js and .ts,
 * PGlite's file is .cjs), and Jest routes `createRequire` and `process.getBuiltinModule` back into
 * its sandbox. `Module._load` of the resolved file is what `require` does outside Jest (the same
 * module instance); inside Jest it loads PGlite natively, so every test that opens a PGlite ledger
 * works without a per-file workaround (ADR 8).
 */
function pgliteModule(): PgliteModule {
  const loader = Module as unknown as { _load(request: string, parent: null, isMain: boolean): unknown };
  return loader._load(require.resolve('@electric-sql/pglite'), null, false) as PgliteModule;
}

export interface PgliteClientOptions {
  /** A directory that keeps the database between runs; in memory when absent. */
  dataDir?: string;
}

/**
 * PGlite: PostgreSQL compiled to WebAssembly, in this process, on ONE connection. Every query and
 * transaction goes through a promise queue, so a transaction never sees another caller's statements
 * between its own. One process only: two processes must not open the same data directory (use
 * PostgreSQL for several controller replicas).
 */
export class PgliteClient implements SqlClient {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: PGlite) {}

  static async create(options: PgliteClientOptions = {}): Promise<PgliteClient> {
    const { PGlite } = pgliteModule();
    return new PgliteClient(await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {}));
  }

  query<T extends object = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: T[] }> {
    return this.serial(() => this.db.query<T>(sql, [...params]));
  }

  exec(sql: string): Promise<void> {
    return this.serial(async () => {
      await this.db.exec(sql);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serial(() => this.db.transaction((tx) => fn(executorOf(tx))));
  }

  async close(): Promise<void> {
    await this.serial(() => this.db.close());
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function executorOf(tx: Transaction): SqlExecutor {
  return {
    query: <T extends object>(sql: string, params: readonly unknown[] = []) => tx.query<T>(sql, [...params]),
    exec: async (sql: string) => {
      await tx.exec(sql);
    },
  };
}
