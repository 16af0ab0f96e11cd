import type { Principal } from './principal';

export interface VerifiedTokensOptions {
  /** How long a verified token is answered from memory before it is verified again. */
  ttlMs: number;
  /** Tokens remembered at most; beyond, the oldest is forgotten. */
  maxEntries: number;
  now?: () => number;
}

/** 10 s: a client sending a request a second still skips 9 of 10 verifications. */
export const DEFAULT_VERIFIED_TOKENS: VerifiedTokensOptions = { ttlMs: 10_000, maxEntries: 10_000 };

interface Entry {
  principal: Principal;
  /** Served until then: the token's `exp` or the end of the TTL, whichever comes first. */
  until: number;
}

/**
 * Principals of JWTs verified a moment ago, by the exact token text, so that a client presenting
 * the same token on every request does not pay a signature verification each time (WebCrypto's
 * HS256 verification, with jose importing the key again per call, was a fifth of the CPU time of
 * `workload(id)` in a profile of `npm run bench -- gateway`, tests/bench/profile-summary.js).
 *
 * What is remembered is a pure function of the token's bytes, the verifier's key and time: a token
 * that verified stays valid until its `exp`. An entry is served only before `exp` — without the
 * verifier's clock tolerance, so the cache never accepts what verification would refuse; near the
 * end the token is verified again and refused in the verifier's own words — and for at most `ttlMs`,
 * which bounds how long an OIDC signing key the issuer withdrew keeps being trusted here beyond
 * jose's own cache of the key set. Refused tokens are not remembered. What the principal may see is
 * not cached: its TenantScope is built per request from the current Tenant. API keys do not go
 * through here (a revoked key must fail on its next request).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly o: VerifiedTokensOptions = DEFAULT_VERIFIED_TOKENS) {
    this.now = o.now ?? Date.now;
  }

  /** The principal of `token` if it verified within the TTL and has not expired. */
  get(token: string): Principal | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (this.now() < e.until) return e.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a token that was just verified; `expSeconds` is its (verified) `exp` claim. */
  set(token: string, principal: Principal, expSeconds: number | undefined): void {
    if (this.o.ttlMs <= 0 || this.o.maxEntries <= 0 || typeof expSeconds !== 'number') return;
    const now = this.now();
    const until = Math.min(expSeconds * 1000, now + this.o.ttlMs);
    if (until <= now) return;
    this.entries.delete(token);
    while (this.entries.size >= this.o.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(token, { principal, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
