import {
  aPool,
  aRunning,
  aSnapshot,
  aTenant,
  aWorkload,
  admissionOf,
  runCycle,
  waitingOf,
  type SnapshotBuilder,
} from './testing';

const fleet = () => aSnapshot().pools(aPool('p').nodes(10, 8));
const HOUR = 3600;

describe('quota and borrowing', () => {
  const admitted: [
    string,
    SnapshotBuilder,
    { pool?: string; computeUnits: number; borrowedCU: number; borrowed: boolean },
  ][] = [
    [
      'within the guarantee: nothing borrowed',
      fleet().tenants(aTenant('t').quota(10, 40)).pending(aWorkload('t/w').gang(1, 8)),
      { computeUnits: 8, borrowedCU: 0, borrowed: false },
    ],
    [
      'crossing the guarantee: the part above it is borrowed',
      fleet()
        .tenants(aTenant('t').quota(10, 40))
        .running(aRunning('t/r').pool('p').on('p-0', 8))
        .pending(aWorkload('t/w').gang(1, 4)),
      { computeUnits: 4, borrowedCU: 2, borrowed: true },
    ],
    [
      'above the guarantee: all of it is borrowed',
      fleet()
        .tenants(aTenant('t').quota(4, 40))
        .running(aRunning('t/r').pool('p').on('p-0', 8))
        .pending(aWorkload('t/w').gang(1, 4)),
      { computeUnits: 4, borrowedCU: 4, borrowed: true },
    ],
    [
      'exactly up to the limit is allowed',
      fleet()
        .tenants(aTenant('t').quota(0, 16))
        .running(aRunning('t/r').pool('p').on('p-0', 8))
        .pending(aWorkload('t/w').gang(1, 8)),
      { computeUnits: 8, borrowedCU: 8, borrowed: true },
    ],
    [
      'CU differ per pool: the pool whose CU fits the limit',
      aSnapshot()
        .pools(aPool('fast').cu(1.31).price(1).nodes(1, 8), aPool('slow').cu(0.99).price(3).nodes(1, 8))
        .tenants(aTenant('t').quota(0, 10))
        .pending(aWorkload('t/w').gang(1, 8)),
      { pool: 'slow', computeUnits: 7.92, borrowedCU: 7.92, borrowed: true },
    ],
    [
      'floating-point sums do not break an exact fit (0.99 × 8 × 3 = 23.76)',
      aSnapshot()
        .pools(aPool('nv').cu(0.99).nodes(3, 8))
        .tenants(aTenant('t').quota(23.76, 23.76))
        .running(
          aRunning('t/r')
            .pool('nv')
            .on('nv-0', 8)
            .cu(0.99 * 8),
          aRunning('t/s')
            .pool('nv')
            .on('nv-1', 8)
            .cu(0.99 * 8),
        )
        .pending(aWorkload('t/w').gang(1, 8)),
      { computeUnits: 7.92, borrowedCU: 0, borrowed: false },
    ],
  ];
  it.each(admitted)('%s', (_name, snapshot, expected) => {
    const a = admissionOf(runCycle(snapshot), 't/w');
    expect(a).toBeDefined();
    if (expected.pool) expect(a!.pool).toBe(expected.pool);
    expect(a!.computeUnits).toBeCloseTo(expected.computeUnits, 9);
    expect(a!.borrowedCU).toBeCloseTo(expected.borrowedCU, 9);
    expect(a!.borrowed).toBe(expected.borrowed);
  });

  const refused: [string, SnapshotBuilder, string][] = [
    [
      'limit reached',
      fleet()
        .tenants(aTenant('acme').quota(20, 80))
        .running(aRunning('acme/r').tenant('acme').pool('p').on('p-0', 8).cu(72))
        .pending(aWorkload('acme/w').tenant('acme').gang(2, 8)),
      'quota: tenant acme limit 80 CU reached (using 72 CU, needs 16)',
    ],
    [
      "this cycle's admissions count: the second of two 8-CU workloads under a 10-CU limit",
      fleet()
        .tenants(aTenant('acme').quota(0, 10))
        .pending(
          aWorkload('acme/a').tenant('acme').gang(1, 8).createdAt(1),
          aWorkload('acme/w').tenant('acme').gang(1, 8).createdAt(2),
        ),
      'quota: tenant acme limit 10 CU reached (using 8 CU, needs 8)',
    ],
    [
      'the smallest request among pools is quoted',
      aSnapshot()
        .pools(aPool('a').cu(1.31).nodes(1, 8), aPool('b').cu(0.99).nodes(1, 8))
        .tenants(aTenant('acme').quota(0, 5))
        .pending(aWorkload('acme/w').tenant('acme').gang(1, 8)),
      'quota: tenant acme limit 5 CU reached (using 0 CU, needs 7.92)',
    ],
  ];
  it.each(refused)('waits: %s', (_name, snapshot, reason) => {
    const w = waitingOf(runCycle(snapshot), 'acme/w');
    expect(w).toMatchObject({ code: 'quota', reason });
  });
});

