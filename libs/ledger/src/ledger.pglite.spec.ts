import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLedgerContract } from './ledger.contract';
import { openLedger } from './open-ledger';
import { PgliteClient } from './pglite-client';
import type { SqlClient } from './sql-client';

/** One embedded database per file (starting PGlite takes seconds); each test empties its schema. */
let pglite: PgliteClient | undefined;

/** The file's client, which the tests' close() leaves open. */
function shared(db: SqlClient): SqlClient {
  return {
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction(fn),
    close: () => Promise.resolve(),
  };
}

beforeAll(async () => {
  pglite = await PgliteClient.create();
}, 60_000);
afterAll(() => pglite?.close());

describeLedgerContract('PGlite', {
  separateConnections: false,
  async fresh() {
    await pglite!.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    return { connect: () => Promise.resolve(shared(pglite!)) };
  },
});

describe('openLedger without a url', () => {
  const T0 = Date.UTC(2026, 0, 31, 20);
  const workload = {
    uid: 'uid-a',
    attempt: 1,
    tenant: 'acme',
    namespace: 'acme-ml',
    name: 'train',
    site: 'dk-1',
    pool: 'dk-1-nvidia-h100',
    vendor: 'nvidia',
    model: 'H100',
    tier: 'sme',
    priorityClass: 'standard',
    devices: 8,
    computeUnits: 7.92,
    admittedAtMs: T0,
    rates: { eurPerHour: 24, kWhPerHour: 5.12, co2eKgPerHour: 0.6144 },
  };

  it('keeps the ledger in a data directory across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kentaur-ledger-'));
    try {
      const first = await openLedger({ dataDir });
      await first.account({ ...workload, untilMs: T0 + 3_600_000 });
      await first.close();
      const second = await openLedger({ dataDir });
      expect((await second.account({ ...workload, untilMs: T0 + 3_600_000 })).written).toEqual([]);
      expect((await second.usageOf('uid-a')).costEUR).toBeCloseTo(24, 9);
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a url that is not PostgreSQL, and a url with a dataDir', async () => {
    await expect(openLedger({ url: 'mysql://x' })).rejects.toThrow(/postgres:\/\//);
    await expect(openLedger({ url: 'postgres://x', dataDir: '/tmp/x' })).rejects.toThrow(/not both/);
  });
});
