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

/** Two full 8-device nodes; the cases fill them with running work and add one claimant. */
const full = () => aSnapshot().pools(aPool('p').nodes(2, 8));
const crisis = () => aTenant('crisis').quota(0, 1000).allowEmergency();
const emergency = () => aWorkload('crisis/em').tenant('crisis').priority('emergency').gang(1, 8);

describe('emergency preemption', () => {
  const cases: [string, SnapshotBuilder, string[]][] = [
    [
      'preemptible before standard',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/std').tenant('o').pool('p').on('p-0', 8).admittedAt(30),
          aRunning('o/pre').tenant('o').priority('preemptible').pool('p').on('p-1', 8).admittedAt(10),
        )
        .pending(emergency()),
      ['o/pre'],
    ],
    [
      'most recently admitted first',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/old').tenant('o').priority('preemptible').pool('p').on('p-0', 8).admittedAt(10),
          aRunning('o/new').tenant('o').priority('preemptible').pool('p').on('p-1', 8).admittedAt(20),
        )
        .pending(emergency()),
      ['o/new'],
    ],
    [
      'standard work when nothing lower is there',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/a').tenant('o').pool('p').on('p-0', 8),
          aRunning('o/b').tenant('o').pool('p').on('p-1', 8).admittedAt(5),
        )
        .pending(emergency()),
      ['o/b'],
    ],
    [
      'victims that turn out unnecessary are spared',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/pre-a').tenant('o').priority('preemptible').pool('p').on('p-0', 4).admittedAt(30),
          aRunning('o/std-c').tenant('o').pool('p').on('p-0', 4).admittedAt(40),
          aRunning('o/pre-b').tenant('o').priority('preemptible').pool('p').on('p-1', 8).admittedAt(20),
        )
        .pending(emergency()),
      ['o/pre-b'],
    ],
    [
      'the pool needing the fewest victims',
      aSnapshot()
        .pools(aPool('a').nodes(1, 8), aPool('b').nodes(1, 8))
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/a1').tenant('o').priority('preemptible').pool('a').on('a-0', 4),
          aRunning('o/a2').tenant('o').priority('preemptible').pool('a').on('a-0', 4),
          aRunning('o/b1').tenant('o').pool('b').on('b-0', 8),
        )
        .pending(emergency()),
      ['o/b1'],
    ],
    [
      'a gang of two takes victims on two nodes of one pool',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/a').tenant('o').pool('p').on('p-0', 8),
          aRunning('o/b').tenant('o').pool('p').on('p-1', 8),
        )
        .pending(emergency().gang(2, 8)),
      ['o/a', 'o/b'],
    ],
    [
      'borrowed public-interest work yields to an emergency',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/pi').tenant('o').priority('public-interest').borrowed().pool('p').on('p-0', 8),
          aRunning('o/em').tenant('o').priority('emergency').pool('p').on('p-1', 8),
        )
        .pending(emergency()),
      ['o/pi'],
    ],
    [
      'only what is needed: free devices count first',
      aSnapshot()
        .pools(aPool('p').nodes(1, 8))
        .tenants(crisis(), aTenant('o'))
        .running(aRunning('o/a').tenant('o').priority('preemptible').pool('p').on('p-0', 4))
        .pending(emergency()),
      ['o/a'],
    ],
  ];
  it.each(cases)('%s', (_name, snapshot, victims) => {
    const result = runCycle(snapshot);
    expect(result.preemptions.map((p) => p.victim).sort()).toEqual([...victims].sort());
    const a = admissionOf(result, 'crisis/em');
    expect(a?.preempted.map(String).sort()).toEqual([...victims].sort());
    expect(result.preemptions.every((p) => p.kind === 'emergency' && p.preemptor === 'crisis/em')).toBe(true);
    expect(result.preemptions[0]?.reason).toBe('preempted by emergency workload crisis/em of tenant crisis');
  });

  const protectedCases: [string, SnapshotBuilder][] = [
    [
      'never emergency work',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/a').tenant('o').priority('emergency').pool('p').on('p-0', 8),
          aRunning('o/b').tenant('o').priority('emergency').pool('p').on('p-1', 8),
        ),
    ],
    [
      'never public-interest work within its guarantee',
      full()
        .tenants(crisis(), aTenant('o'))
        .running(
          aRunning('o/a').tenant('o').priority('public-interest').pool('p').on('p-0', 8),
          aRunning('o/b').tenant('o').priority('public-interest').pool('p').on('p-1', 8),
        ),
    ],
  ];
  it.each(protectedCases)('%s', (_name, snapshot) => {
    const result = runCycle(snapshot.pending(emergency()));
    expect(result.preemptions).toEqual([]);
    expect(waitingOf(result, 'crisis/em')?.reason).toMatch(
      /^no pool fits: needs 1 node with 8 free devices; nvidia: full; preempting the work an emergency may preempt would not make room$/,
    );
  });

  it('emergency without allowEmergency is standard: no preemption, and the reason says why', () => {
    const result = runCycle(
      full()
        .tenants(aTenant('crisis').quota(0, 100), aTenant('o'))
        .running(
          aRunning('o/a').tenant('o').priority('preemptible').pool('p').on('p-0', 8),
          aRunning('o/b').tenant('o').pool('p').on('p-1', 8),
        )
        .pending(emergency()),
    );
    expect(result.preemptions).toEqual([]);
    expect(waitingOf(result, 'crisis/em')?.reason).toMatch(
      /^emergency is not allowed for tenant crisis \(allowEmergency is false\): treated as standard; no pool fits/,
    );
  });
});

