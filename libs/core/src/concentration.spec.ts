import fc from 'fast-check';
import { herfindahl } from './concentration';

describe('herfindahl', () => {
  it.each([
    ['nothing allocated', [], 0],
    ['all zero', [0, 0], 0],
    ['one vendor holds everything', [16, 0, 0], 1],
    ['two equal vendors', [8, 8], 0.5],
    ['four equal vendors', [4, 4, 4, 4], 0.25],
    ['3:1', [12, 4], 0.625],
  ])('%s', (_name, amounts, expected) => {
    expect(herfindahl(amounts)).toBeCloseTo(expected, 12);
  });

  it('lies between 1/n and 1 for any non-empty allocation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 12 }), (xs) => {
        fc.pre(xs.some((x) => x > 0));
        const h = herfindahl(xs);
        return h >= 1 / xs.length - 1e-12 && h <= 1 + 1e-12;
      }),
    );
  });
});
