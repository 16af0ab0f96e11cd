import { Ledger } from './ledger';
import { MIGRATIONS, migrate } from './migrations';
import type { SqlClient, SqlExecutor } from './sql-client';
import type { Accounting, LedgerInterval } from './types';

/**
 * The ledger's behaviour, one body for every backend: ledger.pglite.spec.ts runs it on PGlite in
 * memory, ledger.postgres.spec.ts on a throwaway PostgreSQL server; they start and stop the
 * backend around it. (Not a spec itself: excluded from the build, run through those two.)
 */
export interface LedgerBackend {
  /** An empty database for one test; each connect() is a client on it. */
  fresh(): Promise<{ connect(): Promise<SqlClient> }>;
  /**
   * PostgreSQL: every connect() is an independent pool (another controller replica). PGlite: all
   * share the one connection of the embedded database.
   */
  separateConnections: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2026-01-31T20:00Z: four hours before a month boundary. */
const T0 = Date.UTC(2026, 0, 31, 20);
const FEB = Date.UTC(2026, 1, 1);
const RATES = { eurPerHour: 24, kWhPerHour: 5.12, co2eKgPerHour: 0.6144 };

/** An admission of 8 H100s for tenant acme at T0; fields overridable. */
function accounting(o: Partial<Accounting> = {}): Accounting {
  return {
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
    untilMs: T0,
    rates: RATES,
    ...o,
  };
}

/** Equal up to rounding: sums in another order differ in the last bits. */
const expectNear = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));

/** The intervals tile [fromMs, toMs) exactly (no gap, no overlap) and each is priced at rate × its hours. */
function expectTiling(intervals: LedgerInterval[], fromMs: number, toMs: number, rates = RATES): void {
  expect(intervals.length).toBeGreaterThan(0);
  expect(intervals[0]!.startMs).toBe(fromMs);
  intervals.forEach((i, n) => {
    if (n > 0) expect(i.startMs).toBe(intervals[n - 1]!.endMs);
    expectNear(i.costEUR, (rates.eurPerHour * (i.endMs - i.startMs)) / HOUR);
  });
  expect(intervals.at(-1)!.endMs).toBe(toMs);
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A client whose transactions run `before` ahead of each of their statements: a hook that throws
 * kills the transaction there, as a process killed at that point would.
 */
class Intercepted implements SqlClient {
  constructor(
    private readonly db: SqlClient,
    private readonly before: (sql: string, tx: SqlExecutor) => Promise<void>,
  ) {}
  query<T extends object>(sql: string, params?: readonly unknown[]) {
    return this.db.query<T>(sql, params);
  }
  exec(sql: string) {
    return this.db.exec(sql);
  }
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      fn({
        query: async <R extends object>(sql: string, params?: readonly unknown[]) => {
          await this.before(sql, tx);
          return tx.query<R>(sql, params);
        },
        exec: (sql) => tx.exec(sql),
      }),
    );
  }
  close() {
    return this.db.close();
  }
}

export function describeLedgerContract(name: string, backend: LedgerBackend): void {
  describe(`ledger on ${name}`, () => {
    const h = harness(backend);
    describe('migrations', () => migrationCases(h));
    describe('account', () => {
      accountingCases(h);
      meteredCases(h);
      failureCases(h);
    });
    describe('records and reports', () => {
      recordCases(h);
      usageCases(h);
    });
  });
}

interface Harness {
  /** A client on this test's database (migrated unless told otherwise), closed after the test. */
  client(o?: { migrated?: boolean }): Promise<SqlClient>;
  ledger(): Promise<Ledger>;
  /** Starts over on another empty database, within one test. */
  refresh(): Promise<void>;
  separateConnections: boolean;
}

/** A fresh database before each test; the clients a test opened are closed after it. */
function harness(backend: LedgerBackend): Harness {
  let open: SqlClient[] = [];
  let database: { connect(): Promise<SqlClient> };
  const refresh = async () => {
    database = await backend.fresh();
  };
  beforeEach(refresh, 30_000);
  afterEach(async () => {
    await Promise.all(open.map((db) => db.close()));
    open = [];
  });
  const client = async (o: { migrated?: boolean } = {}) => {
    const db = await database.connect();
    open.push(db);
    if (o.migrated ?? true) await migrate(db);
    return db;
  };
  return {
    client,
    ledger: async () => new Ledger({ db: await client() }),
    refresh,
    separateConnections: backend.separateConnections,
  };
}

