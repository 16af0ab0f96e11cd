import { CacheFreshness } from './cache-freshness';

/** A freshness check whose probe answers as `up()` says, on a clock the test moves. */
function rig(settleMs = 2_000) {
  let now = 100_000;
  let up = true;
  const f = new CacheFreshness({
    probe: () => (up ? Promise.resolve() : Promise.reject(new Error('etcd unavailable'))),
    settleMs,
    now: () => now,
  });
  return {
    at: async (t: number) => {
      now = t;
      return f.confirmedUntil();
    },
    setUp: (v: boolean) => (up = v),
  };
}

describe('CacheFreshness', () => {
  it('trusts the cache up to settleMs before each probe while probes succeed', async () => {
    const r = rig();
    expect(await r.at(100_000)).toBe(98_000);
    expect(await r.at(101_000)).toBe(99_000);
  });

  it('holds at the last success while probes fail, and for settleMs after they succeed again', async () => {
    const r = rig();
    await r.at(100_000);
    await r.at(101_000);
    r.setUp(false);
    expect(await r.at(102_000)).toBe(101_000);
    expect(await r.at(107_000)).toBe(101_000);
    r.setUp(true);
    expect(await r.at(108_000)).toBe(101_000); // recovered, not yet settled
    expect(await r.at(109_000)).toBe(101_000);
    expect(await r.at(110_000)).toBe(108_000); // settled: 2 s after the first success
    expect(await r.at(111_000)).toBe(109_000);
  });

  it('a failure during the settling starts the hold again from the same point', async () => {
    const r = rig();
    await r.at(100_000);
    r.setUp(false);
    await r.at(101_000);
    r.setUp(true);
    expect(await r.at(102_000)).toBe(100_000);
    r.setUp(false);
    expect(await r.at(103_000)).toBe(100_000);
    r.setUp(true);
    expect(await r.at(104_000)).toBe(100_000);
    expect(await r.at(106_000)).toBe(104_000);
  });

  it('trusts nothing before the first successful probe', async () => {
    const r = rig();
    r.setUp(false);
    expect(await r.at(100_000)).toBe(-Infinity);
  });
});