describe('reclaim by a tenant under its guarantee', () => {
  /** `lender` borrows everything it runs (guarantee 0); `owed` is guaranteed 16 CU and uses none. */
  const base = () => full().tenants(aTenant('owed').quota(16, 32), aTenant('lender').quota(0, 100));
  const claim = () => aWorkload('owed/w').tenant('owed').gang(1, 8);

  const cases: [string, SnapshotBuilder, string[]][] = [
    [
      'takes borrowed work of a borrowing tenant',
      base()
        .running(
          aRunning('lender/a').tenant('lender').borrowed().pool('p').on('p-0', 8),
          aRunning('lender/b').tenant('lender').borrowed().pool('p').on('p-1', 8).admittedAt(9),
        )
        .pending(claim()),
      ['lender/b'],
    ],
    [
      'preemptible borrowed work first',
      base()
        .running(
          aRunning('lender/std').tenant('lender').borrowed().pool('p').on('p-0', 8).admittedAt(9),
          aRunning('lender/pre').tenant('lender').priority('preemptible').borrowed().pool('p').on('p-1', 8),
        )
        .pending(claim()),
      ['lender/pre'],
    ],
    [
      'not work admitted within a guarantee',
      base()
        .running(
          aRunning('lender/a').tenant('lender').pool('p').on('p-0', 8),
          aRunning('lender/b').tenant('lender').pool('p').on('p-1', 8),
        )
        .pending(claim()),
      [],
    ],
    [
      'not public-interest or emergency work, even borrowed',
      base()
        .running(
          aRunning('lender/pi')
            .tenant('lender')
            .priority('public-interest')
            .borrowed()
            .pool('p')
            .on('p-0', 8),
          aRunning('lender/em').tenant('lender').priority('emergency').borrowed().pool('p').on('p-1', 8),
        )
        .pending(claim()),
      [],
    ],
    [
      "not the claimant's own borrowed work",
      full()
        .tenants(aTenant('owed').quota(16, 100))
        .running(
          aRunning('owed/a').tenant('owed').borrowed().pool('p').on('p-0', 8).cu(1),
          aRunning('owed/b').tenant('owed').borrowed().pool('p').on('p-1', 8).cu(1),
        )
        .pending(claim()),
      [],
    ],
    [
      'not when the request would go beyond the guarantee',
      full()
        .tenants(aTenant('owed').quota(12, 32), aTenant('lender').quota(0, 100))
        .running(
          aRunning('lender/a').tenant('lender').borrowed().pool('p').on('p-0', 8),
          aRunning('lender/b').tenant('lender').borrowed().pool('p').on('p-1', 8),
        )
        .pending(claim().gang(2, 8)),
      [],
    ],
    [
      'not from a tenant that no longer borrows',
      full()
        .tenants(aTenant('owed').quota(16, 32), aTenant('lender').quota(16, 100))
        .running(
          aRunning('lender/a').tenant('lender').borrowed().pool('p').on('p-0', 8),
          aRunning('lender/b').tenant('lender').borrowed().pool('p').on('p-1', 8),
        )
        .pending(claim()),
      [],
    ],
  ];
  it.each(cases)('%s', (_name, snapshot, victims) => {
    const result = runCycle(snapshot);
    expect(result.preemptions.map((p) => p.victim)).toEqual(victims);
    if (victims.length > 0) {
      expect(admissionOf(result, 'owed/w')).toMatchObject({ borrowed: false, preempted: victims });
      expect(result.preemptions[0]).toMatchObject({
        kind: 'reclaim',
        preemptor: 'owed/w',
        reason:
          'reclaimed: tenant owed is under its guaranteed 16 CU (using 0 CU, needs 8) and this workload ran on borrowed capacity',
      });
    } else expect(admissionOf(result, 'owed/w')).toBeUndefined();
  });

  it('a standard workload at its guarantee does not preempt: running devices stay busy', () => {
    const result = runCycle(
      full()
        .tenants(aTenant('t').quota(0, 100), aTenant('o').quota(0, 100))
        .running(
          aRunning('o/a').tenant('o').priority('preemptible').borrowed().pool('p').on('p-0', 8),
          aRunning('o/b').tenant('o').priority('preemptible').borrowed().pool('p').on('p-1', 8),
        )
        .pending(aWorkload('t/w').tenant('t').gang(1, 8)),
    );
    expect(result.preemptions).toEqual([]);
    expect(waitingOf(result, 't/w')?.code).toMatch(/^(capacity|reserved)$/);
    expect(result.pools[0]).toMatchObject({ allocatedDevices: 16, freeDevices: 0 });
  });

  it("the victim's tenant loses the CU and the reclaimed devices go to the claimant", () => {
    const result = runCycle(
      base()
        .running(
          aRunning('lender/a').tenant('lender').borrowed().pool('p').on('p-0', 8),
          aRunning('lender/b').tenant('lender').borrowed().pool('p').on('p-1', 8),
        )
        .pending(claim(), aWorkload('lender/next').tenant('lender').gang(1, 8)),
    );
    expect(result.preemptions).toHaveLength(1);
    expect(admissionOf(result, 'owed/w')?.placement).toEqual([
      { node: result.preemptions[0]!.victim === 'lender/a' ? 'p-0' : 'p-1', devices: 8 },
    ]);
    expect(admissionOf(result, 'lender/next')).toBeUndefined();
    expect(result.pools[0]).toMatchObject({ allocatedDevices: 16 });
  });
});
