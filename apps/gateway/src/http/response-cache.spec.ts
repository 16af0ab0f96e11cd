import { KeptAnswers, type Answer } from './response-cache';

const answer = (body: string, stamp = 1): Answer => ({ stamp, body, operation: 'workloads' });

describe('KeptAnswers: answers by key, bounded by size, unused ones dropped first', () => {
  it('gives back what was kept, and counts keys and bodies', () => {
    const kept = new KeptAnswers(100);
    expect(kept.keep('k1', answer('0123456789'))).toBe(true);
    expect(kept.get('k1')).toMatchObject(answer('0123456789'));
    expect(kept.get('k2')).toBeUndefined();
    expect(kept.size).toBe(2 + 10);
  });

  it('replaces the answer of a key, without counting the old one', () => {
    const kept = new KeptAnswers(100);
    kept.keep('k', answer('old body', 1));
    kept.keep('k', answer('new', 2));
    expect(kept.get('k')).toMatchObject(answer('new', 2));
    expect(kept.size).toBe(1 + 3);
  });

  it('drops the oldest unused answer beyond the bound; a read gives an answer a second chance', () => {
    const kept = new KeptAnswers(30);
    kept.keep('a', answer('123456789')); // 10
    kept.keep('b', answer('123456789')); // 20
    kept.get('a'); // a is now the most recent
    kept.keep('c', answer('123456789')); // 30: all fit
    expect(kept.size).toBe(30);
    kept.keep('d', answer('123456789')); // 40: a was read and gets a second chance; b goes
    expect(['a', 'b', 'c', 'd'].map((k) => kept.get(k) !== undefined)).toEqual([true, false, true, true]);
    expect(kept.size).toBe(30);
  });

  it('when every answer was used, drops the oldest after one round of second chances', () => {
    const kept = new KeptAnswers(30);
    for (const k of ['a', 'b', 'c']) kept.keep(k, answer('123456789'));
    for (const k of ['a', 'b', 'c']) kept.get(k);
    kept.keep('d', answer('123456789'));
    expect(['a', 'b', 'c', 'd'].map((k) => kept.get(k) !== undefined)).toEqual([false, true, true, true]);
    expect(kept.size).toBe(30);
  });

  it('keeps nothing that alone exceeds the bound, and drops what the key held before', () => {
    const kept = new KeptAnswers(10);
    kept.keep('k', answer('small'));
    expect(kept.keep('k', answer('far too large for it'))).toBe(false);
    expect(kept.get('k')).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it('with a bound of 0 keeps nothing', () => {
    const kept = new KeptAnswers(0);
    expect(kept.keep('k', answer('x'))).toBe(false);
    expect(kept.size).toBe(0);
  });
});
