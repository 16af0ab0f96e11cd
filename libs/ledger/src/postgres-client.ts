import { Pool, type PoolClient } from 'pg';
import type { SqlClient, SqlExecutor } from './sql-client';

export interface PostgresClientOptions {
  /** `postgres://user:password@host:port/database` (libpq connection URI). */
  url: string;
  /** Connections in the pool; default 4 (the controller writes from one loop). */
  maxConnections?: number;
  /** Errors of idle connections (the server restarted): the pool drops the connection and reconnects. */
  onIdleError?: (err: Error) => void;
}

/** PostgreSQL through a `pg` connection pool; each transaction holds one connection from BEGIN to COMMIT. */
export class PostgresClient implements SqlClient {
  private readonly pool: Pool;

  constructor(options: PostgresClientOptions) {
    this.pool = new Pool({ connectionString: options.url, max: options.maxConnections ?? 4 });
    // Without a listener an idle connection's error (server restart) would crash the process.
    this.pool.on('error', (err) => options.onIdleError?.(err));
  }

  async query<T extends object = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: T[] }> {
    const r = await this.pool.query<T>(sql, [...params]);
    return { rows: r.rows };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const conn = await this.pool.connect();
    // A checked-out connection reports its loss (server restart, session terminated) as an 'error'
    // event as well as through the pending query; without a listener the event would crash the process.
    const lost = () => undefined;
    conn.on('error', lost);
    try {
      await conn.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await fn(executorOf(conn));
      await conn.query('COMMIT');
      conn.off('error', lost);
      conn.release();
      return result;
    } catch (err) {
      // A connection whose ROLLBACK fails is broken: destroy it instead of returning it to the pool.
      await conn.query('ROLLBACK').then(
        () => conn.release(),
        (rollbackErr: Error) => conn.release(rollbackErr),
      );
      conn.off('error', lost);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function executorOf(conn: PoolClient): SqlExecutor {
  return {
    query: async <T extends object>(sql: string, params: readonly unknown[] = []) => {
      const r = await conn.query<T>(sql, [...params]);
      return { rows: r.rows };
    },
    exec: async (sql: string) => {
      await conn.query(sql);
    },
  };
}
