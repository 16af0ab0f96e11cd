import type { OptimizeFor } from './snapshot';
import { aPool, aSite, aSnapshot, aTenant, aWorkload, admissionOf, runCycle } from './testing';

/**
 * Three pools with different strengths (PUE 1.2 everywhere):
 *   cheap: 1 EUR/device-h, 700 W, 0.5 CU/device, grid 400 g/kWh
 *   green: 3 EUR/device-h, 700 W, 1 CU/device,   grid 10 g/kWh
 *   fast:  4 EUR/device-h, 1000 W, 2 CU/device,  grid 200 g/kWh
 */
const fleet = () =>
  aSnapshot()
    .sites(aSite('coal').carbon(400), aSite('hydro').carbon(10), aSite('mixed').carbon(200))
    .pools(
      aPool('cheap').site('coal').price(1).power(700).cu(0.5).nodes(2, 8),
      aPool('green').site('hydro').price(3).power(700).cu(1).nodes(2, 8),
      aPool('fast').site('mixed').price(4).power(1000).cu(2).nodes(2, 8),
    )
    .tenants(aTenant('t'));

describe('scoring by optimizeFor', () => {
  const cases: [OptimizeFor, string][] = [
    ['cost', 'cheap'],
    ['energy', 'green'],
    ['time', 'fast'],
    // cost 0.25/0.75/1, energy 0.7/0.7/1, carbon 1/0.025/0.71, time 1/0.5/0.25: green balances best.
    ['balanced', 'green'],
  ];
  it.each(cases)('%s picks %s', (goal, pool) => {
    const result = runCycle(fleet().pending(aWorkload('t/w').gang(1, 4).optimizeFor(goal)));
    expect(admissionOf(result, 't/w')?.pool).toBe(pool);
  });
});

describe('the price of energy at the site', () => {
  it('counts in the cost: the same pool is cheaper where the site buys energy for less', () => {
    const result = runCycle(
      aSnapshot()
        .sites(aSite('dear').pricePerKWh(0.4), aSite('cheap').pricePerKWh(0.05))
        .pools(
          aPool('a-dear').site('dear').price(1).power(700).nodes(1, 8),
          aPool('b-cheap').site('cheap').price(1).power(700).nodes(1, 8),
        )
        .tenants(aTenant('t'))
        .pending(aWorkload('t/w').gang(1, 8).optimizeFor('cost')),
    );
    expect(admissionOf(result, 't/w')?.pool).toBe('b-cheap');
    // Without energy prices the two tie, and the tie goes to the name.
    const tie = runCycle(
      aSnapshot()
        .sites(aSite('dear'), aSite('cheap'))
        .pools(
          aPool('a-dear').site('dear').price(1).power(700).nodes(1, 8),
          aPool('b-cheap').site('cheap').price(1).power(700).nodes(1, 8),
        )
        .tenants(aTenant('t'))
        .pending(aWorkload('t/w').gang(1, 8).optimizeFor('cost')),
    );
    expect(admissionOf(tie, 't/w')?.pool).toBe('a-dear');
  });
});

describe('fragmentation (best fit)', () => {
  it('prefers the pool whose nodes the gang fills exactly', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('whole').nodes(2, 8), aPool('halves').nodes(2, 8, 4))
        .tenants(aTenant('t'))
        .pending(aWorkload('t/w').gang(2, 4)),
    );
    expect(admissionOf(result, 't/w')?.pool).toBe('halves');
  });

  it('prefers nodes whose free devices are closest to the request', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').node('n8', 8).node('n3', 8, 3).node('n2', 8, 2).node('n5', 8, 5))
        .tenants(aTenant('t'))
        .pending(aWorkload('t/w').gang(2, 3)),
    );
    expect(admissionOf(result, 't/w')?.placement.map((p) => p.node)).toEqual(['n3', 'n5']);
  });

  it('ties go to the pool name', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('b').nodes(1, 8), aPool('a').nodes(1, 8))
        .tenants(aTenant('t'))
        .pending(aWorkload('t/w')),
    );
    expect(admissionOf(result, 't/w')?.pool).toBe('a');
  });

  it('later decisions see earlier ones in the same cycle', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('a').nodes(1, 8), aPool('b').price(5).nodes(1, 8))
        .tenants(aTenant('t'))
        .pending(aWorkload('t/1').gang(1, 8).createdAt(1), aWorkload('t/2').gang(1, 8).createdAt(2)),
    );
    expect(result.admitted.map((a) => [a.key, a.pool])).toEqual([
      ['t/1', 'a'],
      ['t/2', 'b'],
    ]);
  });
});
