import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

/**
 * The gateway's Prometheus metrics (prefix `kentaur_gateway_` and the process metrics). The
 * `operation` label is the operation's first root field (e.g. `submitWorkload`), checked against the
 * schema, so clients cannot grow the label set; a request that never got that far is `none`.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'kentaur_gateway_request_duration_seconds',
    help: 'GraphQL requests by operation (first root field) and HTTP status.',
    labelNames: ['operation', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'kentaur_gateway_errors_total',
    help: 'GraphQL errors answered, by operation and extensions.code.',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly queueRunDuration = new Histogram({
    name: 'kentaur_gateway_queue_run_seconds',
    help: 'Runs of the queue for quotes (ADR 17, 18): a snapshot of the caches and a scheduling cycle, the time of its slices; other requests are answered between slices.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'kentaur_gateway_rate_limited_total',
    help: 'Requests refused by the per-client rate limit.',
    registers: [this.registry],
  });

  constructor(
    o: {
      subscriptions?: () => number;
      /** The response cache's counts since start and its size (ADR 19). */
      responseCache?: () => { hit: number; stored: number; bytes: number };
    } = {},
  ) {
    const count = o.subscriptions ?? (() => 0);
    const cache = o.responseCache ?? (() => ({ hit: 0, stored: 0, bytes: 0 }));
    new Counter({
      name: 'kentaur_gateway_response_cache_total',
      help: 'Answers of repeated reads (ADR 19): `hit`, sent again from the cache; `stored`, kept for later.',
      labelNames: ['result'] as const,
      registers: [this.registry],
      // Counted by the cache itself, read when scraped.
      collect() {
        const { hit, stored } = cache();
        this.reset();
        this.inc({ result: 'hit' }, hit);
        this.inc({ result: 'stored' }, stored);
      },
    });
    new Gauge({
      name: 'kentaur_gateway_response_cache_bytes',
      help: 'Size of the answers and keys the response cache keeps (characters of JSON).',
      registers: [this.registry],
      collect() {
        this.set(cache().bytes);
      },
    });
    new Gauge({
      name: 'kentaur_gateway_subscriptions',
      help: 'Open workloadEvents subscriptions.',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'kentaur_gateway_' });
  }
}

/** The first root field of the executed operation, if the schema has it; else `unknown`. */
export function operationLabel(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string,
): string {
  const ops = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const op = ops.find((o) => o.name?.value === operationName) ?? ops[0];
  const first = op?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  if (!op || !first || first.kind !== Kind.FIELD) return 'unknown';
  const roots = {
    query: schema.getQueryType(),
    mutation: schema.getMutationType(),
    subscription: schema.getSubscriptionType(),
  };
  const root = roots[op.operation as keyof typeof roots];
  const name = first.name.value;
  return root?.getFields()[name] ? name : 'unknown';
}

/**
 * `operationLabel` of each parsed document, worked out once: Mercurius keeps the documents of the
 * queries it has seen and hands the same object to every request of one (ADR 14), so the label of a
 * repeated query is a lookup. Documents are held weakly and go when Mercurius drops them. A document
 * of several operations is labelled by the one the request names (`operationName`, asked for only
 * then), each time: the name is the client's, and remembering every name sent would let a client
 * grow the memory.
 */
export function rememberingOperationLabel(): (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: () => string | undefined,
) => string {
  const known = new WeakMap<DocumentNode, string | typeof SEVERAL>();
  return (schema, document, operationName) => {
    let label = known.get(document);
    if (label === undefined) {
      label = operationsIn(document) > 1 ? SEVERAL : operationLabel(schema, document);
      known.set(document, label);
    }
    return label === SEVERAL ? operationLabel(schema, document, operationName()) : label;
  };
}

const SEVERAL = Symbol('several operations');

function operationsIn(document: DocumentNode): number {
  return document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
}

/**
 * The `operationName` a GraphQL-over-HTTP request names: in the query string of a GET, in the body
 * of a POST. A batch (an array body) names none here; its label is its first operation's.
 */
export function requestedOperationName(request: {
  method: string;
  query: unknown;
  body: unknown;
}): string | undefined {
  const params = request.method === 'GET' ? request.query : request.body;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const name = (params as { operationName?: unknown }).operationName;
  return typeof name === 'string' ? name : undefined;
}
