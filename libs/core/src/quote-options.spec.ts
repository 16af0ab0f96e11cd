import { quoteOptions, type QuoteOptions } from './quote-options';
import { schedulerConfig, type ClusterSnapshot, type PendingWorkload } from './snapshot';
import { aPool, aRunning, aSite, aSnapshot, aTenant, aWorkload, type SnapshotBuilder } from './testing';

const NOW = Date.UTC(2026, 0, 5, 8, 0, 0);
const H = 3_600_000;
const at = (hours: number) => new Date(NOW + hours * H).toISOString();

function quoted(
  snapshot: SnapshotBuilder | ClusterSnapshot,
  candidate: { obj(): PendingWorkload },
): QuoteOptions {
  const s = 'obj' in snapshot ? snapshot.obj() : snapshot;
  return quoteOptions(s, candidate.obj(), schedulerConfig({ now: NOW }));
}

const optionIn = (q: QuoteOptions, pool: string) => q.options.find((o) => o.pool === pool);

/**
 * Four vendors on two sites:
 *   dk-1 (PUE 1.15, 120 g/kWh): nvidia H100 (0.99 CU, 2 EUR, 700 W, 80 GB), amd MI300X (1.31, 2.1, 750 W, 192 GB)
 *   fi-1 (PUE 1.1, 80 g/kWh):   intel Gaudi3 (1.84, 1.5 EUR, 900 W, 128 GB), tenstorrent Blackhole (0.5, 1 EUR, 300 W, 32 GB)
 */
const fleet = () =>
  aSnapshot()
    .sites(aSite('dk-1').pue(1.15).carbon(120), aSite('fi-1').pue(1.1).carbon(80))
    .pools(
      aPool('dk-1-nvidia').site('dk-1').vendor('nvidia', 'H100').cu(0.99).price(2).power(700).nodes(2, 8),
      aPool('dk-1-amd')
        .site('dk-1')
        .vendor('amd', 'MI300X')
        .cu(1.31)
        .price(2.1)
        .power(750)
        .memory(192)
        .nodes(2, 8),
      aPool('fi-1-intel')
        .site('fi-1')
        .vendor('intel', 'Gaudi3')
        .cu(1.84)
        .price(1.5)
        .power(900)
        .memory(128)
        .nodes(2, 8),
      aPool('fi-1-tt')
        .site('fi-1')
        .vendor('tenstorrent', 'Blackhole')
        .cu(0.5)
        .price(1)
        .power(300)
        .memory(32)
        .nodes(2, 8),
    )
    .tenants(aTenant('t'));

/** One node of 8 devices for 6 hours, with an image for every vendor of the fleet. */
const portable = () =>
  aWorkload('t/new')
    .gang(1, 8)
    .maxDuration(6 * 3600)
    .images('nvidia', 'amd', 'intel', 'tenstorrent')
    .createdAt(100);

