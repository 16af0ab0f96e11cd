export {
  intervalFigures,
  runDeviceHours,
  splitAtMonths,
  utcMonth,
  type DeviceRun,
  type IntervalFiguresInput,
  type UsageRates,
  type UsageTotals,
} from './figures';
export { Ledger, type LedgerOptions } from './ledger';
export { MIGRATIONS, migrate, type Migration } from './migrations';
export { connectLedgerDb, openLedger, type OpenLedgerOptions } from './open-ledger';
export { PgliteClient, type PgliteClientOptions } from './pglite-client';
export { PostgresClient, type PostgresClientOptions } from './postgres-client';
export type { SqlClient, SqlExecutor } from './sql-client';
export type * from './types';
