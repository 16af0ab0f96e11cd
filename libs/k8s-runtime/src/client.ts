import http from 'node:http';
import https from 'node:https';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { KubeApiError, type KubeStatus } from './errors';
import type { ClusterCredentials } from './kubeconfig';
import type { ResourceType } from './resource-types';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface KubeClientOptions {
  credentials: ClusterCredentials;
  userAgent?: string;
  /**
   * Requests in flight to the API server at once (HTTP/1.1 keep-alive connections). Watches have
   * connections of their own and never take one of these: a long-lived watch holding a request's
   * connection would leave the requests behind it waiting.
   */
  maxSockets?: number;
  /** Per-request timeout for non-watch requests. */
  requestTimeoutMs?: number;
  /** 429 answers are retried after their Retry-After (capped here) this many times before failing. */
  maxThrottleRetries?: number;
  maxRetryAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Called after every answered non-watch request, for metrics: verb, HTTP status, seconds, and the
   * resource (`workloads`, `pods/status`; `other` for a request by path, such as `/version`).
   */
  observe?: (verb: string, statusCode: number, seconds: number, resource: string) => void;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** The resource, and subresource if any, for metrics (`pods/status`); default `other`. */
  resource?: string;
}

/**
 * A request's resource as metrics name it (not a vendor's resourceName): its plural, with the
 * subresource if any (`workloads/status`).
 */
