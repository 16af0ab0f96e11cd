import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  NoSchemaIntrospectionCustomRule,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql';
import type { VendorRegistry } from '@kentaur/vendors';
import { AccessGuard } from './access/access.guard';
import { gatewayContext } from './access/context';
import type { ApiKeyStore } from './auth/api-keys';
import type { Authenticator } from './auth/authenticator';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { AdminResolver } from './graphql/admin/admin.resolver';
import { CapacityResolver } from './graphql/capacity/capacity.resolver';
import { MeResolver } from './graphql/me/me.resolver';
import { QuoteResolver } from './graphql/quotes/quote.resolver';
import { QueueRuns } from './graphql/quotes/queue-runs';
import { TransparencyResolver } from './graphql/transparency/transparency.resolver';
import { UsageResolver } from './graphql/usage/usage.resolver';
import { SubmitWorkload } from './graphql/workloads/submit-workload.use-case';
import { ListWorkloads } from './graphql/workloads/list-workloads.use-case';
import { readPlainFieldsInline } from './graphql/plain-fields';
import { WorkloadOrder } from './graphql/workloads/workload-order';
import { WorkloadWatch } from './graphql/workloads/workload-watch';
import { WorkloadsResolver } from './graphql/workloads/workloads.resolver';
import { formatExecution } from './http/error-formatter';
import { GraphQLExceptionFilter } from './http/graphql-exception.filter';
import { requestGuard } from './http/request-guard';
import type { RateLimiter } from './http/rate-limiter';
import type { ResponseCache } from './http/response-cache';
import { ApiKeyStore as ApiKeyStoreToken } from './auth/api-keys';
import { GatewayState } from './kube/gateway-state';
import {
  rememberingOperationLabel,
  requestedOperationName,
  type GatewayMetrics,
} from './metrics/gateway-metrics';
import { VENDOR_REGISTRY } from './kube/tokens';
import { checkDocument } from './security/document-checks';
import { queryLimitsRule } from './security/query-limits';
import { subscriptionChecks } from './security/subscription-checks';

/** The collaborators built in main.ts (they own connections and caches) and provided to resolvers. */
export interface GatewayDeps {
  state: GatewayState;
  apiKeys: ApiKeyStore;
  authenticator: Authenticator;
  watch: WorkloadWatch;
  registry: VendorRegistry;
  submit: SubmitWorkload;
  limiter: RateLimiter;
  metrics: GatewayMetrics;
  responseCache: ResponseCache;
  logInternal: (reference: string, error: unknown) => void;
}

/** Configuration is the one global provider (STYLE.md). */
@Global()
@Module({})
class ConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}

type SendDone = (error: Error | null, payload: unknown) => void;

/** Uses of one query text after which it is compiled (ADR 14). */
export const JIT_MIN_USES = 3;

/** The /graphql route's own hooks: the request guard, and keeping answers of repeated reads. */
function routeOptions(config: GatewayConfig, deps: GatewayDeps) {
  return {
    preHandler: requestGuard({
      config,
      authenticator: deps.authenticator,
      limiter: deps.limiter,
      onRateLimited: () => deps.metrics.rateLimited.inc(),
      answers: deps.responseCache,
    }),
    // Keeps the answers of repeated reads (ADR 19); without the cache, no hook.
    ...(deps.responseCache.enabled
      ? {
          onSend: (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: SendDone) => {
            deps.responseCache.sent(request, reply, payload);
            done(null, payload);
          },
        }
      : {}),
  };
}

