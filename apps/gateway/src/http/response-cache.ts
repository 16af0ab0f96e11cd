import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/principal';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's place in the response cache, when it may have one (ADR 19). */
    cacheSlot?: CacheSlot;
  }
}

interface CacheSlot {
  key: string;
  /** Set before execution when the document reads only the caches: the answer may then be kept. */
  stamp?: number;
}

/** An answer kept: the serialised body, and what the request's metrics and access line need. */
export interface Answer {
  stamp: number;
  body: string;
  operation: string | undefined;
}

export interface ResponseCacheLimits {
  /** All answers kept, keys included (characters, about bytes for the ASCII of JSON); 0: no cache. */
  maxBytes: number;
  /** An answer larger than this is not kept. */
  maxBodyBytes: number;
}

export const DEFAULT_RESPONSE_CACHE: ResponseCacheLimits = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxBodyBytes: 256 * 1024,
});

interface GraphQLBody {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/**
 * Answers of repeated reads, kept while what they read is unchanged (ADR 19). A tenant's dashboard
 * asks for the same page again and again; while none of its workloads changed, the answer is the
 * one given last time, and the gateway sends that body again instead of executing and serialising
 * the query.
 *
 * - Key: the principal's role and tenant (all a TenantScope depends on), the query text, the
 *   operation name and the variables. Two principals of one tenant share answers; nothing crosses
 *   tenants.
 * - Kept: an answer without errors, with status 200, of a document that reads only the caches
 *   (`readsOnlyCaches`), stamped before execution with the principal's ReadStamps.
 * - Given again: only while the principal's stamp is the stamp it was kept with. It is looked up
 *   after authentication, the cheap document checks and the rate limit, so a request answered from
 *   the cache is authenticated and counted as any other; the checks that come later (parsing,
 *   validation, depth and cost) depend only on the document, which passed them when it was kept.
 * - Bounded: beyond `maxBytes`, answers not used lately are dropped first (KeptAnswers).
 */
export class ResponseCache {
  private readonly answers: KeptAnswers;

  constructor(
    private readonly o: {
      limits: ResponseCacheLimits;
      /** The stamp of what a principal reads now (ReadStamps.of). */
      stampOf: (principal: Principal) => number | undefined;
      /** Whether a parsed document reads only the caches (rememberingCacheReads). */
      cacheable: (schema: GraphQLSchema, document: DocumentNode) => boolean;
    },
  ) {
    this.answers = new KeptAnswers(o.limits.maxBytes);
  }

  /**
   * Requests answered from the cache, and answers kept, since start. Plain counts, read by the
   * metrics when scraped: a prom-client counter's `inc` on every hit was a microsecond or two of a
   * request that costs the gateway about 150 (profile of `workload(id)`, npm run bench -- gateway).
   */
  readonly counts = { hit: 0, stored: 0 };

  get enabled(): boolean {
    return this.o.limits.maxBytes > 0;
  }

  /** Characters of the answers and keys kept. */
  get size(): number {
    return this.answers.size;
  }

  /**
   * Sends the kept answer of this request, if there is a current one, and says whether it did.
   * Otherwise notes the request's key, so that its answer can be kept. Call after authentication
   * and the rate limit.
   */
  answer(req: FastifyRequest, reply: FastifyReply, principal: Principal | undefined): boolean {
    if (!principal || !this.enabled) return false;
    const key = keyOf(req, principal);
    if (key === undefined) return false;
    const kept = this.answers.get(key);
    if (kept && kept.stamp === this.o.stampOf(principal)) {
      req.operation = kept.operation;
      this.counts.hit++;
      void reply.type('application/json; charset=utf-8').send(kept.body);
      return true;
    }
    req.cacheSlot = { key };
    return false;
  }

  /** Before execution: stamps the request if its document reads only the caches. */
  beforeExecution(schema: GraphQLSchema, document: DocumentNode, req: FastifyRequest): void {
    const slot = req.cacheSlot;
    if (!slot || !req.principal || !this.o.cacheable(schema, document)) return;
    slot.stamp = this.o.stampOf(req.principal);
  }

  /** The answer had errors: it is not kept. */
  failed(req: FastifyRequest): void {
    req.cacheSlot = undefined;
  }

  /** Keeps the serialised answer of a stamped request (a route's onSend hook). */
  sent(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const slot = req.cacheSlot;
    if (slot?.stamp === undefined || reply.statusCode !== 200 || typeof payload !== 'string') return;
    if (payload.length > this.o.limits.maxBodyBytes) return;
    if (this.answers.keep(slot.key, { stamp: slot.stamp, body: payload, operation: req.operation }))
      this.counts.stored++;
  }
}

/**
 * Answers by key, within `maxBytes` characters of keys and bodies. Beyond the bound, answers that
 * were not used since they were kept (or since their last second chance) are dropped first: the
 * oldest entry goes unless it was used, and a used one is moved to the end with its mark cleared
 * (the CLOCK approximation of least recently used). A hit only sets the mark, where a true LRU
 * would move the entry on every hit, two more hash lookups of a long key per request.
 */
export class KeptAnswers {
  private readonly answers = new Map<string, Answer & { used: boolean }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Characters of the keys and bodies kept. */
  get size(): number {
    return this.bytes;
  }

  get(key: string): Answer | undefined {
    const answer = this.answers.get(key);
    if (answer) answer.used = true;
    return answer;
  }

  /** Keeps `answer` in place of the key's last one; false when it alone exceeds the bound. */
  keep(key: string, answer: Answer): boolean {
    this.drop(key);
    const size = key.length + answer.body.length;
    if (size > this.maxBytes) return false;
    // Room first, among the answers kept before. Ends: each pass drops an answer or clears a mark,
    // and an answer whose mark was cleared goes last.
    while (this.bytes + size > this.maxBytes) {
      const [oldest, kept] = this.answers.entries().next().value as [string, Answer & { used: boolean }];
      this.answers.delete(oldest);
      if (kept.used) {
        kept.used = false;
        this.answers.set(oldest, kept);
      } else this.bytes -= oldest.length + kept.body.length;
    }
    this.answers.set(key, { ...answer, used: false });
    this.bytes += size;
    return true;
  }

  private drop(key: string): void {
    const answer = this.answers.get(key);
    if (!answer) return;
    this.answers.delete(key);
    this.bytes -= key.length + answer.body.length;
  }
}

/** The cache key of a single GraphQL operation (GET or POST); undefined for batches and the rest. */
function keyOf(req: FastifyRequest, principal: Principal): string | undefined {
  const body = (req.method === 'GET' ? req.query : req.body) as GraphQLBody | GraphQLBody[] | undefined;
  if (!body || Array.isArray(body) || typeof body.query !== 'string' || body.extensions !== undefined)
    return undefined;
  // Every part but the last is JSON, which has no NUL of its own: two different requests never
  // share a key. A GET's variables are its JSON text, a POST's the object in the order sent.
  const name = JSON.stringify(typeof body.operationName === 'string' ? body.operationName : null);
  const variables = JSON.stringify(body.variables ?? null);
  return `${principal.role}\u0000${principal.tenant ?? ''}\u0000${name}\u0000${variables}\u0000${body.query}`;
}
