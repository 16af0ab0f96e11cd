import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import type { GatewayConfig } from '../config';
import { GatewayError, type ErrorCode } from '../errors';
import { rememberingSourceCheck } from '../security/query-limits';
import type { RateLimiter } from './rate-limiter';

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

/**
 * Runs before Mercurius parses anything: bounded batches, query length and token count (cheap
 * checks on the raw text, so an abusive document never reaches the parser), then authentication
 * and the per-client rate limit. Body size is Fastify's bodyLimit.
 */
export function requestGuard(o: {
  config: GatewayConfig;
  authenticator: Authenticator;
  limiter: RateLimiter;
  onRateLimited: () => void;
}) {
  const { limits } = o.config;
  const checkSource = rememberingSourceCheck(limits);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const docs = documents(req);
    if (docs.length > limits.maxBatch)
      return reject(reply, {
        status: 400,
        code: 'BATCH_TOO_LARGE',
        message: `a batch may hold at most ${limits.maxBatch} operations`,
        extra: {
          max: limits.maxBatch,
        },
      });
    for (const doc of docs) {
      if (typeof doc !== 'string') continue;
      const v = checkSource(doc);
      if (v)
        return reject(reply, {
          status: 400,
          code: 'QUERY_TOO_COMPLEX',
          message: v.message,
          extra: { limit: v.limit, max: v.max },
        });
    }
    let principal: Principal | undefined;
    try {
      principal = await o.authenticator.authenticate(req.headers.authorization);
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      // Failed authentications count against the address: token guessing is rate-limited too.
      const wait = o.limiter.take(`ip:${req.ip}`, docs.length);
      if (wait > 0) {
        o.onRateLimited();
        return tooMany(reply, wait);
      }
      return reject(reply, { status: 401, code: e.code, message: e.message });
    }
    req.principal = principal;
    const client = principal
      ? principal.tenant
        ? `tenant:${principal.tenant}`
        : `subject:${principal.subject}`
      : `ip:${req.ip}`;
    // Each operation of a batch counts.
    const wait = o.limiter.take(client, docs.length);
    if (wait > 0) {
      o.onRateLimited();
      return tooMany(reply, wait);
    }
    return undefined;
  };
}
