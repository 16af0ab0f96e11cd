import {
  aPool,
  aRunning,
  aSnapshot,
  aTenant,
  aWorkload,
  admittedKeys,
  runCycle,
  waitingKeys,
  type SnapshotBuilder,
} from './testing';

/** Plenty of room: the admission order is the decision order. */
const roomy = () => aSnapshot().pools(aPool('p').nodes(20, 8));

describe('order of pending workloads', () => {
  const cases: [string, SnapshotBuilder, string[]][] = [
    [
      'priority class first: emergency, public-interest, standard, preemptible',
      roomy()
        .tenants(aTenant('t').allowEmergency())
        .pending(
          aWorkload('t/pre').priority('preemptible').createdAt(1),
          aWorkload('t/std').priority('standard').createdAt(2),
          aWorkload('t/pi').priority('public-interest').createdAt(3),
          aWorkload('t/em').priority('emergency').createdAt(4),
        ),
      ['t/em', 't/pi', 't/std', 't/pre'],
    ],
    [
      'emergency without allowEmergency is ordered as standard',
      roomy()
        .tenants(aTenant('t'))
        .pending(aWorkload('t/std').createdAt(1), aWorkload('t/em').priority('emergency').createdAt(2)),
      ['t/std', 't/em'],
    ],
    [
      'then the lower weighted share',
      roomy()
        .tenants(aTenant('busy').quota(10, 100), aTenant('idle').quota(10, 100))
        .running(aRunning('busy/r').tenant('busy').pool('p').on('p-0', 4))
        .pending(
          aWorkload('busy/a').tenant('busy').createdAt(1),
          aWorkload('idle/b').tenant('idle').createdAt(2),
        ),
      ['idle/b', 'busy/a'],
    ],
    [
      "share counts this cycle's admissions: two tenants alternate",
      roomy()
        .tenants(aTenant('a').quota(10, 100), aTenant('b').quota(10, 100))
        .pending(
          aWorkload('a/1').tenant('a').createdAt(1),
          aWorkload('a/2').tenant('a').createdAt(2),
          aWorkload('a/3').tenant('a').createdAt(3),
          aWorkload('b/1').tenant('b').createdAt(4),
          aWorkload('b/2').tenant('b').createdAt(5),
        ),
      ['a/1', 'b/1', 'a/2', 'b/2', 'a/3'],
    ],
    [
      'tier weight: public-interest (3) before commercial (1) at equal usage',
      roomy()
        .tenants(
          aTenant('com').tier('commercial').quota(10, 100),
          aTenant('pub').tier('public-interest').quota(10, 100),
        )
        .running(
          aRunning('com/r').tenant('com').pool('p').on('p-0', 2),
          aRunning('pub/r').tenant('pub').pool('p').on('p-1', 2),
        )
        .pending(
          aWorkload('com/a').tenant('com').createdAt(1),
          aWorkload('pub/a').tenant('pub').createdAt(2),
        ),
      ['pub/a', 'com/a'],
    ],
    [
      'a larger guarantee is a lower share for the same usage',
      roomy()
        .tenants(aTenant('small').quota(5, 100), aTenant('big').quota(50, 100))
        .running(
          aRunning('small/r').tenant('small').pool('p').on('p-0', 2),
          aRunning('big/r').tenant('big').pool('p').on('p-1', 2),
        )
        .pending(
          aWorkload('small/a').tenant('small').createdAt(1),
          aWorkload('big/a').tenant('big').createdAt(2),
        ),
      ['big/a', 'small/a'],
    ],
    [
      'a tenant without guarantee goes after every tenant with one',
      roomy()
        .tenants(aTenant('none').quota(0, 100), aTenant('hog').quota(1, 100))
        .running(aRunning('hog/r').tenant('hog').pool('p').on('p-0', 8))
        .pending(
          aWorkload('none/a').tenant('none').createdAt(1),
          aWorkload('hog/a').tenant('hog').createdAt(2),
        ),
      ['hog/a', 'none/a'],
    ],
    [
      'tenants without guarantee among themselves by raw usage',
      roomy()
        .tenants(aTenant('x').quota(0, 100), aTenant('y').quota(0, 100))
        .running(aRunning('x/r').tenant('x').pool('p').on('p-0', 3))
        .pending(aWorkload('x/a').tenant('x').createdAt(1), aWorkload('y/a').tenant('y').createdAt(2)),
      ['y/a', 'x/a'],
    ],
    [
      'then age, oldest first',
      roomy()
        .tenants(aTenant('t'))
        .pending(aWorkload('t/new').createdAt(20), aWorkload('t/old').createdAt(10)),
      ['t/old', 't/new'],
    ],
    [
      'then key, for equal ages',
      roomy().tenants(aTenant('t')).pending(aWorkload('t/b').createdAt(5), aWorkload('t/a').createdAt(5)),
      ['t/a', 't/b'],
    ],
    [
      'equal shares across tenants: the older head first',
      roomy()
        .tenants(aTenant('a'), aTenant('b'))
        .pending(aWorkload('a/x').tenant('a').createdAt(9), aWorkload('b/y').tenant('b').createdAt(3)),
      ['b/y', 'a/x'],
    ],
  ];
  it.each(cases)('%s', (_name, snapshot, expected) =>
    expect(admittedKeys(runCycle(snapshot))).toEqual(expected),
  );

  it('waiting positions follow the same order', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').nodes(1, 8, 0))
        .tenants(aTenant('a').allowEmergency(), aTenant('b'))
        .pending(
          aWorkload('b/late').tenant('b').createdAt(9),
          aWorkload('a/pre').tenant('a').priority('preemptible').createdAt(1),
          aWorkload('a/em').tenant('a').priority('emergency').createdAt(5),
          aWorkload('b/early').tenant('b').createdAt(2),
        ),
    );
    expect(waitingKeys(result)).toEqual(['a/em', 'b/early', 'b/late', 'a/pre']);
    expect(result.waiting.map((w) => w.position)).toEqual([1, 2, 3, 4]);
  });
});
