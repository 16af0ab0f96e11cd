/**
 * The two operations the ledger needs from a database, so the same SQL runs on PostgreSQL (`pg`) and
 * on PGlite (embedded Postgres). Parameters are positional (`$1`); timestamps are passed as ISO
 * strings and cast in SQL, so neither driver's Date conversion (local time zone) is involved.
 */
export interface SqlExecutor {
  query<T extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[] }>;
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  /**
   * Runs `fn` in one transaction at READ COMMITTED: committed when it resolves, rolled back when it
   * throws (the error is rethrown). Use only `tx` inside `fn`; the client itself may be waiting for
   * this very transaction to end (PGlite has a single connection).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
