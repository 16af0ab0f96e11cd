import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import {
  DEV_AUDIENCE,
  DEV_ISSUER,
  loadOrCreateDevKey,
  mintDevToken,
  verifyDevToken,
  type DevTokenRequest,
} from './dev-tokens';
import { ROLE_CLAIM, TENANT_CLAIM } from './principal';

const key = randomBytes(32);
const NOW = new Date('2025-03-01T12:00:00Z');
const seconds = (s: number) => new Date(NOW.getTime() + s * 1000);

describe('dev tokens: mint and verify', () => {
  it.each([
    {
      name: 'a tenant token',
      req: { tenant: 'acme' },
      principal: { subject: 'dev:acme', role: 'tenant', tenant: 'acme', via: 'development' },
    },
    {
      name: 'an administrator without a tenant',
      req: { admin: true },
      principal: { subject: 'dev:admin', role: 'admin', tenant: undefined, via: 'development' },
    },
    {
      name: 'an administrator acting for a tenant',
      req: { admin: true, tenant: 'acme' },
      principal: { subject: 'dev:acme', role: 'admin', tenant: 'acme', via: 'development' },
    },
    {
      name: 'an explicit subject',
      req: { tenant: 'acme', subject: 'alice@example.org' },
      principal: { subject: 'alice@example.org', role: 'tenant', tenant: 'acme', via: 'development' },
    },
  ] as { name: string; req: DevTokenRequest; principal: object }[])(
    'round-trips $name',
    async ({ req, principal }) => {
      const token = await mintDevToken(key, req, NOW);
      await expect(verifyDevToken(key, token, NOW)).resolves.toEqual(principal);
    },
  );

  it.each([
    { name: 'just issued', ttlSeconds: undefined, at: 0, valid: true },
    { name: 'the default lifetime is one day', ttlSeconds: undefined, at: 86_400 - 10, valid: true },
    { name: 'past the default day', ttlSeconds: undefined, at: 86_400 + 60, valid: false },
    { name: 'a short token before it expires', ttlSeconds: 60, at: 50, valid: true },
    { name: 'a short token after it expired', ttlSeconds: 60, at: 120, valid: false },
  ])('lifetime: $name', async ({ ttlSeconds, at, valid }) => {
    const token = await mintDevToken(key, { tenant: 'acme', ttlSeconds }, NOW);
    const verified = verifyDevToken(key, token, seconds(at));
    if (valid) await expect(verified).resolves.toMatchObject({ tenant: 'acme' });
    else await expect(verified).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('rejects a token minted in the past that has expired (real clock)', async () => {
    const token = await mintDevToken(
      key,
      { tenant: 'acme', ttlSeconds: 60 },
      new Date(Date.now() - 3_600_000),
    );
    await expect(verifyDevToken(key, token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('rejects a token signed with another key', async () => {
    const token = await mintDevToken(randomBytes(32), { tenant: 'acme' }, NOW);
    await expect(verifyDevToken(key, token, NOW)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('rejects a tampered payload', async () => {
    const [header, , signature] = (await mintDevToken(key, { tenant: 'acme' }, NOW)).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        [TENANT_CLAIM]: 'other',
        [ROLE_CLAIM]: 'admin',
        sub: 'x',
        iss: DEV_ISSUER,
        aud: DEV_AUDIENCE,
        exp: 2e9,
      }),
    ).toString('base64url');
    await expect(verifyDevToken(key, `${header}.${forged}.${signature}`, NOW)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  /** A token like a development token, differing in what `o` sets; `exp: null` leaves it out. */
  async function token(
    o: { iss?: string; aud?: string; exp?: number | null; role?: string; alg?: string } = {},
  ): Promise<string> {
    const iat = Math.floor(NOW.getTime() / 1000);
    const jwt = new SignJWT({ [TENANT_CLAIM]: 'acme', [ROLE_CLAIM]: o.role ?? 'tenant' })
      .setProtectedHeader({ alg: o.alg ?? 'HS256' })
      .setIssuer(o.iss ?? DEV_ISSUER)
      .setAudience(o.aud ?? DEV_AUDIENCE)
      .setSubject('dev:acme')
      .setIssuedAt(iat);
    if (o.exp !== null) jwt.setExpirationTime(o.exp ?? iat + 3600);
    return jwt.sign(key);
  }

  it('accepts the hand-built twin of a development token (the cases below differ in one thing)', async () => {
    await expect(verifyDevToken(key, await token(), NOW)).resolves.toEqual({
      subject: 'dev:acme',
      role: 'tenant',
      tenant: 'acme',
      via: 'development',
    });
  });

  it.each([
    { name: 'another issuer', o: { iss: 'someone-else' }, code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' },
    { name: 'another audience', o: { aud: 'other-api' }, code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' },
    { name: 'no expiry', o: { exp: null }, code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' },
    { name: 'another HMAC algorithm', o: { alg: 'HS512' }, code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
  ])('rejects a token with $name', async ({ o, code }) => {
    await expect(verifyDevToken(key, await token(o), NOW)).rejects.toMatchObject({ code });
  });

  it.each([
    { name: 'admin', claim: 'admin', role: 'admin' },
    { name: 'tenant', claim: 'tenant', role: 'tenant' },
    { name: 'anything else', claim: 'superuser', role: 'tenant' },
  ])('role claim $name → $role', async ({ claim, role }) => {
    await expect(verifyDevToken(key, await token({ role: claim }), NOW)).resolves.toMatchObject({ role });
  });
});

describe('loadOrCreateDevKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kentaur-dev-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte key in a 0600 file, creating missing directories', () => {
    const file = join(dir, 'nested', 'sandbox', 'dev-key');
    const created = loadOrCreateDevKey(file);
    expect(created).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('returns the same key on later calls and leaves the file as it was', () => {
    const file = join(dir, 'dev-key');
    const first = loadOrCreateDevKey(file);
    const written = readFileSync(file, 'utf8');
    expect(Buffer.from(loadOrCreateDevKey(file))).toEqual(Buffer.from(first));
    expect(readFileSync(file, 'utf8')).toBe(written);
  });

  it('gives a new key in another place', () => {
    const a = loadOrCreateDevKey(join(dir, 'a'));
    const b = loadOrCreateDevKey(join(dir, 'b'));
    expect(Buffer.from(a)).not.toEqual(Buffer.from(b));
  });

  it('reads an existing key, ignoring surrounding whitespace', () => {
    const file = join(dir, 'dev-key');
    const existing = randomBytes(32);
    writeFileSync(file, `${existing.toString('base64url')}\n`);
    expect(Buffer.from(loadOrCreateDevKey(file))).toEqual(existing);
  });

  it('a token minted with the loaded key verifies with the key loaded again', async () => {
    const file = join(dir, 'dev-key');
    const t = await mintDevToken(loadOrCreateDevKey(file), { tenant: 'acme' }, NOW);
    await expect(verifyDevToken(loadOrCreateDevKey(file), t, NOW)).resolves.toMatchObject({ tenant: 'acme' });
  });
});
