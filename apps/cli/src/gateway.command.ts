import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_RATE_LIMIT,
  DEFAULT_RESPONSE_CACHE,
  gatewayConfig,
  startGateway,
  type GatewayConfig,
} from '@kentaur/gateway';
import { openLedger } from '@kentaur/ledger';
import { SandboxLayout } from '@kentaur/sandbox';
import { loadVendorsFile } from '@kentaur/vendors';
import { imageRegistriesFrom } from './controller.command';
import { nonNegativeNumber, positiveNumber } from './flags';

/** Where the sandbox keeps the key development tokens are signed with. */
export const devTokenKeyFile = (layout: SandboxLayout) => join(layout.root, 'dev-token.key');

/** OIDC verification, when both an issuer and a JWKS URL are given (flags, else environment). */
function oidcFrom(
  values: { 'oidc-issuer'?: string; 'oidc-jwks-url'?: string; 'oidc-audience'?: string },
  env: NodeJS.ProcessEnv,
): GatewayConfig['oidc'] {
  const issuer = values['oidc-issuer'] ?? env.KENTAUR_OIDC_ISSUER;
  const jwksUrl = values['oidc-jwks-url'] ?? env.KENTAUR_OIDC_JWKS_URL;
  if (!issuer || !jwksUrl) return undefined;
  return {
    issuer,
    jwksUrl,
    audience: values['oidc-audience'] ?? env.KENTAUR_OIDC_AUDIENCE ?? 'kentaur',
    algorithms: (env.KENTAUR_OIDC_ALGORITHMS ?? 'RS256,ES256').split(','),
    clockToleranceSeconds: 30,
    tenantClaim: env.KENTAUR_OIDC_TENANT_CLAIM ?? 'kentaur_tenant',
    roleClaim: env.KENTAUR_OIDC_ROLE_CLAIM ?? 'kentaur_role',
  };
}

/**
 * The per-tenant rate limit (per replica) from --rate-limit-per-second and --rate-limit-burst, else
 * KENTAUR_RATE_LIMIT_PER_SECOND and KENTAUR_RATE_LIMIT_BURST; either may be given alone. A value
 * that is not a positive number stops start-up with a message naming the flag.
 */
export function rateLimitFrom(
  values: { 'rate-limit-per-second'?: string; 'rate-limit-burst'?: string },
  env: NodeJS.ProcessEnv,
): Partial<GatewayConfig['rateLimit']> {
  const perSecond = positiveNumber(
    'rate-limit-per-second',
    values['rate-limit-per-second'] ?? env.KENTAUR_RATE_LIMIT_PER_SECOND,
    { env: 'KENTAUR_RATE_LIMIT_PER_SECOND', example: '50' },
  );
  const burst = positiveNumber(
    'rate-limit-burst',
    values['rate-limit-burst'] ?? env.KENTAUR_RATE_LIMIT_BURST,
    {
      env: 'KENTAUR_RATE_LIMIT_BURST',
      example: '100',
    },
  );
  return { ...(perSecond !== undefined ? { perSecond } : {}), ...(burst !== undefined ? { burst } : {}) };
}

/**
 * The response cache's size (ADR 19) from --response-cache-mb, else KENTAUR_RESPONSE_CACHE_MB, in
 * MiB; 0 turns it off. Not given: the default.
 */
export function responseCacheFrom(
  values: { 'response-cache-mb'?: string },
  env: NodeJS.ProcessEnv,
): GatewayConfig['responseCache'] {
  const mb = nonNegativeNumber(
    'response-cache-mb',
    values['response-cache-mb'] ?? env.KENTAUR_RESPONSE_CACHE_MB,
    { env: 'KENTAUR_RESPONSE_CACHE_MB', unit: 'MiB', example: '16' },
  );
  return mb === undefined
    ? DEFAULT_RESPONSE_CACHE
    : { ...DEFAULT_RESPONSE_CACHE, maxBytes: Math.round(mb * 1024 * 1024) };
}

/**
 * The gateway's configuration from flags and the environment. Secrets (the API-key pepper) come
 * only from the environment, never from flags, so they do not show in process listings.
 */
export function gatewayConfigFrom(argv: string[], env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      sandbox: { type: 'boolean' },
      'oidc-issuer': { type: 'string' },
      'oidc-audience': { type: 'string' },
      'oidc-jwks-url': { type: 'string' },
      'log-level': { type: 'string' },
      'vendors-file': { type: 'string' },
      'image-registries': { type: 'string' },
      'rate-limit-per-second': { type: 'string' },
      'rate-limit-burst': { type: 'string' },
      'response-cache-mb': { type: 'string' },
    },
  });
  const vendorsFile = values['vendors-file'] ?? env.KENTAUR_VENDORS_FILE;
  const kubeconfig = values.kubeconfig ?? env.KUBECONFIG;
  const sandbox = Boolean(values.sandbox);
  const oidc = oidcFrom(values, env);
  const imageRegistries = imageRegistriesFrom(values['image-registries'], env);
  return gatewayConfig({
    rateLimit: { ...DEFAULT_RATE_LIMIT, ...rateLimitFrom(values, env) },
    responseCache: responseCacheFrom(values, env),
    ...(imageRegistries ? { imageRegistries } : {}),
    ...(kubeconfig ? { kubeconfig: resolve(kubeconfig) } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
    mode: sandbox ? 'sandbox' : 'production',
    ...(sandbox ? { devTokenKeyFile: devTokenKeyFile(SandboxLayout.forCwd(process.cwd(), env)) } : {}),
    apiKeyPepper: env.KENTAUR_API_KEY_PEPPER,
    ...(oidc ? { oidc } : {}),
    ...(vendorsFile ? { vendors: loadVendorsFile(resolve(vendorsFile)) } : {}),
  });
}

/** `kentaur gateway`: runs the GraphQL gateway in the foreground until SIGINT/SIGTERM. */
export async function runGateway(argv: string[]): Promise<number> {
  const base = gatewayConfigFrom(argv);
  // A PostgreSQL ledger can be shared with the controller; an embedded one cannot (one process only).
  const ledger = process.env.KENTAUR_LEDGER_URL
    ? await openLedger({ url: process.env.KENTAUR_LEDGER_URL })
    : undefined;
  const config = { ...base, ledger };
  const gateway = await startGateway(config);
  process.stderr.write(`kentaur gateway: GraphQL on ${gateway.url}/graphql (${config.mode} mode)\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await gateway.stop();
  await ledger?.close();
  return 0;
}