function metricsResource(type: Pick<ResourceType, 'plural'>, subresource?: string): string {
  return subresource ? `${type.plural}/${subresource}` : type.plural;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'continue'> {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  namespace?: string;
  dryRun?: boolean;
  fieldManager?: string;
  /** `Strict`: unknown or duplicate fields are refused instead of dropped with a warning. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

interface Response {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A small, dependency-free Kubernetes REST client: JSON over a keep-alive HTTPS agent, typed errors,
 * 429 Retry-After honoured, and watch streams as async iterables. It is deliberately thin; caching,
 * retries with backoff and reconnection belong to the informer and workqueue layers above it.
 */
export class KubeClient {
  private readonly agent: https.Agent | http.Agent;
  /** One connection per watch, however many (they are held open for minutes). */
  private readonly watchAgent: https.Agent | http.Agent;
  private readonly base: URL;
  private readonly headers: Record<string, string>;
  private readonly requestTimeoutMs: number;
  private readonly maxThrottleRetries: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Requests sent, by verb; read by benchmarks to report API requests per admission. */
  readonly requestCounts = new Map<string, number>();
  private readonly observe: KubeClientOptions['observe'];

  constructor(options: KubeClientOptions) {
    const c = options.credentials;
    this.base = new URL(c.server);
    const agentOptions: https.AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 32,
      ca: c.caData,
      cert: c.certData,
      key: c.keyData,
      rejectUnauthorized: !c.insecureSkipTlsVerify,
    };
    const agent = (o: https.AgentOptions) =>
      this.base.protocol === 'https:' ? new https.Agent(o) : new http.Agent(o);
    this.agent = agent(agentOptions);
    this.watchAgent = agent({ ...agentOptions, maxSockets: Infinity });
    this.headers = {
      accept: 'application/json',
      'user-agent': options.userAgent ?? 'kentaur',
      ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
    };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxThrottleRetries = options.maxThrottleRetries ?? 5;
    this.maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 30;
    this.sleep = options.sleep ?? defaultSleep;
    this.observe = options.observe;
  }

  get server(): string {
    return this.base.origin;
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  /** REST path of a collection or an object: /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>/<sub>. */
  path(type: ResourceType, ref: { namespace?: string; name?: string; subresource?: string } = {}): string {
    const root = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
    if (type.namespaced && ref.name !== undefined && !ref.namespace) {
      throw new Error(`${type.kind} "${ref.name}" is namespaced: a namespace is required`);
    }
    const ns = type.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    const name = ref.name !== undefined ? `/${encodeURIComponent(ref.name)}` : '';
    const sub = ref.subresource ? `/${ref.subresource}` : '';
    return `${root}${ns}/${type.plural}${name}${sub}`;
  }

  async request<T>(req: RequestOptions): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(req);
      if (res.statusCode < 400) return (res.body ? JSON.parse(res.body) : undefined) as T;
      const retryAfter = Number(res.headers['retry-after']);
      const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
      if (res.statusCode === 429 && attempt < this.maxThrottleRetries) {
        await this.sleep(Math.min(retryAfterSeconds ?? 1, this.maxRetryAfterSeconds) * 1000);
        continue;
      }
      throw new KubeApiError({
        statusCode: res.statusCode,
        method: req.method,
        path: req.path,
        status: parseStatus(res.body),
        retryAfterSeconds,
      });
    }
  }

  get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T> {
    return this.request<T>({
      method: 'GET',
      path: this.path(type, { namespace, name }),
      resource: metricsResource(type),
    });
  }

  list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...query } = opts;
    return this.request<KubeList<T>>({
      method: 'GET',
      path: this.path(type, { namespace }),
      query: { ...query },
      resource: metricsResource(type),
    });
  }

  /** Lists every page (following `continue`) and returns the items with the final resourceVersion. */
  async listAll<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.list<T>(type, { limit: 500, ...opts, continue: cont });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  create<T extends KubeObject>(type: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    return this.request<T>({
      method: 'POST',
      path: this.path(type, { namespace }),
      body: obj,
      query: writeQuery(opts),
      resource: metricsResource(type),
    });
  }

  /** PUT: fails with 409 Conflict when `metadata.resourceVersion` is stale (optimistic concurrency). */
  replace<T extends KubeObject>(
    type: ResourceType,
    obj: T,
    opts: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    const ref = {
      namespace: opts.namespace ?? obj.metadata?.namespace,
      name: obj.metadata?.name,
      subresource: opts.subresource,
    };
    return this.request<T>({
      method: 'PUT',
      path: this.path(type, ref),
      body: obj,
      query: writeQuery(opts),
      resource: metricsResource(type, opts.subresource),
    });
  }

  patch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    patch: unknown,
    opts: WriteOptions & { patchType?: PatchType; subresource?: string; force?: boolean } = {},
  ): Promise<T> {
    const patchType = opts.patchType ?? 'merge';
    if (patchType === 'apply' && !opts.fieldManager)
      throw new Error('server-side apply needs a fieldManager');
    return this.request<T>({
      method: 'PATCH',
      path: this.path(type, { namespace: opts.namespace, name, subresource: opts.subresource }),
      body: patch,
      contentType: patchContentTypes[patchType],
      query: { ...writeQuery(opts), force: opts.force },
      resource: metricsResource(type, opts.subresource),
    });
  }

  delete(
    type: ResourceType,
    name: string,
    opts: {
      namespace?: string;
      propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
      uid?: string;
      resourceVersion?: string;
    } = {},
  ): Promise<KubeObject> {
    const preconditions =
      opts.uid || opts.resourceVersion ? { uid: opts.uid, resourceVersion: opts.resourceVersion } : undefined;
    return this.request<KubeObject>({
      method: 'DELETE',
      path: this.path(type, { namespace: opts.namespace, name }),
      resource: metricsResource(type),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: opts.propagationPolicy ?? 'Background',
        preconditions,
      },
    });
  }

  /**
   * Opens a watch and yields its events until the server ends the stream, the signal aborts, or the
   * connection breaks (then the iterator throws). ERROR events are yielded as they come: the caller
   * decides (an informer relists on 410 Gone).
   */
  async *watch<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const { namespace, signal, ...rest } = opts;
    const path = this.path(type, { namespace });
    const res = await this.open({ method: 'GET', path, query: { ...rest, watch: true } }, signal);
    if ((res.statusCode ?? 500) >= 400) {
      const body = await readBody(res);
      throw new KubeApiError({
        statusCode: res.statusCode ?? 500,
        method: 'GET',
        path,
        status: parseStatus(body),
      });
    }
    res.setEncoding('utf8');
    let buffered = '';
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } finally {
      res.destroy();
    }
  }

  private count(method: string): void {
    this.requestCounts.set(method, (this.requestCounts.get(method) ?? 0) + 1);
  }

  private url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    return url;
  }

  private open(req: RequestOptions, signal?: AbortSignal): Promise<http.IncomingMessage> {
    this.count(req.method);
    const url = this.url(req.path, req.query);
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string> = { ...this.headers };
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const agent = req.query?.watch ? this.watchAgent : this.agent;
      const r = mod.request(url, { method: req.method, agent, headers, signal }, resolve);
      r.on('error', reject);
      if (req.timeoutMs)
        r.setTimeout(req.timeoutMs, () =>
          r.destroy(new Error(`${req.method} ${req.path}: timed out after ${req.timeoutMs} ms`)),
        );
      r.end(payload);
    });
  }

  private async send(req: RequestOptions): Promise<Response> {
    const started = performance.now();
    const res = await this.open({ ...req, timeoutMs: req.timeoutMs ?? this.requestTimeoutMs });
    const body = await readBody(res);
    const statusCode = res.statusCode ?? 500;
    this.observe?.(req.method, statusCode, (performance.now() - started) / 1000, req.resource ?? 'other');
    return { statusCode, headers: res.headers, body };
  }
}

function writeQuery(opts: WriteOptions): RequestOptions['query'] {
  return {
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
  };
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseStatus(body: string): KubeStatus {
  try {
    const parsed = JSON.parse(body) as KubeStatus;
    return typeof parsed === 'object' && parsed !== null ? parsed : { message: body };
  } catch {
    return { message: body.slice(0, 500) };
  }
}
