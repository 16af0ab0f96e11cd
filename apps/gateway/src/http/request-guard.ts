import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import type { GatewayConfig } from '../config';
import { GatewayError, type ErrorCode } from '../errors';
import { rememberingSourceCheck, type LimitViolation } from '../security/query-limits';
import type { RateLimiter } from './rate-limiter';
import type { ResponseCache } from './response-cache';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The GraphQL operation's first root field, for metrics (set before execution). */
    operation?: string;
  }
}

interface GraphQLBody {
  query?: unknown;
}

interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
  extra?: object;
}

function reject(reply: FastifyReply, r: Refusal) {
  const extensions = { code: r.code, ...r.extra };
  return reply.code(r.status).send({ data: null, errors: [{ message: r.message, extensions }] });
}

function tooMany(reply: FastifyReply, wait: number) {
  void reply.header('retry-after', String(wait));
  return reject(reply, {
    status: 429,
    code: 'RATE_LIMITED',
    message: `too many requests: retry after ${wait} s`,
    extra: { retryAfterSeconds: wait },
  });
}

/** The documents of a request: one, or a bounded batch. */
function documents(req: FastifyRequest): unknown[] {
  if (req.method === 'GET') return [(req.query as GraphQLBody | undefined)?.query];
  const body = req.body as GraphQLBody | GraphQLBody[] | undefined;
  return Array.isArray(body) ? body.map((b) => b?.query) : [body?.query];
}

/** Why a request's documents are refused before parsing, if they are. */
function refusal(
  docs: unknown[],
  limits: GatewayConfig['limits'],
  checkSource: (source: string) => LimitViolation | undefined,
): Refusal | undefined {
  if (docs.length > limits.maxBatch)
    return {
      status: 400,
      code: 'BATCH_TOO_LARGE',
      message: `a batch may hold at most ${limits.maxBatch} operations`,
      extra: { max: limits.maxBatch },
    };
  for (const doc of docs) {
    if (typeof doc !== 'string') continue;
    const v = checkSource(doc);
    if (v)
      return {
        status: 400,
        code: 'QUERY_TOO_COMPLEX',
        message: v.message,
        extra: { limit: v.limit, max: v.max },
      };
  }
  return undefined;
}

/**
 * Runs before Mercurius parses anything: bounded batches, query length and token count (cheap
 * checks on the raw text, so an abusive document never reaches the parser), then authentication
 * and the per-client rate limit, then the response cache (a repeated read may be answered from it).
 * Body size is Fastify's bodyLimit.
 *
 * A Fastify hook in callback style: a token verified a moment ago is answered without waiting
 * (`Authenticator.remembered`), so the common request passes without a promise; the others wait
 * for `authenticate`. A refusal is sent from the hook, and then `done` is not called.
 */
export function requestGuard(o: {
  config: GatewayConfig;
  authenticator: Authenticator;
  limiter: RateLimiter;
  onRateLimited: () => void;
  /** Answers of repeated reads (ADR 19), looked up once the request is authenticated and counted. */
  answers?: ResponseCache;
}) {
  const { limits } = o.config;
  const checkSource = rememberingSourceCheck(limits);

  /** The rate limit of an authenticated (or anonymous) request; false when it was refused. */
  function withinLimit(
    req: FastifyRequest,
    reply: FastifyReply,
    docs: unknown[],
    principal: Principal | undefined,
  ): boolean {
    req.principal = principal;
    const client = principal
      ? principal.tenant
        ? `tenant:${principal.tenant}`
        : `subject:${principal.subject}`
      : `ip:${req.ip}`;
    // Each operation of a batch counts.
    const wait = o.limiter.take(client, docs.length);
    if (wait <= 0) return true;
    o.onRateLimited();
    tooMany(reply, wait);
    return false;
  }

  /** A credential that failed: counted against the address, as token guessing is rate-limited too. */
  function refused(req: FastifyRequest, reply: FastifyReply, docs: unknown[], e: GatewayError) {
    const wait = o.limiter.take(`ip:${req.ip}`, docs.length);
    if (wait > 0) {
      o.onRateLimited();
      return tooMany(reply, wait);
    }
    return reject(reply, { status: 401, code: e.code, message: e.message });
  }

  return (req: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    const docs = documents(req);
    const refuse = refusal(docs, limits, checkSource);
    if (refuse) {
      reject(reply, refuse);
      return;
    }
    const header = req.headers.authorization;
    const known = o.authenticator.remembered(header);
    if (known) {
      if (withinLimit(req, reply, docs, known) && !o.answers?.answer(req, reply, known)) done();
      return;
    }
    const failed = (e: unknown) => done(e instanceof Error ? e : new Error(String(e)));
    o.authenticator
      .authenticate(header)
      .then(
        (principal) => {
          if (withinLimit(req, reply, docs, principal) && !o.answers?.answer(req, reply, principal)) done();
        },
        (e: unknown) => {
          if (e instanceof GatewayError) refused(req, reply, docs, e);
          else failed(e);
        },
      )
      // A throw while answering (each handler calls `done` last, if at all) ends as Fastify's 500.
      .catch(failed);
  };
}
