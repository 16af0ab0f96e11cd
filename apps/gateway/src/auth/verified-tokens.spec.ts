import type { Principal } from './principal';
import { VerifiedTokens } from './verified-tokens';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const principal = (tenant: string): Principal => ({
  subject: `dev:${tenant}`,
  role: 'tenant',
  tenant,
  via: 'development',
});

function setup(o: { ttlMs?: number; maxEntries?: number } = {}) {
  let now = T0;
  const tokens = new VerifiedTokens({
    ttlMs: o.ttlMs ?? 10_000,
    maxEntries: o.maxEntries ?? 100,
    now: () => now,
  });
  return { tokens, at: (ms: number) => (now = T0 + ms) };
}

/** `exp` (seconds) this many milliseconds after T0. */
const expIn = (ms: number) => (T0 + ms) / 1000;

describe('VerifiedTokens', () => {
  it.each([
    { name: 'just verified', exp: expIn(3_600_000), at: 0, served: true },
    { name: 'within the TTL', exp: expIn(3_600_000), at: 9_999, served: true },
    { name: 'at the end of the TTL', exp: expIn(3_600_000), at: 10_000, served: false },
    { name: 'before exp, within the TTL', exp: expIn(5_000), at: 4_999, served: true },
    { name: 'at exp, within the TTL', exp: expIn(5_000), at: 5_000, served: false },
    { name: 'past exp, within the TTL', exp: expIn(5_000), at: 6_000, served: false },
  ])('a token $name: served $served', ({ exp, at: ms, served }) => {
    const { tokens, at } = setup();
    tokens.set('token', principal('acme'), exp);
    at(ms);
    expect(tokens.get('token')).toEqual(served ? principal('acme') : undefined);
  });

  it('forgets an entry once it is no longer served (it is verified again then)', () => {
    const { tokens, at } = setup();
    tokens.set('token', principal('acme'), expIn(3_600_000));
    at(10_000);
    expect(tokens.get('token')).toBeUndefined();
    at(0);
    expect(tokens.get('token')).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it.each([
    { name: 'without exp', exp: undefined },
    { name: 'that expired already', exp: expIn(-1) },
    { name: 'that expires now', exp: expIn(0) },
  ])('does not remember a token $name', ({ exp }) => {
    const { tokens } = setup();
    tokens.set('token', principal('acme'), exp);
    expect(tokens.get('token')).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('answers only the exact token text', () => {
    const { tokens } = setup();
    tokens.set('header.payload.signature', principal('acme'), expIn(3_600_000));
    expect(tokens.get('header.payload.signaturX')).toBeUndefined();
    expect(tokens.get('header.payload.signature ')).toBeUndefined();
    expect(tokens.get('header.payload.signature')).toEqual(principal('acme'));
  });

  it('keeps at most maxEntries, forgetting the oldest', () => {
    const { tokens } = setup({ maxEntries: 2 });
    for (const t of ['a', 'b', 'c']) tokens.set(t, principal(t), expIn(3_600_000));
    expect(tokens.size).toBe(2);
    expect(tokens.get('a')).toBeUndefined();
    expect(tokens.get('b')?.tenant).toBe('b');
    expect(tokens.get('c')?.tenant).toBe('c');
  });

  it('ttlMs 0 remembers nothing', () => {
    const { tokens } = setup({ ttlMs: 0 });
    tokens.set('token', principal('acme'), expIn(3_600_000));
    expect(tokens.get('token')).toBeUndefined();
  });
});
