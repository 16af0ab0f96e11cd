import { abbaRounds } from '../bench/abba';

describe('abbaRounds: loads of this build (A) and a baseline (B) in ABBA order', () => {
  it('runs A B B A per round, the first A given, and pairs each round by side', async () => {
    const order: string[] = [];
    let n = 0;
    const run = (side: string) => () => {
      order.push(side);
      return Promise.resolve(`${side}${++n}`);
    };
    const rounds = await abbaRounds('A0', run('A'), run('B'), 2);
    expect(order).toEqual(['B', 'B', 'A', 'A', 'B', 'B', 'A']);
    expect(rounds).toEqual([
      { mine: ['A0', 'A3'], theirs: ['B1', 'B2'] },
      { mine: ['A4', 'A7'], theirs: ['B5', 'B6'] },
    ]);
  });
});