describe('budgets', () => {
  const pools = () => aSnapshot().pools(aPool('p').price(10).nodes(4, 8));
  const cases: [string, SnapshotBuilder, string | { pool: string }][] = [
    [
      "quote above the workload's budgetEUR",
      pools()
        .tenants(aTenant('acme'))
        .pending(
          aWorkload('acme/w')
            .tenant('acme')
            .gang(1, 2)
            .maxDuration(31 * HOUR)
            .budget(500),
        ),
      'budget: quote 620 EUR exceeds budgetEUR 500',
    ],
    [
      'quote within budgetEUR',
      pools()
        .tenants(aTenant('acme'))
        .pending(
          aWorkload('acme/w')
            .tenant('acme')
            .gang(1, 2)
            .maxDuration(25 * HOUR)
            .budget(500),
        ),
      { pool: 'p' },
    ],
    [
      'the budget steers to the pool it affords',
      aSnapshot()
        .pools(aPool('fast').cu(2).price(10).nodes(1, 8), aPool('cheap').cu(1).price(1).nodes(1, 8))
        .tenants(aTenant('acme'))
        .pending(
          aWorkload('acme/w')
            .tenant('acme')
            .gang(1, 2)
            .maxDuration(10 * HOUR)
            .optimizeFor('time')
            .budget(100),
        ),
      { pool: 'cheap' },
    ],
    [
      "the tenant's monthly budget",
      pools()
        .tenants(aTenant('acme').monthlyBudget(20000, 19800))
        .pending(
          aWorkload('acme/w')
            .tenant('acme')
            .gang(1, 2)
            .maxDuration(31 * HOUR),
        ),
      "budget: quote 620 EUR would exceed tenant acme's monthly budget of 20000 EUR (19800 EUR spent)",
    ],
    [
      "this cycle's admissions count against the monthly budget",
      pools()
        .tenants(aTenant('acme').monthlyBudget(1000, 750))
        .pending(
          aWorkload('acme/a')
            .tenant('acme')
            .gang(1, 1)
            .maxDuration(15 * HOUR)
            .createdAt(1),
          aWorkload('acme/w')
            .tenant('acme')
            .gang(1, 1)
            .maxDuration(15 * HOUR)
            .createdAt(2),
        ),
      "budget: quote 150 EUR would exceed tenant acme's monthly budget of 1000 EUR (900 EUR spent)",
    ],
    [
      'no maxDuration: the first hour is what a budget can check',
      pools()
        .tenants(aTenant('acme'))
        .pending(aWorkload('acme/w').tenant('acme').gang(1, 2).maxDuration(undefined).budget(15)),
      'budget: quote 20 EUR for the first hour exceeds budgetEUR 15',
    ],
  ];
  it.each(cases)('%s', (_name, snapshot, expected) => {
    const result = runCycle(snapshot);
    if (typeof expected === 'string')
      expect(waitingOf(result, 'acme/w')).toMatchObject({ code: 'budget', reason: expected });
    else expect(admissionOf(result, 'acme/w')?.pool).toBe(expected.pool);
  });

  it('quota is checked before budget: a tenant at its limit is told about the limit', () => {
    const result = runCycle(
      pools()
        .tenants(aTenant('acme').quota(0, 1))
        .pending(
          aWorkload('acme/w')
            .tenant('acme')
            .gang(1, 2)
            .maxDuration(31 * HOUR)
            .budget(1),
        ),
    );
    expect(waitingOf(result, 'acme/w')?.code).toBe('quota');
  });
});
