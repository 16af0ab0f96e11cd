import { finish, pauseEvery } from './steps';

describe('steps', () => {
  it('finish runs every step and returns the result', () => {
    const seen: number[] = [];
    function* counting() {
      for (let i = 0; i < 3; i++) {
        seen.push(i);
        yield;
      }
      return 'done';
    }
    expect(finish(counting())).toBe('done');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('pauseEvery is true once per n counted, one per call or as many as a call says', () => {
    const pause = pauseEvery(3);
    expect([pause(), pause(), pause(), pause(), pause(), pause()]).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    const byCount = pauseEvery(5);
    expect([byCount(2), byCount(2), byCount(2), byCount(7), byCount(0)]).toEqual([
      false,
      false,
      true,
      true,
      false,
    ]);
  });
});
