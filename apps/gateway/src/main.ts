import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { inClusterCredentials, KubeClient, loadKubeconfig } from '@kentaur/k8s-runtime';
import { VendorRegistry } from '@kentaur/vendors';
import { GatewayModule, type GatewayDeps } from './app.module';
import { ApiKeyStore } from './auth/api-keys';
import { Authenticator } from './auth/authenticator';
import { loadOrCreateDevKey } from './auth/dev-tokens';
import { OidcVerifier } from './auth/oidc';
import {
  DEFAULT_HTTP_TIMEOUTS,
  DEFAULT_RATE_LIMIT,
  effectiveLimits,
  gatewayConfig,
  type GatewayConfig,
  type HttpTimeouts,
} from './config';
import { SubmitWorkload } from './graphql/workloads/submit-workload.use-case';
import { WorkloadWatch } from './graphql/workloads/workload-watch';
import { TransparencyResolver } from './graphql/transparency/transparency.resolver';
import { GatewayError } from './errors';
import { gatewayLogging } from './http/logging';
import { RateLimiter } from './http/rate-limiter';
import { DEFAULT_RESPONSE_CACHE, ResponseCache, type ResponseCacheLimits } from './http/response-cache';
import { SlowClients } from './http/slow-clients';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { GatewayState } from './kube/gateway-state';
import { ReadStamps } from './kube/read-stamps';
import { rememberingCacheReads } from './graphql/cached-reads';

export {
  DEFAULT_HTTP_TIMEOUTS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_RESPONSE_CACHE,
  gatewayConfig,
  type GatewayConfig,
  type HttpTimeouts,
  type ResponseCacheLimits,
};

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  port: number;
  state: GatewayState;
  watch: WorkloadWatch;
  stop(): Promise<void>;
}

function buildDeps(config: GatewayConfig, log: (reference: string, error: unknown) => void): GatewayDeps {
  const credentials = config.kubeconfig ? loadKubeconfig(config.kubeconfig) : inClusterCredentials();
  const client = new KubeClient({ credentials, userAgent: 'kentaur-gateway' });
  const state = new GatewayState(client, config.snapshotDefaults);
  const apiKeys = new ApiKeyStore({ client, namespace: config.namespace, pepper: config.apiKeyPepper });
  const sandbox = config.mode === 'sandbox';
  const devKey = sandbox && config.devTokenKeyFile ? loadOrCreateDevKey(config.devTokenKeyFile) : undefined;
  const authenticator = new Authenticator({
    apiKeys,
    devKey,
    oidc: config.oidc ? new OidcVerifier(config.oidc) : undefined,
  });
  const registry = new VendorRegistry({ generic: config.vendors });
  const watch = new WorkloadWatch(state.workloads);
  const stamps = new ReadStamps(state);
  const responseCache = new ResponseCache({
    limits: config.responseCache,
    stampOf: (principal) => stamps.of(principal),
    cacheable: rememberingCacheReads(),
  });
  const metrics = new GatewayMetrics({
    subscriptions: () => watch.subscriptions,
    responseCache: () => ({ ...responseCache.counts, bytes: responseCache.size }),
  });
  return {
    state,
    apiKeys,
    authenticator,
    registry,
    watch,
    submit: new SubmitWorkload({ state, registry, sandbox, imageRegistries: config.imageRegistries }),
    limiter: new RateLimiter(config.rateLimit),
    metrics,
    responseCache,
    logInternal: log,
  };
}

/**
 * Starts the gateway: caches first (readiness waits for them), then the HTTP server. Returns once
 * it listens with synced caches.
 */
export async function startGateway(given: GatewayConfig): Promise<RunningGateway> {
  const config = { ...given, limits: effectiveLimits(given) };
  const timeouts = config.httpTimeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const adapter = new FastifyAdapter({
    bodyLimit: config.limits.maxBodyBytes,
    ...gatewayLogging(config.logLevel, config.logStream),
    // The gateway has no Nest middleware: without @fastify/middie no request runs its empty chain.
    skipMiddie: true,
    // Slow clients (slowloris) are cut off: see HttpTimeouts.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: { connectionsCheckingInterval: timeouts.checkIntervalMs },
  });
  const fastify = adapter.getInstance();
  const deps = buildDeps(config, (reference, error) =>
    fastify.log.error({ err: error, reference }, 'internal error'),
  );
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config, deps), adapter, {
    logger: ['warn', 'error'],
    // Fastify's own JSON parser (with bodyLimit), not a second one of Nest's wrapping the same.
    bodyParser: false,
  });
  const ready = () => deps.state.hasSynced() && deps.apiKeys.informer.hasSynced();
  const { metrics } = deps;
  const slowClients = new SlowClients(fastify.server, timeouts);
  fastify.addHook('onClose', (_instance, done) => {
    slowClients.stop();
    done();
  });
  // The gateway's one response hook: each hook costs every request a turn of Fastify's runner.
  fastify.addHook('onResponse', (req, reply, done) => {
    slowClients.answered(req.raw);
    if (req.url.startsWith('/graphql'))
      metrics.requestDuration.observe(
        { operation: req.operation ?? 'none', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    done();
  });
  fastify.get('/metrics', async (_req, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  fastify.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  fastify.get('/readyz', (_req, reply) => reply.code(ready() ? 200 : 503).send({ ready: ready() }));
  const transparency = app.get(TransparencyResolver);
  fastify.get('/transparency.json', async (req, reply) => {
    const q = req.query as { period?: string; at?: string };
    try {
      return reply.send(await transparency.report(q.period === 'month' ? 'month' : 'day', q.at));
    } catch (e) {
      if (e instanceof GatewayError) return reply.code(400).send({ error: e.message });
      fastify.log.error({ err: e }, 'transparency report failed');
      return reply.code(500).send({ error: 'internal error' });
    }
  });
  deps.state.start();
  deps.apiKeys.informer.start();
  await app.listen(config.port, config.host);
  await Promise.all([deps.state.waitForSync(), deps.apiKeys.informer.waitForSync()]);
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    port,
    state: deps.state,
    watch: deps.watch,
    async stop() {
      await app.close();
      await deps.state.stop();
      await deps.apiKeys.informer.stop();
      deps.state.client.close();
    },
  };
}
