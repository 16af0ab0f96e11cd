import { compareShares, compareUsage, entitlement, weightedShare } from './fair-share';
import { DEFAULT_TIER_WEIGHTS } from './snapshot';
import { aTenant } from './testing';

describe('weightedShare', () => {
  const cases: [string, ReturnType<typeof aTenant>, number, { entitled: boolean; value: number }][] = [
    // 30 ÷ (20 × 1 × 2) for an SME tenant (tier weight 2).
    [
      'sme tenant using 30 of 20 guaranteed',
      aTenant('a').tier('sme').quota(20, 80),
      30,
      { entitled: true, value: 0.75 },
    ],
    [
      'weight 2 halves the share',
      aTenant('a').tier('sme').quota(20, 80).weight(2),
      30,
      { entitled: true, value: 0.375 },
    ],
    [
      'public-interest tier weighs 3',
      aTenant('a').tier('public-interest').quota(10, 80),
      30,
      { entitled: true, value: 1 },
    ],
    [
      'commercial tier weighs 1',
      aTenant('a').tier('commercial').quota(10, 80),
      30,
      { entitled: true, value: 3 },
    ],
    ['idle tenant', aTenant('a').quota(10, 80), 0, { entitled: true, value: 0 }],
    ['no guarantee: raw usage', aTenant('a').quota(0, 80), 12, { entitled: false, value: 12 }],
  ];
  it.each(cases)('%s', (_name, tenant, usage, expected) => {
    const share = weightedShare(tenant.obj(), usage, DEFAULT_TIER_WEIGHTS);
    expect(share.entitled).toBe(expected.entitled);
    expect(share.value).toBeCloseTo(expected.value, 9);
  });

  it('a tier weight of 0 in the config means no entitlement', () => {
    const weights = { ...DEFAULT_TIER_WEIGHTS, commercial: 0 };
    expect(weightedShare(aTenant('a').tier('commercial').quota(10, 80).obj(), 5, weights)).toEqual({
      entitled: false,
      value: 5,
    });
  });
});

describe('compareShares: guaranteedCU = 0 sorts after every tenant with a guarantee, then by raw usage', () => {
  const order = (shares: { name: string; entitled: boolean; value: number }[]) =>
    [...shares].sort(compareShares).map((s) => s.name);
  const cases: [string, { name: string; entitled: boolean; value: number }[], string[]][] = [
    [
      'lowest share first',
      [
        { name: 'b', entitled: true, value: 0.9 },
        { name: 'a', entitled: true, value: 0.1 },
      ],
      ['a', 'b'],
    ],
    [
      'a huge share still beats no guarantee',
      [
        { name: 'none', entitled: false, value: 0 },
        { name: 'hog', entitled: true, value: 1e6 },
      ],
      ['hog', 'none'],
    ],
    [
      'unentitled tenants by raw usage',
      [
        { name: 'x', entitled: false, value: 8 },
        { name: 'y', entitled: false, value: 2 },
      ],
      ['y', 'x'],
    ],
  ];
  it.each(cases)('%s', (_name, shares, expected) => expect(order(shares)).toEqual(expected));

  it('compareUsage agrees with compareShares', () => {
    const tenants = [
      aTenant('a').quota(10, 50),
      aTenant('b').quota(0, 50),
      aTenant('c').quota(40, 90).tier('research'),
    ];
    const usages = [0, 5, 20, 40];
    for (const ta of tenants)
      for (const tb of tenants)
        for (const ua of usages)
          for (const ub of usages) {
            const [a, b] = [ta.obj(), tb.obj()];
            const viaShares = compareShares(
              weightedShare(a, ua, DEFAULT_TIER_WEIGHTS),
              weightedShare(b, ub, DEFAULT_TIER_WEIGHTS),
            );
            const viaUsage = compareUsage(
              { usageCU: ua, entitlement: entitlement(a, DEFAULT_TIER_WEIGHTS) },
              { usageCU: ub, entitlement: entitlement(b, DEFAULT_TIER_WEIGHTS) },
            );
            expect(Math.sign(viaUsage)).toBe(Math.sign(viaShares));
          }
  });
});
