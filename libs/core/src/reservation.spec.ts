import { aPool, aRunning, aSnapshot, aTenant, aWorkload, admissionOf, runCycle, waitingOf } from './testing';

const NOW = Date.UTC(2026, 0, 5, 8, 0, 0);
const H = 3_600_000;
const at = (hours: number) => new Date(NOW + hours * H).toISOString();

/**
 * Pool p: node p-0 is busy until +2 h; p-1 has 4 devices free (the other 4 busy until +10 h).
 * An 8-device head cannot fit now and will fit on p-0 at +2 h.
 */
const busy = () =>
  aSnapshot()
    .pools(aPool('p').nodes(2, 8))
    .tenants(aTenant('t'))
    .running(
      aRunning('o/a')
        .pool('p')
        .on('p-0', 8)
        .endsAt(NOW + 2 * H),
      aRunning('o/b')
        .pool('p')
        .on('p-1', 4)
        .endsAt(NOW + 10 * H),
    );
const head = () => aWorkload('t/head').gang(1, 8).createdAt(1);

describe('reservation for the head of a priority level', () => {
  it('reserves the pool where the head fits earliest and says when', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('late').nodes(1, 8), aPool('soon').nodes(1, 8))
        .tenants(aTenant('t'))
        .running(
          aRunning('o/l')
            .pool('late')
            .on('late-0', 8)
            .endsAt(NOW + 5 * H),
          aRunning('o/s')
            .pool('soon')
            .on('soon-0', 8)
            .endsAt(NOW + 2 * H),
        )
        .pending(head()),
      { now: NOW },
    );
    expect(waitingOf(result, 't/head')).toMatchObject({
      code: 'reserved',
      reason: `reserved: waiting for soon (expected free at ${at(2)})`,
      reservation: { pool: 'soon', until: NOW + 2 * H },
    });
    expect(result.reservations).toEqual([{ pool: 'soon', workload: 't/head', until: NOW + 2 * H }]);
  });

  it('a gang waits for enough nodes: the later of the two ends', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').nodes(2, 8))
        .tenants(aTenant('t'))
        .running(
          aRunning('o/a')
            .pool('p')
            .on('p-0', 8)
            .endsAt(NOW + 1 * H),
          aRunning('o/b')
            .pool('p')
            .on('p-1', 8)
            .endsAt(NOW + 3 * H),
        )
        .pending(head().gang(2, 8)),
      { now: NOW },
    );
    expect(result.reservations[0]?.until).toBe(NOW + 3 * H);
  });

  it('backfills only work that ends by the reserved time', () => {
    const result = runCycle(
      busy().pending(
        head(),
        aWorkload('t/short').gang(1, 4).maxDuration(3600).createdAt(2),
        aWorkload('t/long')
          .gang(1, 4)
          .maxDuration(3 * 3600)
          .createdAt(3),
        aWorkload('t/service').gang(1, 4).maxDuration(undefined).createdAt(4),
      ),
      { now: NOW },
    );
    expect(waitingOf(result, 't/head')?.code).toBe('reserved');
    expect(admissionOf(result, 't/short')?.pool).toBe('p');
    expect(waitingOf(result, 't/long')).toMatchObject({
      code: 'capacity',
      reason: `no pool fits: needs 1 node with 4 free devices; p is reserved for t/head until ${at(2)} and this workload (maxDuration 3h) would end after that`,
    });
    expect(waitingOf(result, 't/service')?.reason).toBe(
      `no pool fits: needs 1 node with 4 free devices; p is reserved for t/head until ${at(2)} and this workload has no maxDuration, so it cannot backfill`,
    );
  });

  it('work that ends exactly at the reserved time may backfill', () => {
    const result = runCycle(
      busy().pending(
        head(),
        aWorkload('t/edge')
          .gang(1, 4)
          .maxDuration(2 * 3600)
          .createdAt(2),
      ),
      { now: NOW },
    );
    expect(admissionOf(result, 't/edge')).toBeDefined();
  });

  it('other pools stay open to everyone', () => {
    const result = runCycle(
      busy()
        .pools(aPool('q').price(9).nodes(1, 8))
        .running(
          aRunning('o/q')
            .pool('q')
            .on('q-0', 4)
            .endsAt(NOW + 20 * H),
        )
        .pending(
          head(),
          aWorkload('t/long')
            .gang(1, 4)
            .maxDuration(30 * 3600)
            .createdAt(2),
        ),
      { now: NOW },
    );
    expect(result.reservations.map((r) => r.pool)).toEqual(['p']);
    expect(admissionOf(result, 't/long')?.pool).toBe('q');
  });

  it('only the head reserves: the next blocked workload of its level waits without a reservation', () => {
    const result = runCycle(busy().pending(head(), aWorkload('t/second').gang(1, 8).createdAt(2)), {
      now: NOW,
    });
    expect(result.reservations).toHaveLength(1);
    expect(waitingOf(result, 't/second')?.code).toBe('capacity');
  });

  it('each priority level has its own head, each in a different pool', () => {
    const result = runCycle(
      busy()
        .pools(aPool('q').nodes(1, 8))
        .running(
          aRunning('o/q')
            .pool('q')
            .on('q-0', 8)
            .endsAt(NOW + 4 * H),
        )
        .pending(head().priority('public-interest'), aWorkload('t/std').gang(1, 8).createdAt(2)),
      { now: NOW },
    );
    expect(result.reservations).toEqual([
      { pool: 'p', workload: 't/head', until: NOW + 2 * H },
      { pool: 'q', workload: 't/std', until: NOW + 4 * H },
    ]);
  });

  it('a head blocked by quota reserves nothing; the first one blocked by capacity does', () => {
    const result = runCycle(
      busy()
        .tenants(aTenant('poor').quota(0, 1))
        .pending(aWorkload('poor/first').tenant('poor').gang(1, 8).createdAt(0), head()),
      { now: NOW },
    );
    expect(waitingOf(result, 'poor/first')?.code).toBe('quota');
    expect(result.reservations.map((r) => r.workload)).toEqual(['t/head']);
  });

  it('no reservation when nothing running has an expected end', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').nodes(1, 8))
        .tenants(aTenant('t'))
        .running(aRunning('o/svc').pool('p').on('p-0', 8))
        .pending(head()),
      { now: NOW },
    );
    expect(result.reservations).toEqual([]);
    expect(waitingOf(result, 't/head')).toMatchObject({
      code: 'capacity',
      reason:
        'no pool fits: needs 1 node with 8 free devices; nvidia: full; reclaiming borrowed capacity would not make room',
    });
  });

  it('overdue work counts as ending now', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').nodes(1, 8))
        .tenants(aTenant('t'))
        .running(
          aRunning('o/late')
            .pool('p')
            .on('p-0', 8)
            .endsAt(NOW - H),
        )
        .pending(head()),
      { now: NOW },
    );
    expect(result.reservations[0]?.until).toBe(NOW);
  });
});
