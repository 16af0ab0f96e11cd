import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { OidcConfig } from '../config';
import type { Principal } from './principal';

/**
 * Verifies OIDC access tokens against the identity provider's JWKS: issuer, audience and algorithms
 * pinned, clock skew bounded, `exp` and `sub` required. The key set is fetched lazily and cached
 * by jose (re-fetched on an unknown `kid`, at most every 30 s).
 */
export class OidcVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly config: OidcConfig) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000 });
  }

  get issuer(): string {
    return this.config.issuer;
  }

  async verify(token: string): Promise<Principal> {
    const c = this.config;
    const { payload } = await jwtVerify(token, this.keys, {
      issuer: c.issuer,
      audience: c.audience,
      algorithms: c.algorithms,
      clockTolerance: c.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
    });
    const tenant = payload[c.tenantClaim];
    return {
      subject: payload.sub!,
      role: payload[c.roleClaim] === 'admin' ? 'admin' : 'tenant',
      tenant: typeof tenant === 'string' ? tenant : undefined,
      via: 'oidc',
    };
  }
}
