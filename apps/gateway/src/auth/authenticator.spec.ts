import { randomBytes } from 'node:crypto';
import type { ApiKeyStore } from './api-keys';
import { InvalidApiKey } from './api-keys';
import { Authenticator } from './authenticator';
import { mintDevToken } from './dev-tokens';
import type { Principal } from './principal';

// The authenticator's cache of verified tokens (VerifiedTokens) as requests see it. The clock is the
// test's, for the cache and for the development tokens' expiry alike.
const key = randomBytes(32);
const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);

function setup(o: { apiKeys?: Pick<ApiKeyStore, 'verify'>; ttlMs?: number } = {}) {
  let now = T0;
  const authenticator = new Authenticator({
    apiKeys: (o.apiKeys ?? { verify: () => Promise.reject(new InvalidApiKey('no keys')) }) as ApiKeyStore,
    devKey: key,
    verifiedTokens: { ttlMs: o.ttlMs ?? 3_600_000, maxEntries: 100 },
    now: () => now,
  });
  return { authenticator, at: (seconds: number) => (now = T0 + seconds * 1000) };
}

const bearer = (token: string) => `Bearer ${token}`;
const mint = (ttlSeconds: number, tenant = 'acme') => mintDevToken(key, { tenant, ttlSeconds }, new Date(T0));

describe('Authenticator: verified tokens', () => {
  it('answers a token it verified with the same principal', async () => {
    const { authenticator } = setup();
    const token = await mint(3600);
    const first = await authenticator.authenticate(bearer(token));
    expect(first).toEqual({ subject: 'dev:acme', role: 'tenant', tenant: 'acme', via: 'development' });
    await expect(authenticator.authenticate(bearer(token))).resolves.toEqual(first);
  });

  it('refuses a remembered token once it has expired, as verification does', async () => {
    const { authenticator, at } = setup();
    const token = await mint(60);
    await authenticator.authenticate(bearer(token));
    at(30);
    await expect(authenticator.authenticate(bearer(token))).resolves.toMatchObject({ tenant: 'acme' });
    // Past exp and the verifier's 5 s of clock tolerance: verified again, and refused in its words.
    at(66);
    await expect(authenticator.authenticate(bearer(token))).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: 'token has expired: get a new one',
    });
  });

  it('refuses a tampered token after its original was remembered', async () => {
    const { authenticator } = setup();
    const token = await mint(3600);
    await authenticator.authenticate(bearer(token));
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -2)}AA`;
    await expect(authenticator.authenticate(bearer(forged))).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('does not remember a refused token', async () => {
    const { authenticator } = setup();
    const other = await mintDevToken(randomBytes(32), { tenant: 'acme' }, new Date(T0));
    for (let i = 0; i < 2; i++)
      await expect(authenticator.authenticate(bearer(other))).rejects.toMatchObject({
        message: 'token signature is not valid',
      });
  });

  it('verifies API keys on every request: a key revoked after it was accepted is refused at once', async () => {
    const accepted: Principal = { subject: 'api-key:a1', role: 'tenant', tenant: 'acme', via: 'api-key' };
    const verify = jest
      .fn<Promise<Principal>, [string]>()
      .mockResolvedValueOnce(accepted)
      .mockRejectedValueOnce(new InvalidApiKey('API key is not valid or was revoked'));
    const { authenticator } = setup({ apiKeys: { verify } });
    const apiKey = `kt_a1b2c3d4e5f60718_${randomBytes(32).toString('base64url')}`;
    await expect(authenticator.authenticate(bearer(apiKey))).resolves.toEqual(accepted);
    await expect(authenticator.authenticate(bearer(apiKey))).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: 'API key is not valid or was revoked',
    });
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('answers `remembered` only for a token it verified, until the token expires', async () => {
    const { authenticator, at } = setup();
    const token = await mint(60);
    expect(authenticator.remembered(bearer(token))).toBeUndefined();
    const principal = await authenticator.authenticate(bearer(token));
    expect(authenticator.remembered(bearer(token))).toEqual(principal);
    // Headers that `authenticate` refuses or reads differently are never answered from memory.
    for (const header of [
      undefined,
      '',
      token,
      `bearer ${token}`,
      `Bearer  ${token}`,
      `Bearer ${token} `,
      `Basic ${token}`,
    ])
      expect(authenticator.remembered(header)).toBeUndefined();
    at(61);
    expect(authenticator.remembered(bearer(token))).toBeUndefined();
  });

  it('never answers an API key from memory', async () => {
    const accepted: Principal = { subject: 'api-key:a1', role: 'tenant', tenant: 'acme', via: 'api-key' };
    const { authenticator } = setup({ apiKeys: { verify: () => Promise.resolve(accepted) } });
    const apiKey = `kt_a1b2c3d4e5f60718_${randomBytes(32).toString('base64url')}`;
    await expect(authenticator.authenticate(bearer(apiKey))).resolves.toEqual(accepted);
    expect(authenticator.remembered(bearer(apiKey))).toBeUndefined();
  });

  it('remembers what the token says, not what its tenant may see (each request builds its scope)', async () => {
    // Two tokens of two tenants stay apart: the principal is the token's own.
    const { authenticator } = setup();
    const [a, b] = await Promise.all([mint(3600, 'acme'), mint(3600, 'globex')]);
    for (let i = 0; i < 2; i++) {
      await expect(authenticator.authenticate(bearer(a))).resolves.toMatchObject({ tenant: 'acme' });
      await expect(authenticator.authenticate(bearer(b))).resolves.toMatchObject({ tenant: 'globex' });
    }
  });
});
