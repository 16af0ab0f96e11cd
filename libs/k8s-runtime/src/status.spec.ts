import { microTime } from './leader-election';
import { findCondition, jsonEqual, setCondition } from './status';

describe('setCondition', () => {
  const ready = { type: 'Ready', status: 'False' as const, reason: 'Queued', message: 'waiting' };

  it('adds a new condition with the given time', () => {
    expect(setCondition(undefined, ready, 't1')).toEqual([{ ...ready, lastTransitionTime: 't1' }]);
  });

  it('keeps lastTransitionTime while the status stays the same', () => {
    const once = setCondition(undefined, ready, 't1');
    const again = setCondition(once, { ...ready, message: 'still waiting' }, 't2');
    expect(again).toEqual([{ ...ready, message: 'still waiting', lastTransitionTime: 't1' }]);
  });

  it('moves lastTransitionTime when the status changes, leaving other conditions alone', () => {
    const start = setCondition(
      setCondition(undefined, ready, 't1'),
      { type: 'Other', status: 'True', reason: 'x', message: '' },
      't1',
    );
    const next = setCondition(start, { ...ready, status: 'True', reason: 'Admitted' }, 't3');
    expect(findCondition(next, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 't3' });
    expect(findCondition(next, 'Other')?.lastTransitionTime).toBe('t1');
    expect(start).toHaveLength(2);
  });
});

describe('jsonEqual', () => {
  it.each([
    [
      'same nested objects in another key order',
      { a: 1, b: { c: [1, 2] } },
      { b: { c: [1, 2] }, a: 1 },
      true,
    ],
    ['undefined members ignored', { a: 1, b: undefined }, { a: 1 }, true],
    ['different array order', [1, 2], [2, 1], false],
    ['extra key', { a: 1 }, { a: 1, b: 2 }, false],
    ['array vs object', [], {}, false],
  ])('%s', (_n, a, b, equal) => expect(jsonEqual(a, b)).toBe(equal));
});

describe('microTime', () => {
  it('writes six fractional digits', () =>
    expect(microTime(Date.UTC(2026, 10, 22, 2, 40, 0, 123))).toBe('2026-11-22T02:40:00.123000Z'));
});
