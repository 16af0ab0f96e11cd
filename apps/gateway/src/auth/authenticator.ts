import { decodeJwt, errors as joseErrors, type JWTPayload } from 'jose';
import { unauthenticated, type GatewayError } from '../errors';
import { API_KEY_PREFIX, InvalidApiKey, type ApiKeyStore } from './api-keys';
import { DEV_ISSUER, verifyDevToken } from './dev-tokens';
import type { OidcVerifier } from './oidc';
import type { Principal } from './principal';
import { DEFAULT_VERIFIED_TOKENS, VerifiedTokens, type VerifiedTokensOptions } from './verified-tokens';

export interface AuthenticatorOptions {
  apiKeys: ApiKeyStore;
  oidc?: OidcVerifier;
  /** Present only in sandbox mode: the key development tokens are signed with. */
  devKey?: Uint8Array;
  /** Verified JWTs answered from memory (see VerifiedTokens); ttlMs 0 verifies every request. */
  verifiedTokens?: Omit<VerifiedTokensOptions, 'now'>;
  /** The clock of the token cache and of development tokens' expiry (tests); default the real one. */
  now?: () => number;
}

/**
 * Turns an `Authorization` header into a Principal. No header: anonymous (undefined), which only
 * public fields accept. A header that is present but not valid is always an error, even for public
 * fields: a client with a broken token should learn it, not silently lose its identity.
 */
export class Authenticator {
  private readonly verified: VerifiedTokens;

  constructor(private readonly o: AuthenticatorOptions) {
    this.verified = new VerifiedTokens({ ...(o.verifiedTokens ?? DEFAULT_VERIFIED_TOKENS), now: o.now });
  }

  /**
   * The principal of a header whose token was verified a moment ago (see VerifiedTokens), found
   * without waiting; undefined when the header needs `authenticate` (anonymous, an API key, a token
   * not remembered, a malformed header).
   */
  remembered(header: string | undefined): Principal | undefined {
    if (header === undefined || !header.startsWith('Bearer ')) return undefined;
    const token = header.slice(7);
    if (token.startsWith(API_KEY_PREFIX)) return undefined;
    return this.verified.get(token);
  }

  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    if (header === undefined || header === '') return undefined;
    const m = /^Bearer ([^\s]+)$/.exec(header);
    if (!m) throw unauthenticated('Authorization header must be "Bearer <token>"');
    const token = m[1]!;
    if (token.startsWith(API_KEY_PREFIX)) return this.apiKey(token);
    return this.jwt(token);
  }

  private async apiKey(token: string): Promise<Principal> {
    try {
      return await this.o.apiKeys.verify(token);
    } catch (e) {
      if (e instanceof InvalidApiKey) throw unauthenticated(e.message);
      throw e;
    }
  }

  private async jwt(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) return known;
    // The unverified claims only pick the verifier and the wording of errors; trust comes after.
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw unauthenticated('token is neither a JWT nor an API key');
    }
    let principal: Principal;
    try {
      if (claims.iss === DEV_ISSUER) {
        if (!this.o.devKey) throw unauthenticated('development tokens are refused by a production gateway');
        const now = this.o.now && new Date(this.o.now());
        principal = await verifyDevToken(this.o.devKey, token, now);
      } else {
        if (!this.o.oidc) throw unauthenticated('no OIDC issuer is configured: use an API key');
        principal = await this.o.oidc.verify(token);
      }
    } catch (e) {
      throw toAuthError(e);
    }
    // Verified: the claims decoded above are the token's own, its `exp` included.
    this.verified.set(token, principal, claims.exp);
    return principal;
  }
}

/** jose's errors, in words that say what is wrong with the token without echoing it. */
function toAuthError(e: unknown): GatewayError {
  if ((e as GatewayError).extensions?.code) return e as GatewayError;
  if (e instanceof joseErrors.JWTExpired) return unauthenticated('token has expired: get a new one');
  if (e instanceof joseErrors.JWTClaimValidationFailed)
    return unauthenticated(`token claim "${e.claim}" is not accepted (${e.reason})`);
  if (e instanceof joseErrors.JOSEAlgNotAllowed)
    return unauthenticated('token is signed with an algorithm this gateway does not accept');
  if (e instanceof joseErrors.JWSSignatureVerificationFailed)
    return unauthenticated('token signature is not valid');
  if (e instanceof joseErrors.JWKSNoMatchingKey)
    return unauthenticated('token is signed with an unknown key');
  if (e instanceof joseErrors.JOSEError) return unauthenticated(`token is not valid (${e.code})`);
  return unauthenticated('token could not be verified');
}
