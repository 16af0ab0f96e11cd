import { startPostgres, type PostgresServer } from '../../../tests/support/postgres';
import { describeLedgerContract } from './ledger.contract';
import { openLedger } from './open-ledger';
import { PostgresClient } from './postgres-client';

/**
 * The ledger's contract on a real PostgreSQL server, started for this file from Debian's
 * `postgresql` package. Without the binaries these tests FAIL, saying to run
 * deploy/postgres/install.sh: a backend silently skipped would be an untracked gap.
 */
let server: PostgresServer | undefined;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(() => server?.stop(), 60_000);

describeLedgerContract('PostgreSQL', {
  separateConnections: true,
  async fresh() {
    const url = await server!.createDatabase();
    return { connect: () => Promise.resolve(new PostgresClient({ url })) };
  },
});

describe('openLedger with a postgres:// url', () => {
  it('connects and migrates', async () => {
    const ledger = await openLedger({ url: await server!.createDatabase() });
    try {
      expect(await ledger.usageOf('none')).toEqual({
        deviceHours: 0,
        computeUnitHours: 0,
        energyKWh: 0,
        co2eKg: 0,
        costEUR: 0,
      });
    } finally {
      await ledger.close();
    }
  });
});
