import type { GenericVendorConfig } from '@kentaur/vendors';
import type { Ledger } from '@kentaur/ledger';
import { DEFAULT_RESPONSE_CACHE, type ResponseCacheLimits } from './http/response-cache';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './security/query-limits';

/** OpenID Connect: how bearer JWTs from the factory's identity provider are verified. */
export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Pinned: a token signed with any other algorithm is refused (RFC 8725). */
  algorithms: string[];
  clockToleranceSeconds: number;
  /** Claim naming the Tenant object the token acts for. */
  tenantClaim: string;
  /** Claim holding the role; the value `admin` makes an administrator, anything else a tenant. */
  roleClaim: string;
}

export interface RateLimitConfig {
  /** Requests a tenant (or an anonymous client address) may make in a burst. */
  burst: number;
  /** Sustained requests per second. */
  perSecond: number;
}

/**
 * How long a client may take. Slow clients (slowloris: headers or body a byte at a time, or a
 * connection that never sends) get 408 and are disconnected once a request has taken `requestMs`;
 * Node looks for such requests only every `checkIntervalMs` (its default, 30 s, doubled the bound).
 */
export interface HttpTimeouts {
  /** The whole request, headers and body, from its first byte (or the connection's opening). */
  requestMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveMs: number;
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = Object.freeze({
  requestMs: 30_000,
  keepAliveMs: 10_000,
  checkIntervalMs: 1_000,
});

/** Everything the gateway is configured with; built once at start-up and injected (GATEWAY_CONFIG). */
export interface GatewayConfig {
  /** Path of a kubeconfig; absent: the in-cluster ServiceAccount. */
  kubeconfig?: string;
  host: string;
  /** Port 0 picks a free one (tests). */
  port: number;
  /**
   * `sandbox`: development tokens are accepted, GraphiQL and introspection are on, and workloads may
   * carry sandbox run times. `production`: none of that.
   */
  mode: 'sandbox' | 'production';
  /** Namespace of the gateway's own Secrets (API keys). */
  namespace: string;
  /** Where development tokens' signing key lives (sandbox mode only). */
  devTokenKeyFile?: string;
  oidc?: OidcConfig;
  /** Server-side secret mixed into API-key hashes; absent: API keys are refused. */
  apiKeyPepper?: string;
  limits: QueryLimits & { maxBodyBytes: number; maxBatch: number; maxPageSize: number };
  rateLimit: RateLimitConfig;
  /** Answers of repeated reads kept while what they read is unchanged (ADR 19); maxBytes 0: none. */
  responseCache: ResponseCacheLimits;
  /**
   * How often a running subscription checks again that its connection's credential (API key or
   * token) still authenticates; a revoked key or an expired token ends it with UNAUTHENTICATED.
   */
  subscriptionRecheckMs: number;
  /** Values for what pools and sites leave unset; the controller is configured with the same. */
  snapshotDefaults: { pricePerDeviceHourEUR: number; pue: number; gridCarbonGramsPerKWh: number };
  /** Pino log level; `silent` in tests. */
  logLevel: string;
  /**
   * The usage ledger, when this gateway can read it (a PostgreSQL ledger, or the embedded one shared
   * in `kentaur up`); absent: usage and transparency are derived from Workload status.
   */
  ledger?: Ledger;
  /** Vendors configured by data (`--vendors-file`), beside the built-in adapters; as the controller's. */
  vendors?: GenericVendorConfig[];
  /**
   * Image registry allow-list (prefixes, ADR 12), the same as the controller's: submitWorkload
   * refuses images outside it early, naming the field. A Tenant's spec.imageRegistries replaces it.
   * Absent or empty: any image. The controller enforces it regardless (Workloads can be created
   * with kubectl).
   */
  imageRegistries?: string[];
  /** Where logs go; default standard output (tests capture them here). */
  logStream?: NodeJS.WritableStream;
  /** Default DEFAULT_HTTP_TIMEOUTS. */
  httpTimeouts?: HttpTimeouts;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** Per tenant (anonymous clients: per address) and per replica. */
export const DEFAULT_RATE_LIMIT: RateLimitConfig = { burst: 100, perSecond: 50 };

export function gatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    host: '127.0.0.1',
    port: 4000,
    mode: 'production',
    namespace: 'kentaur-system',
    limits: { ...DEFAULT_QUERY_LIMITS, maxBodyBytes: 256 * 1024, maxBatch: 5, maxPageSize: 100 },
    rateLimit: DEFAULT_RATE_LIMIT,
    responseCache: DEFAULT_RESPONSE_CACHE,
    subscriptionRecheckMs: 15_000,
    snapshotDefaults: { pricePerDeviceHourEUR: 1, pue: 1.2, gridCarbonGramsPerKWh: 250 },
    logLevel: 'info',
    ...overrides,
  };
}

/** Depth of graphql-js's standard introspection query (GraphiQL sends it): nine levels of `ofType`. */
export const INTROSPECTION_DEPTH = 15;

/**
 * The limits in force: in sandbox mode, where introspection is on for GraphiQL, the depth limit
 * admits the standard introspection query (by depth, never by exempting introspection fields).
 */
export function effectiveLimits(config: GatewayConfig): GatewayConfig['limits'] {
  if (config.mode !== 'sandbox') return config.limits;
  return { ...config.limits, maxDepth: Math.max(config.limits.maxDepth, INTROSPECTION_DEPTH) };
}