function migrationCases(h: Harness): void {
  it('apply on an empty database, then again as a no-op', async () => {
    const db = await h.client({ migrated: false });
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ name: string }>('SELECT name FROM ledger_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    expect((await db.query('SELECT * FROM usage_interval')).rows).toEqual([]);
  });

  it('four clients migrating at once apply each migration exactly once', async () => {
    for (let round = 0; round < 3; round++) {
      if (round > 0) await h.refresh();
      const dbs = await Promise.all([1, 2, 3, 4].map(() => h.client({ migrated: false })));
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
      const { rows } = await dbs[0]!.query('SELECT name FROM ledger_migrations');
      expect(rows).toHaveLength(MIGRATIONS.length);
    }
  });
}

/** Usage metered from the pods' runs (the controller's default). */
function meteredCases(h: Harness): void {
  it("metered: intervals still tile the admission, and count only the pods' device-time in each", async () => {
    const l = await h.ledger();
    // Pod 1 (4 devices) ran 0–40 min; pod 2 (4 devices) started at 5 min and ran to the end (60 min).
    const p1 = { devices: 4, startMs: T0, endMs: T0 + 40 * MIN };
    const running2 = { devices: 4, startMs: T0 + 5 * MIN };
    await l.account(accounting({ untilMs: T0 + 20 * MIN, runs: [{ devices: 4, startMs: T0 }, running2] }));
    await l.account(
      accounting({ untilMs: T0 + 60 * MIN, runs: [p1, { ...running2, endMs: T0 + 60 * MIN }] }),
    );
    const intervals = await l.intervalsOf('uid-a');
    expect(intervals.map((i) => [i.startMs - T0, i.endMs - T0])).toEqual([
      [0, 20 * MIN],
      [20 * MIN, 60 * MIN],
    ]);
    expectNear(intervals[0]!.deviceHours, (4 * 20 + 4 * 15) / 60);
    expectNear(intervals[1]!.deviceHours, (4 * 20 + 4 * 40) / 60);
    const total = await l.usageOf('uid-a');
    const deviceHours = (4 * 40 + 4 * 55) / 60;
    expectNear(total.deviceHours, deviceHours);
    expectNear(total.costEUR, (24 * deviceHours) / 8);
    expectNear(total.energyKWh, (5.12 * deviceHours) / 8);
  });

  it('records where the energy came from: measured, or catalog by default', async () => {
    const l = await h.ledger();
    await l.account(accounting({ untilMs: T0 + MIN }));
    await l.account(accounting({ untilMs: T0 + 2 * MIN, energySource: 'measured' }));
    expect((await l.intervalsOf('uid-a')).map((i) => i.energySource)).toEqual(['catalog', 'measured']);
    await expect(
      l.account(accounting({ untilMs: T0 + 3 * MIN, energySource: 'guessed' as never })),
    ).rejects.toThrow(/energySource guessed is not measured or catalog/);
  });

  it('refuses a run with more devices than the admission, or ending before it starts', async () => {
    const l = await h.ledger();
    await expect(
      l.account(accounting({ untilMs: T0 + MIN, runs: [{ devices: 9, startMs: T0 }] })),
    ).rejects.toThrow(/runs\[0\] devices 9 is not an integer between 0 and the admission's 8/);
    await expect(
      l.account(accounting({ untilMs: T0 + MIN, runs: [{ devices: 1, startMs: T0 + MIN, endMs: T0 }] })),
    ).rejects.toThrow(/runs\[0\] endMs .* is before startMs/);
    expect(await l.intervalsOf('uid-a')).toEqual([]);
  });
}

function accountingCases(h: Harness): void {
  it('accounts a running workload periodically: contiguous intervals summing to rate × time', async () => {
    const l = await h.ledger();
    const untils = [5 * MIN, 10 * MIN, 17.5 * MIN, 60 * MIN].map((d) => T0 + d);
    const written = [];
    for (const untilMs of untils) written.push((await l.account(accounting({ untilMs }))).written);
    expect(written.map((w) => w.map((i) => [i.startMs - T0, i.endMs - T0]))).toEqual([
      [[0, 5 * MIN]],
      [[5 * MIN, 10 * MIN]],
      [[10 * MIN, 17.5 * MIN]],
      [[17.5 * MIN, 60 * MIN]],
    ]);
    expectTiling(await l.intervalsOf('uid-a'), T0, T0 + HOUR);
    const total = await l.usageOf('uid-a');
    expectNear(total.costEUR, 24);
    expectNear(total.deviceHours, 8);
    expectNear(total.computeUnitHours, 7.92);
    expectNear(total.energyKWh, 5.12);
    expectNear(total.co2eKg, 0.6144);
  });

  it('a retried call with the same until adds nothing', async () => {
    const l = await h.ledger();
    await l.account(accounting({ untilMs: T0 + 30 * MIN }));
    const retry = await l.account(accounting({ untilMs: T0 + 30 * MIN }));
    expect(retry).toEqual({ written: [], accountedUntilMs: T0 + 30 * MIN });
    expect(await l.intervalsOf('uid-a')).toHaveLength(1);
    expectNear((await l.usageOf('uid-a')).costEUR, 12);
  });

  it('an until before the cursor, or before the admission, is a no-op', async () => {
    const l = await h.ledger();
    expect(await l.account(accounting({ uid: 'early', untilMs: T0 - HOUR }))).toEqual({
      written: [],
      accountedUntilMs: T0,
    });
    expect(await l.intervalsOf('early')).toEqual([]);
    await l.account(accounting({ untilMs: T0 + HOUR }));
    expect((await l.account(accounting({ untilMs: T0 + 20 * MIN }))).written).toEqual([]);
    expectTiling(await l.intervalsOf('uid-a'), T0, T0 + HOUR);
  });

  it('a new attempt (after preemption) gets its own cursor', async () => {
    const l = await h.ledger();
    await l.account(accounting({ untilMs: T0 + HOUR }));
    const second = {
      attempt: 2,
      admittedAtMs: T0 + 2 * HOUR,
      devices: 4,
      rates: { ...RATES, eurPerHour: 12 },
    };
    const r = await l.account(accounting({ ...second, untilMs: T0 + 3 * HOUR }));
    expect(r.written.map((i) => [i.attempt, i.startMs, i.endMs])).toEqual([
      [2, T0 + 2 * HOUR, T0 + 3 * HOUR],
    ]);
    // A late tick for the first attempt, after its end, adds nothing.
    expect((await l.account(accounting({ untilMs: T0 + HOUR }))).written).toEqual([]);
    const intervals = await l.intervalsOf('uid-a');
    expect(intervals.map((i) => [i.attempt, i.startMs, i.endMs])).toEqual([
      [1, T0, T0 + HOUR],
      [2, T0 + 2 * HOUR, T0 + 3 * HOUR],
    ]);
    const total = await l.usageOf('uid-a');
    expectNear(total.costEUR, 24 + 12);
    expectNear(total.deviceHours, 8 + 4);
  });
}

/** Writers that race, die or pass bad figures. */
function failureCases(h: Harness): void {
  it('replicas accounting the same workload at once never overlap and never leave a gap', async () => {
    const replicas = [await h.ledger(), await h.ledger()];
    for (let round = 0; round < 3; round++) {
      const uid = `race-${round}`;
      const untils = shuffled(
        Array.from({ length: 24 }, (_, i) => T0 + (i + 1) * 7 * MIN),
        round + 1,
      );
      const results = await Promise.all(
        untils.map((untilMs, i) => replicas[i % 2]!.account(accounting({ uid, untilMs }))),
      );
      const last = Math.max(...untils);
      expect(Math.max(...results.map((r) => r.accountedUntilMs))).toBe(last);
      expectTiling(await replicas[0]!.intervalsOf(uid), T0, last);
      expectNear((await replicas[1]!.usageOf(uid)).costEUR, (24 * (last - T0)) / HOUR);
    }
  });

  it('a writer killed before commit leaves the cursor: the next call re-accounts from it', async () => {
    const db = await h.client();
    const l = new Ledger({ db });
    await l.account(accounting({ untilMs: T0 + 10 * MIN }));
    // Killed after writing its interval, before moving the cursor and committing.
    const killed = new Ledger({
      db: new Intercepted(db, (sql) =>
        sql.startsWith('UPDATE usage_cursor') ? Promise.reject(new Error('killed')) : Promise.resolve(),
      ),
    });
    await expect(killed.account(accounting({ untilMs: T0 + 40 * MIN }))).rejects.toThrow('killed');
    expectTiling(await l.intervalsOf('uid-a'), T0, T0 + 10 * MIN);
    await l.account(accounting({ untilMs: T0 + HOUR }));
    expectTiling(await l.intervalsOf('uid-a'), T0, T0 + HOUR);
    expectNear((await l.usageOf('uid-a')).costEUR, 24);
  });

  it('refuses figures that would write a wrong row', async () => {
    const l = await h.ledger();
    await expect(l.account(accounting({ devices: 1.5, untilMs: T0 + HOUR }))).rejects.toThrow(RangeError);
    await expect(
      l.account(accounting({ rates: { ...RATES, eurPerHour: NaN }, untilMs: T0 + HOUR })),
    ).rejects.toThrow(/eurPerHour/);
    expect(await l.intervalsOf('uid-a')).toEqual([]);
  });

  if (h.separateConnections)
    it('a replica whose session dies holding the cursor lock: the other goes on from the old cursor', async () => {
      await sessionDiesHoldingTheLock({ a: await h.client(), b: await h.client(), admin: await h.client() });
    });
}

/**
 * acme: 8 H100 in dk-1 at 24 €/h, Jan 31 20:00 → Feb 1 02:00 (split at the month boundary).
 * beta: 4 MI300X in fi-1 at 10 €/h, Jan 31 23:00 → Feb 1 01:00.
 */
async function twoWorkloads(h: Harness): Promise<Ledger> {
  const l = await h.ledger();
  await l.account(accounting({ untilMs: FEB + 2 * HOUR }));
  const beta = {
    uid: 'uid-b',
    tenant: 'beta',
    namespace: 'beta-ai',
    name: 'serve',
    site: 'fi-1',
    pool: 'fi-1-amd-mi300x',
    vendor: 'amd',
    model: 'MI300X',
    tier: 'research',
    priorityClass: 'preemptible',
    devices: 4,
    computeUnits: 5.24,
    admittedAtMs: FEB - HOUR,
    rates: { eurPerHour: 10, kWhPerHour: 3, co2eKgPerHour: 0.09 },
  };
  await l.account(accounting({ ...beta, untilMs: FEB }));
  // Its second hour's energy comes from the exporters' measured power.
  await l.account(accounting({ ...beta, untilMs: FEB + HOUR, energySource: 'measured' }));
  return l;
}

// Window Jan 31 22:00 → Feb 1 01:00: acme 3 h (2 on Jan 31), beta 2 h (1 on each day).
const WINDOW = { fromMs: FEB - 2 * HOUR, toMs: FEB + HOUR };

function recordCases(h: Harness): void {
  it('records the attribution on every interval and splits at UTC month boundaries', async () => {
    const l = await h.ledger();
    const r = await l.account(accounting({ untilMs: FEB + 2 * HOUR }));
    expect(r.accountedUntilMs).toBe(FEB + 2 * HOUR);
    const intervals = await l.intervalsOf('uid-a');
    expect(intervals).toEqual(r.written.map((i) => expect.objectContaining(i) as unknown));
    expect(intervals.map((i) => [i.startMs, i.endMs])).toEqual([
      [T0, FEB],
      [FEB, FEB + 2 * HOUR],
    ]);
    expect(intervals[1]).toMatchObject({
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
    });
    expectNear(intervals[0]!.costEUR, 4 * 24);
    expectNear(intervals[1]!.deviceHours, 2 * 8);
  });

  it("monthSpentEUR: a tenant's cost in each UTC month, across a month boundary", async () => {
    const l = await twoWorkloads(h);
    expectNear(await l.monthSpentEUR('acme', Date.UTC(2026, 0, 15)), 4 * 24);
    expectNear(await l.monthSpentEUR('acme', FEB), 2 * 24);
    expectNear(await l.monthSpentEUR('beta', Date.UTC(2026, 1, 28, 23)), 10);
    expect(await l.monthSpentEUR('acme', Date.UTC(2025, 11, 31))).toBe(0);
    expect(await l.monthSpentEUR('nobody', FEB)).toBe(0);
  });

  it('transparency totals by vendor and by tier', async () => {
    const l = await twoWorkloads(h);
    const t = await l.totals({ fromMs: T0, toMs: FEB + 12 * HOUR });
    expectNear(t.all.costEUR, 6 * 24 + 2 * 10);
    expect(t.byVendor.map((r) => r.vendor)).toEqual(['amd', 'nvidia']);
    expect(t.byTier.map((r) => r.tier)).toEqual(['research', 'sme']);
    const [amd, nvidia] = t.byVendor;
    expectNear(amd!.deviceHours, 2 * 4);
    expectNear(nvidia!.energyKWh, 6 * 5.12);
    const [research, sme] = t.byTier;
    expectNear(research!.co2eKg, 2 * 0.09);
    expectNear(sme!.costEUR, 6 * 24);
  });
}

function usageCases(h: Harness): void {
  it('usage without dimensions: one row, intervals pro-rated to the window', async () => {
    const l = await twoWorkloads(h);
    const [row, ...rest] = await l.usage({ ...WINDOW, groupBy: [] });
    expect(rest).toEqual([]);
    expect(row!.key).toEqual({});
    expectNear(row!.costEUR, 3 * 24 + 2 * 10);
    expectNear(row!.deviceHours, 3 * 8 + 2 * 4);
    expectNear(row!.computeUnitHours, 3 * 7.92 + 2 * 5.24);
    expectNear(row!.energyKWh, 3 * 5.12 + 2 * 3);
    expectNear(row!.co2eKg, 3 * 0.6144 + 2 * 0.09);
    expectNear(row!.measuredEnergyKWh!, 3);
  });

  it("usage by vendor and UTC day, sorted like the gateway's rows", async () => {
    const l = await twoWorkloads(h);
    const rows = await l.usage({ ...WINDOW, groupBy: ['day', 'vendor'] });
    expect(rows.map((r) => [r.key, r.deviceHours, r.costEUR])).toEqual([
      [{ vendor: 'amd', day: '2026-01-31' }, 4, 10],
      [{ vendor: 'amd', day: '2026-02-01' }, 4, 10],
      [{ vendor: 'nvidia', day: '2026-01-31' }, 16, 48],
      [{ vendor: 'nvidia', day: '2026-02-01' }, 8, 24],
    ]);
  });

  it('usage by the other dimensions, and scoped to namespaces', async () => {
    const l = await twoWorkloads(h);
    const all = await l.usage({
      ...WINDOW,
      groupBy: ['tenant', 'priorityClass', 'site', 'model', 'pool'],
    });
    expect(all.map((r) => [r.key, r.deviceHours])).toEqual([
      [
        {
          site: 'dk-1',
          model: 'H100',
          pool: 'dk-1-nvidia-h100',
          priorityClass: 'standard',
          tenant: 'acme',
        },
        24,
      ],
      [
        {
          site: 'fi-1',
          model: 'MI300X',
          pool: 'fi-1-amd-mi300x',
          priorityClass: 'preemptible',
          tenant: 'beta',
        },
        8,
      ],
    ]);
    const beta = await l.usage({ ...WINDOW, namespaces: ['beta-ai'], groupBy: ['tenant'] });
    expect(beta.map((r) => [r.key, r.costEUR])).toEqual([[{ tenant: 'beta' }, 20]]);
    expect(await l.usage({ ...WINDOW, namespaces: [], groupBy: [] })).toEqual([]);
    expect(await l.usage({ fromMs: T0 - HOUR, toMs: T0, groupBy: ['vendor'] })).toEqual([]);
  });
}

/**
 * Replica A stops between writing its interval and committing (as a SIGKILLed process would); B
 * waits on the cursor's row lock; A's session is terminated by the server; B then accounts from
 * the cursor A never moved.
 */
async function sessionDiesHoldingTheLock(c: { a: SqlClient; b: SqlClient; admin: SqlClient }) {
  const b = new Ledger({ db: c.b });
  await b.account(accounting({ untilMs: T0 + 10 * MIN }));
  let pid = 0;
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const stuck = new Ledger({
    db: new Intercepted(c.a, async (sql, tx) => {
      if (!sql.startsWith('UPDATE usage_cursor')) return;
      pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      holding();
      await released;
    }),
  });
  const a = stuck.account(accounting({ untilMs: T0 + 50 * MIN }));
  await held;
  const waiting = b.account(accounting({ untilMs: T0 + 30 * MIN }));
  for (let i = 0; i < 100; i++) {
    const { rows } = await c.admin.query('SELECT 1 FROM pg_locks WHERE NOT granted');
    if (rows.length > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await c.admin.query('SELECT pg_terminate_backend($1)', [pid]);
  release();
  await expect(a).rejects.toThrow();
  expect((await waiting).written.map((i) => [i.startMs, i.endMs])).toEqual([[T0 + 10 * MIN, T0 + 30 * MIN]]);
  await b.account(accounting({ untilMs: T0 + HOUR }));
  expectTiling(await b.intervalsOf('uid-a'), T0, T0 + HOUR);
  expectNear((await b.usageOf('uid-a')).costEUR, 24);
}