describe('quoteOptions', () => {
  describe('prices per pool', () => {
    // 8 devices × 6 h. EUR = 8 × price × 6; kWh = 8 × W × 0.8 × PUE ÷ 1000 × 6; CO2e = kWh × g ÷ 1000.
    const cases: [string, { cu: number; eurPerHour: number; eur: number; kWh: number; co2: number }][] = [
      // 8 × 300 × 0.8 × 1.1 = 2112 W → 12.672 kWh; × 80 g = 1.01376 kg.
      ['fi-1-tt', { cu: 4, eurPerHour: 8, eur: 48, kWh: 12.672, co2: 1.01376 }],
      // 8 × 900 × 0.8 × 1.1 = 6336 W → 38.016 kWh; × 80 g = 3.04128 kg.
      ['fi-1-intel', { cu: 14.72, eurPerHour: 12, eur: 72, kWh: 38.016, co2: 3.04128 }],
      // 8 × 700 × 0.8 × 1.15 = 5152 W → 30.912 kWh; × 120 g = 3.70944 kg.
      ['dk-1-nvidia', { cu: 7.92, eurPerHour: 16, eur: 96, kWh: 30.912, co2: 3.70944 }],
      // 8 × 750 × 0.8 × 1.15 = 5520 W → 33.12 kWh; × 120 g = 3.9744 kg.
      ['dk-1-amd', { cu: 10.48, eurPerHour: 16.8, eur: 100.8, kWh: 33.12, co2: 3.9744 }],
    ];
    const result = quoted(fleet(), portable());

    it.each(cases)('%s', (pool, expected) => {
      const o = optionIn(result, pool)!;
      expect(o.computeUnits).toBeCloseTo(expected.cu, 9);
      expect(o.quote.eurPerHour).toBeCloseTo(expected.eurPerHour, 9);
      expect(o.quote.estimatedEUR).toBeCloseTo(expected.eur, 9);
      expect(o.quote.estimatedKWh).toBeCloseTo(expected.kWh, 9);
      expect(o.quote.estimatedCO2eKg).toBeCloseTo(expected.co2, 9);
    });

    it('one option per vendor, all starting now, cheapest first', () => {
      expect(result.infeasible).toEqual([]);
      expect(result.options.map((o) => [o.pool, o.vendor, o.model, o.site, o.estimatedStartAt])).toEqual([
        ['fi-1-tt', 'tenstorrent', 'Blackhole', 'fi-1', NOW],
        ['fi-1-intel', 'intel', 'Gaudi3', 'fi-1', NOW],
        ['dk-1-nvidia', 'nvidia', 'H100', 'dk-1', NOW],
        ['dk-1-amd', 'amd', 'MI300X', 'dk-1', NOW],
      ]);
      for (const o of result.options) expect(o).not.toHaveProperty('waitReason');
    });

    it('without maxDuration, hourly figures only, ordered by EUR per hour', () => {
      const q = quoted(fleet(), portable().maxDuration(undefined));
      expect(q.options.map((o) => o.pool)).toEqual(['fi-1-tt', 'fi-1-intel', 'dk-1-nvidia', 'dk-1-amd']);
      expect(optionIn(q, 'fi-1-tt')!.quote).toMatchObject({ eurPerHour: 8, estimatedEUR: undefined });
    });
  });

  describe('vendors without a feasible pool, with the first reason', () => {
    const cases: [string, SnapshotBuilder, { obj(): PendingWorkload }, QuoteOptions['infeasible']][] = [
      [
        'no image for a vendor',
        fleet(),
        portable().images('nvidia', 'amd', 'intel'),
        [{ vendor: 'tenstorrent', code: 'image', reason: 'no image for vendors tenstorrent' }],
      ],
      [
        'too little device memory',
        fleet(),
        portable().minMemory(100),
        [
          {
            vendor: 'nvidia',
            code: 'memory',
            reason: 'no pool has 100 GB of device memory (largest: 80 GB)',
          },
          {
            vendor: 'tenstorrent',
            code: 'memory',
            reason: 'no pool has 100 GB of device memory (largest: 32 GB)',
          },
        ],
      ],
      [
        'a vendor the tenant may not use',
        fleet().tenants(aTenant('u').vendors('nvidia', 'amd')),
        portable().tenant('u'),
        [
          { vendor: 'intel', code: 'vendor', reason: 'no pool of an allowed vendor (nvidia, amd)' },
          { vendor: 'tenstorrent', code: 'vendor', reason: 'no pool of an allowed vendor (nvidia, amd)' },
        ],
      ],
      [
        'a vendor the workload names and the fleet lacks',
        fleet(),
        portable().vendors('cerebras', 'nvidia'),
        [
          { vendor: 'amd', code: 'vendor', reason: 'no pool of an allowed vendor (cerebras, nvidia)' },
          { vendor: 'cerebras', code: 'vendor', reason: 'no cerebras pools in the fleet' },
          { vendor: 'intel', code: 'vendor', reason: 'no pool of an allowed vendor (cerebras, nvidia)' },
          {
            vendor: 'tenstorrent',
            code: 'vendor',
            reason: 'no pool of an allowed vendor (cerebras, nvidia)',
          },
        ],
      ],
      [
        'a gang larger than any pool',
        fleet(),
        portable().gang(3, 8).images('*'),
        ['amd', 'intel', 'nvidia', 'tenstorrent'].map((vendor) => ({
          vendor,
          code: 'shape' as const,
          reason:
            'gang cannot fit: needs 3 nodes with 8 devices in one pool, the largest matching pool has 2',
        })),
      ],
      [
        'the workload budget',
        fleet(),
        portable().budget(50),
        [
          { vendor: 'amd', code: 'budget', reason: 'budget: quote 100.8 EUR exceeds budgetEUR 50' },
          { vendor: 'intel', code: 'budget', reason: 'budget: quote 72 EUR exceeds budgetEUR 50' },
          { vendor: 'nvidia', code: 'budget', reason: 'budget: quote 96 EUR exceeds budgetEUR 50' },
        ],
      ],
      [
        "the tenant's monthly budget",
        fleet().tenants(aTenant('u').monthlyBudget(100, 20)),
        portable().tenant('u'),
        [
          {
            vendor: 'amd',
            code: 'budget',
            reason:
              "budget: quote 100.8 EUR would exceed tenant u's monthly budget of 100 EUR (20 EUR spent)",
          },
          {
            vendor: 'nvidia',
            code: 'budget',
            reason: "budget: quote 96 EUR would exceed tenant u's monthly budget of 100 EUR (20 EUR spent)",
          },
        ],
      ],
      [
        "a request above the tenant's whole limit",
        fleet().tenants(aTenant('u').quota(0, 10)),
        portable().tenant('u'),
        [
          {
            vendor: 'amd',
            code: 'quota',
            reason: 'quota: tenant u limit 10 CU reached (using 0 CU, needs 10.48)',
          },
          {
            vendor: 'intel',
            code: 'quota',
            reason: 'quota: tenant u limit 10 CU reached (using 0 CU, needs 14.72)',
          },
        ],
      ],
    ];
    it.each(cases)('%s', (_name, snapshot, candidate, infeasible) => {
      const q = quoted(snapshot, candidate);
      expect(q.infeasible).toEqual(infeasible);
      const vendors = new Set(infeasible.map((i) => i.vendor));
      expect(q.options.filter((o) => vendors.has(o.vendor))).toEqual([]);
    });

    it('the queue spends the monthly budget first', () => {
      const q = quoted(
        fleet()
          .tenants(aTenant('u').monthlyBudget(100))
          .pending(
            aWorkload('u/first')
              .tenant('u')
              .vendors('tenstorrent')
              .gang(1, 8)
              .maxDuration(6 * 3600),
          ),
        portable().tenant('u'),
      );
      // 48 EUR spent by u/first: only the 48 EUR tenstorrent pool is still within 100 EUR.
      expect(q.options.map((o) => o.pool)).toEqual(['fi-1-tt']);
      expect(q.infeasible.map((i) => [i.vendor, i.code])).toEqual([
        ['amd', 'budget'],
        ['intel', 'budget'],
        ['nvidia', 'budget'],
      ]);
    });

    it('an unknown tenant: no options, every vendor names the tenant', () => {
      const q = quoted(fleet(), portable().tenant('ghost').vendors('nvidia', 'cerebras'));
      const reason = 'tenant ghost not found: no Tenant object lists this namespace';
      expect(q).toEqual({
        options: [],
        infeasible: ['amd', 'cerebras', 'intel', 'nvidia', 'tenstorrent'].map((vendor) => ({
          vendor,
          code: 'vendor',
          reason,
        })),
      });
    });
  });

  describe('estimated start', () => {
    /** Pool p: p-0 busy until +2 h, p-1 busy until +5 h. */
    const busy = () =>
      aSnapshot()
        .pools(aPool('p').nodes(2, 8))
        .tenants(aTenant('t'), aTenant('o'))
        .running(
          aRunning('o/a')
            .tenant('o')
            .pool('p')
            .on('p-0', 8)
            .endsAt(NOW + 2 * H),
          aRunning('o/b')
            .tenant('o')
            .pool('p')
            .on('p-1', 8)
            .endsAt(NOW + 5 * H),
        );

    type Expected = { estimatedStartAt: number | undefined; waitReason: string };
    const cases: [string, SnapshotBuilder, { obj(): PendingWorkload }, Expected][] = [
      [
        'a full pool: when the first workload that frees a node ends',
        busy(),
        aWorkload('t/new').gang(1, 8),
        {
          estimatedStartAt: NOW + 2 * H,
          waitReason: `no room in p now (needs 1 node with 8 free devices): running work frees enough by ${at(2)}`,
        },
      ],
      [
        'a gang: when enough nodes are free',
        busy(),
        aWorkload('t/new').gang(2, 8),
        {
          estimatedStartAt: NOW + 5 * H,
          waitReason: `no room in p now (needs 2 nodes with 8 free devices): running work frees enough by ${at(5)}`,
        },
      ],
      [
        'a node held by work without maxDuration: no known start',
        aSnapshot()
          .pools(aPool('p').nodes(2, 8))
          .tenants(aTenant('t'), aTenant('o'))
          .running(aRunning('o/svc').tenant('o').pool('p').on('p-0', 8).on('p-1', 8)),
        aWorkload('t/new').gang(1, 8),
        {
          estimatedStartAt: undefined,
          waitReason:
            'no room in p now (needs 1 node with 8 free devices): the devices are held by work with no known end',
        },
      ],
    ];
    it.each(cases)('%s', (_name, snapshot, candidate, expected) => {
      const [o] = quoted(snapshot, candidate).options;
      expect(o).toEqual(expect.objectContaining({ pool: 'p', ...expected }));
    });

    it('an earlier workload the cycle admits takes the free node first', () => {
      const pool = () => aSnapshot().pools(aPool('p').nodes(1, 8)).tenants(aTenant('t'), aTenant('o'));
      const candidate = aWorkload('t/new').gang(1, 8);
      expect(quoted(pool(), candidate).options[0]).toMatchObject({ estimatedStartAt: NOW });
      const queued = pool().pending(
        aWorkload('o/first')
          .tenant('o')
          .gang(1, 8)
          .maxDuration(3 * 3600),
      );
      expect(quoted(queued, candidate).options[0]).toMatchObject({
        estimatedStartAt: NOW + 3 * H,
        waitReason: `no room in p now (needs 1 node with 8 free devices): running work frees enough by ${at(3)}`,
      });
    });

    it('the candidate itself is not part of the queue', () => {
      const candidate = aWorkload('t/new').gang(1, 8);
      const s = aSnapshot().pools(aPool('p').nodes(1, 8)).tenants(aTenant('t')).pending(candidate);
      expect(quoted(s, candidate).options[0]).toMatchObject({ estimatedStartAt: NOW });
    });

    describe('a pool reserved for an earlier blocked workload', () => {
      /**
       * Pool p: p-0 busy until +2 h, p-1 has 4 devices free (the other 4 busy until +10 h). The
       * queued o/head (1 × 8, 1 h) cannot fit now: p is reserved for it until +2 h, on p-0.
       */
      const reserved = () =>
        aSnapshot()
          .pools(aPool('p').nodes(2, 8))
          .tenants(aTenant('t'), aTenant('o'))
          .running(
            aRunning('o/a')
              .tenant('o')
              .pool('p')
              .on('p-0', 8)
              .endsAt(NOW + 2 * H),
            aRunning('o/b')
              .tenant('o')
              .pool('p')
              .on('p-1', 4)
              .endsAt(NOW + 10 * H),
          )
          .pending(aWorkload('o/head').tenant('o').gang(1, 8).maxDuration(3600));
      const clause = (hours: number) =>
        `p is reserved for o/head until ${at(2)} and this workload (maxDuration ${hours}h) would end after that`;

      const cases: [string, { obj(): PendingWorkload }, number, string | undefined][] = [
        [
          'work that ends before the reservation backfills now',
          aWorkload('t/new').gang(1, 4),
          NOW,
          undefined,
        ],
        [
          'work that would end after it waits for the reserved time',
          aWorkload('t/new')
            .gang(1, 4)
            .maxDuration(3 * 3600),
          NOW + 2 * H,
          clause(3),
        ],
        [
          'and for the room the holder leaves: p-0 is the holder’s until +3 h',
          aWorkload('t/new')
            .gang(1, 8)
            .maxDuration(3 * 3600),
          NOW + 3 * H,
          `no room in p now (needs 1 node with 8 free devices): running work frees enough by ${at(2)}; ${clause(3)}`,
        ],
        [
          'backfill is judged when it would start, not now',
          aWorkload('t/new').gang(1, 8).maxDuration(3600),
          NOW + 3 * H,
          `no room in p now (needs 1 node with 8 free devices): running work frees enough by ${at(2)}; ${clause(1)}`,
        ],
      ];
      it.each(cases)('%s', (_name, candidate, start, waitReason) => {
        const [o] = quoted(reserved(), candidate).options;
        expect(o?.estimatedStartAt).toBe(start);
        expect(o?.waitReason).toBe(waitReason);
      });
    });

    describe('tenant quota', () => {
      /** Tenant u (limit 16 CU) runs 8 CU until +4 h and 8 CU until +6 h on p; p-2 is free. */
      const overQuota = () =>
        aSnapshot()
          .pools(aPool('p').nodes(3, 8))
          .tenants(aTenant('u').quota(0, 16))
          .running(
            aRunning('u/a')
              .tenant('u')
              .pool('p')
              .on('p-0', 8)
              .endsAt(NOW + 4 * H),
            aRunning('u/b')
              .tenant('u')
              .pool('p')
              .on('p-1', 8)
              .endsAt(NOW + 6 * H),
          );
      const reason = 'quota: tenant u limit 16 CU reached (using 16 CU, needs 8)';

      it('waits until enough of its running work has ended', () => {
        const [o] = quoted(overQuota(), aWorkload('u/new').tenant('u').gang(1, 8)).options;
        expect(o).toMatchObject({ estimatedStartAt: NOW + 4 * H, waitReason: reason });
      });

      it('needs both to end for a larger request', () => {
        const [o] = quoted(overQuota(), aWorkload('u/new').tenant('u').gang(2, 8)).options;
        expect(o).toMatchObject({ estimatedStartAt: NOW + 6 * H });
      });

      it('no known start when work without an end holds the quota', () => {
        const s = aSnapshot()
          .pools(aPool('p').nodes(3, 8))
          .tenants(aTenant('u').quota(0, 16))
          .running(
            aRunning('u/svc').tenant('u').pool('p').on('p-0', 8),
            aRunning('u/a')
              .tenant('u')
              .pool('p')
              .on('p-1', 8)
              .endsAt(NOW + 4 * H),
          );
        const [o] = quoted(s, aWorkload('u/new').tenant('u').gang(2, 8)).options;
        expect(o?.estimatedStartAt).toBeUndefined();
        expect(o?.waitReason).toContain('quota: tenant u limit 16 CU reached (using 16 CU, needs 16)');
      });

      it('counts what the queue is admitted in this cycle', () => {
        const s = aSnapshot()
          .pools(aPool('p').nodes(3, 8))
          .tenants(aTenant('u').quota(0, 16))
          .pending(
            aWorkload('u/first')
              .tenant('u')
              .gang(2, 8)
              .maxDuration(2 * 3600),
          );
        const [o] = quoted(s, aWorkload('u/new').tenant('u').gang(1, 8)).options;
        expect(o).toMatchObject({
          estimatedStartAt: NOW + 2 * H,
          waitReason: 'quota: tenant u limit 16 CU reached (using 16 CU, needs 8)',
        });
      });
    });
  });

  it('is deterministic and leaves its inputs alone', () => {
    const s = deepFreeze(
      fleet()
        .running(
          aRunning('o/a')
            .tenant('t')
            .pool('dk-1-amd')
            .on('dk-1-amd-0', 8)
            .endsAt(NOW + H),
        )
        .pending(aWorkload('t/first').gang(2, 8).createdAt(1))
        .obj(),
    );
    const candidate = deepFreeze(portable().obj());
    const config = schedulerConfig({ now: NOW });
    const first = quoteOptions(s, candidate, config);
    expect(quoteOptions(s, candidate, config)).toEqual(first);
    expect(first.options.length).toBeGreaterThan(0);
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
