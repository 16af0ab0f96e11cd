import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { ROLE_CLAIM, TENANT_CLAIM, type Principal } from './principal';

/**
 * Development tokens: HS256 JWTs signed with a key that only the sandbox has, for `kentaur token`
 * and the README walk-through. A production gateway has no key and refuses them (ADR 7).
 */
export const DEV_ISSUER = 'kentaur-sandbox';
export const DEV_AUDIENCE = 'kentaur-gateway';
const ALGORITHM = 'HS256';

/** The signing key of the sandbox in `file`, created (0600) on first use. */
export function loadOrCreateDevKey(file: string): Uint8Array {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
}

export interface DevTokenRequest {
  tenant?: string;
  admin?: boolean;
  subject?: string;
  /** Lifetime in seconds; default one day. */
  ttlSeconds?: number;
}

export async function mintDevToken(key: Uint8Array, req: DevTokenRequest, now = new Date()): Promise<string> {
  const role = req.admin ? 'admin' : 'tenant';
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ [TENANT_CLAIM]: req.tenant, [ROLE_CLAIM]: role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(req.subject ?? `dev:${req.tenant ?? 'admin'}`)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (req.ttlSeconds ?? 86_400))
    .sign(key);
}

/** Verifies a development token; throws jose's errors (the authenticator turns them into messages). */
export async function verifyDevToken(key: Uint8Array, token: string, now?: Date): Promise<Principal> {
  const { payload } = await jwtVerify(token, key, {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    algorithms: [ALGORITHM],
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
    currentDate: now,
  });
  const tenant = payload[TENANT_CLAIM];
  return {
    subject: payload.sub!,
    role: payload[ROLE_CLAIM] === 'admin' ? 'admin' : 'tenant',
    tenant: typeof tenant === 'string' ? tenant : undefined,
    via: 'development',
  };
}