function graphqlOptions(config: GatewayConfig, deps: GatewayDeps): MercuriusDriverConfig {
  const sandbox = config.mode === 'sandbox';
  const labelOf = rememberingOperationLabel();
  return {
    driver: MercuriusDriver,
    autoSchemaFile: true,
    sortSchema: true,
    path: '/graphql',
    graphiql: sandbox,
    allowBatchedQueries: true,
    // A query seen JIT_MIN_USES times is compiled (graphql-jit) while the event loop has room; until
    // then, and for variables always, graphql-js validates and executes it (ADR 14).
    jit: { minCount: JIT_MIN_USES, eluThreshold: 0.9 },
    // Plain fields read inline by compiled queries, not through a resolver each (plain-fields.ts).
    transformSchema: readPlainFieldsInline,
    // Credentials travel only in the Authorization header (or the WebSocket's connection_init), never
    // in cookies, so a cross-site request carries none: CSRF prevention would only break WebSockets.
    csrfPrevention: false,
    context: (request: FastifyRequest) => gatewayContext(request.principal, deps.state),
    // Static rules, so Mercurius caches each document's validation; page sizes given as variables are
    // costed at the largest page (the rule cannot see variables then).
    validationRules: [queryLimitsRule(config.limits), ...(sandbox ? [] : [NoSchemaIntrospectionCustomRule])],
    errorFormatter: (execution, context) => {
      const formatted = formatExecution(execution, {
        hideSuggestions: !sandbox,
        logInternal: deps.logInternal,
      });
      const request = (context as { reply?: { request?: FastifyRequest } }).reply?.request;
      if (request) deps.responseCache.failed(request);
      const operation = request?.operation ?? 'none';
      for (const e of formatted.response.errors)
        deps.metrics.errors.inc({ operation, code: e.extensions.code });
      return formatted;
    },
    additionalRouteOptions: routeOptions(config, deps),
    hooks: {
      ...subscriptionChecks({ limits: config.limits, introspection: sandbox, hideSuggestions: !sandbox }),
      // Between parsing and graphql's validation (documents that pass are cached and skip it).
      preValidation: (_schema: GraphQLSchema, document: DocumentNode) =>
        checkDocument(document, config.limits),
      // The metrics' operation label: the first root field of the operation run, known to the schema.
      preExecution: (
        schema: GraphQLSchema,
        document: DocumentNode,
        context: { reply?: { request?: FastifyRequest } },
      ) => {
        const request = context.reply?.request;
        if (!request) return;
        request.operation = labelOf(schema, document, () => requestedOperationName(request));
        deps.responseCache.beforeExecution(schema, document, request);
      },
    },
    subscription: {
      keepAlive: 30_000,
      // graphql-ws: the token travels in connection_init's payload ({ authorization: "Bearer …" }).
      onConnect: async ({ payload }: { payload?: Record<string, unknown> }) => {
        const header = payload?.authorization ?? payload?.Authorization;
        const credential = typeof header === 'string' ? header : undefined;
        try {
          const principal = await deps.authenticator.authenticate(credential);
          if (!principal) return false;
          // A connection lives long; its credential may be revoked or expire meanwhile.
          const stillValid = () =>
            deps.authenticator.authenticate(credential).then(
              (p) => p !== undefined,
              () => false,
            );
          return {
            ...gatewayContext(principal, deps.state),
            credential: { stillValid, everyMs: config.subscriptionRecheckMs },
          };
        } catch (e) {
          if ((e as GraphQLError).extensions?.code) return false;
          throw e;
        }
      },
    },
  } as MercuriusDriverConfig;
}

/** Every resolver of the API: the module provides them, and schema.ts prints the schema from them. */
export const RESOLVERS = [
  MeResolver,
  WorkloadsResolver,
  QuoteResolver,
  CapacityResolver,
  UsageResolver,
  AdminResolver,
  TransparencyResolver,
];

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, deps: GatewayDeps): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        GraphQLModule.forRoot<MercuriusDriverConfig>(graphqlOptions(config, deps)),
      ],
      providers: [
        { provide: GatewayState, useValue: deps.state },
        { provide: ApiKeyStoreToken, useValue: deps.apiKeys },
        { provide: WorkloadWatch, useValue: deps.watch },
        {
          provide: ListWorkloads,
          useFactory: (state: GatewayState) =>
            new ListWorkloads({
              order: new WorkloadOrder(state.workloads),
              maxPageSize: config.limits.maxPageSize,
            }),
          inject: [GatewayState],
        },
        {
          provide: QueueRuns,
          useFactory: (state: GatewayState) =>
            new QueueRuns({
              snapshot: () => state.snapshotSteps(),
              onRun: (seconds) => deps.metrics.queueRunDuration.observe(seconds),
              onError: (error) => deps.logInternal('queue-run', error),
            }),
          inject: [GatewayState],
        },
        { provide: SubmitWorkload, useValue: deps.submit },
        { provide: VENDOR_REGISTRY, useValue: deps.registry },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: GraphQLExceptionFilter },
        ...RESOLVERS,
      ],
    };
  }
}
