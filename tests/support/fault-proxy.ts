// A fault-injecting HTTPS proxy between a Kubernetes client (the controller, in-process or as a
// child process) and the sandbox's real kube-apiserver. It terminates TLS with a throw-away
// self-signed certificate, forwards to the real server with the original kubeconfig's credentials,
// and injects faults chosen by a seeded PRNG from rules the test scripts (and may change at any
// time): 409 Conflict on writes, 5xx, 429 with Retry-After, added latency, connections dropped
// before or after the server acted, watch streams cut, answered with 410 Gone, or ended by an ERROR
// event. Every fault is counted by kind. Reliability checklist R2/R6/R9 (docs/reliability.md).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type ClusterCredentials, loadKubeconfig } from '@kentaur/k8s-runtime';
import { seededRandom } from './random';

const run = promisify(execFile);

export type FaultKind =
  /** 409 Conflict (reason Conflict) instead of forwarding a write. */
  | 'conflict'
  /** 500 or 503 instead of forwarding. */
  | '5xx'
  /** 429 Too Many Requests with Retry-After instead of forwarding. */
  | '429'
  /** Forwarded after a delay. */
  | 'latency'
  /** The connection is destroyed before the request reaches the server. */
  | 'drop'
  /** Forwarded; the server acts, then the connection is destroyed before the answer (the client never learns). */
  | 'drop-after'
  /** A watch is forwarded, then cut (connection destroyed) after a while. */
  | 'watch-cut'
  /** A watch is answered with HTTP 410 Gone. */
  | 'watch-410'
  /** A watch is forwarded, then ended with an ERROR event (code 410 Expired, or 500). */
  | 'watch-error';

export interface FaultRule {
  kind: FaultKind;
  /** Probability that a matching request gets this fault (0..1). */
  p: number;
  /** Methods it applies to; default: writes (POST/PUT/PATCH/DELETE) for conflict, every method otherwise. */
  methods?: readonly string[];
  /** Only requests whose path (without query) matches. */
  path?: RegExp;
  /** 5xx: the codes drawn from (default 500 and 503). */
  codes?: readonly number[];
  /** 429: Retry-After in seconds (default 1). */
  retryAfterSeconds?: number;
  /** latency: [min, max] ms added (default [50, 300]). watch-cut / watch-error: [min, max] ms of stream first. */
  ms?: readonly [number, number];
}

export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  watch: boolean;
  /** Parsed JSON request body, when there is one. */
  body?: unknown;
}

/** One request in flight through the proxy. */
interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  raw: Buffer;
  info: RequestInfo;
  fault: FaultRule | undefined;
}

/** Called after the server answered and before the answer goes back: a test may kill the client here. */
export type ReplyTap = (req: RequestInfo, statusCode: number) => Promise<void> | void;

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface FaultProxyOptions {
  /** Kubeconfig of the real API server (its current context's credentials are used upstream). */
  upstreamKubeconfig: string;
  seed: number;
  rules?: FaultRule[];
}

/**
 * The proxy. Faults are drawn from `rules` (first rule whose match and draw hit wins; latency is
 * drawn independently and adds to any other outcome). `setRules([])` stops injecting: the proxy
 * then forwards everything unchanged.
 */
export class FaultProxy {
  seed: number;
  /** Faults injected so far, by kind (tests add their own kinds, e.g. SIGKILLs, with note()). */
  readonly counts = new Map<string, number>();
  /** Requests forwarded (or answered by a fault), by method; watches counted as WATCH. */
  readonly requests = new Map<string, number>();
  private random: () => number;
  private rules: FaultRule[];
  private tap: ReplyTap | undefined;
  private readonly upstream: ClusterCredentials;
  private readonly upstreamUrl: URL;
  private readonly agent: https.Agent;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<{ cut: () => void }>();
  private server: https.Server | undefined;
  private dir: string | undefined;
  private port = 0;

  private constructor(o: FaultProxyOptions) {
    this.seed = o.seed;
    this.random = seededRandom(o.seed);
    this.rules = o.rules ?? [];
    this.upstream = loadKubeconfig(o.upstreamKubeconfig);
    this.upstreamUrl = new URL(this.upstream.server);
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ca: this.upstream.caData,
      cert: this.upstream.certData,
      key: this.upstream.keyData,
      rejectUnauthorized: !this.upstream.insecureSkipTlsVerify,
    });
  }

  static async start(o: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(o);
    await proxy.listen();
    return proxy;
  }

  /** A new seed for the next scenario: the PRNG restarts from it, counts and rules are cleared. */
  reset(seed: number): void {
    this.seed = seed;
    this.random = seededRandom(seed);
    this.rules = [];
    this.tap = undefined;
    this.counts.clear();
    this.requests.clear();
  }

  /** Counts a fault injected outside the proxy (a SIGKILL of the client, say). */
  note(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** Replaces the rules (an empty list: no more faults). */
  setRules(rules: FaultRule[]): void {
    this.rules = rules;
  }

  setTap(tap: ReplyTap | undefined): void {
    this.tap = tap;
  }

  /** Cuts every watch stream open now (as a server restart or a network blip would). */
  cutWatches(): number {
    const open = [...this.watches];
    for (const w of open) w.cut();
    return open.length;
  }

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  /** `conflict:12,5xx:3,...` in a fixed order, for the summary line. */
  countsText(): string {
    const parts = [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}:${n}`);
    return parts.length ? parts.join(',') : 'none';
  }

  /** A kubeconfig for clients of the proxy: its server and CA, the original user's credentials. */
  get kubeconfig(): string {
    return join(this.dir!, 'kubeconfig');
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.cutWatches();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.agent.destroy();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async listen(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'kentaur-fault-proxy-'));
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'proxy.key',
        '-out',
        'proxy.crt',
        '-days',
        '2',
        '-subj',
        '/CN=kentaur-fault-proxy',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { cwd: this.dir },
    );
    const cert = readFileSync(join(this.dir, 'proxy.crt'));
    const key = readFileSync(join(this.dir, 'proxy.key'));
    this.server = https.createServer({ cert, key }, (req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    writeFileSync(this.kubeconfig, this.kubeconfigText(cert), { mode: 0o600 });
  }

  private kubeconfigText(cert: Buffer): string {
    const u = this.upstream;
    const user: Record<string, string> = {};
    if (u.certData) user['client-certificate-data'] = u.certData.toString('base64');
    if (u.keyData) user['client-key-data'] = u.keyData.toString('base64');
    if (u.token) user.token = u.token;
    const name = 'kentaur-fault-proxy';
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name, cluster: { server: this.url, 'certificate-authority-data': cert.toString('base64') } },
      ],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
    });
  }

  private count(kind: FaultKind): void {
    this.note(kind);
  }

  /** The first rule that matches and whose draw hits (latency rules are drawn separately). */
  private draw(info: RequestInfo): { fault?: FaultRule; latencyMs: number } {
    let fault: FaultRule | undefined;
    let latencyMs = 0;
    for (const rule of this.rules) {
      if (!applies(rule, info)) continue;
      // Always draw, hit or not, so that one seed gives one sequence whatever the rules hit.
      const hit = this.random() < rule.p;
      if (!hit) continue;
      if (rule.kind === 'latency') {
        const [lo, hi] = rule.ms ?? [50, 300];
        latencyMs += lo + Math.floor(this.random() * (hi - lo + 1));
        this.count('latency');
      } else if (!fault) fault = rule;
    }
    return { fault, latencyMs };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'https://proxy.invalid');
    const watch = req.method === 'GET' && ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    let body: unknown;
    if (raw.length && /json/.test(String(req.headers['content-type'] ?? '')))
      body = (() => {
        try {
          return JSON.parse(raw.toString('utf8')) as unknown;
        } catch {
          return undefined;
        }
      })();
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      watch,
      body,
    };
    const verb = watch ? 'WATCH' : info.method;
    this.requests.set(verb, (this.requests.get(verb) ?? 0) + 1);
    const { fault, latencyMs } = this.draw(info);
    if (latencyMs) await sleep(latencyMs);
    if (fault) this.count(fault.kind);
    switch (fault?.kind) {
      case 'conflict':
        return answerStatus(res, {
          code: 409,
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on ${info.path}: the object has been modified; please apply your changes to the latest version and try again (injected by the fault proxy)`,
        });
      case '5xx': {
        const codes = fault.codes ?? [500, 503];
        const code = codes[Math.floor(this.random() * codes.length)]!;
        const reason = code === 503 ? 'ServiceUnavailable' : 'InternalError';
        return answerStatus(res, { code, reason, message: `injected ${code} by the fault proxy` });
      }
      case '429': {
        const retryAfterSeconds = fault.retryAfterSeconds ?? 1;
        res.setHeader('retry-after', String(retryAfterSeconds));
        return answerStatus(res, {
          code: 429,
          reason: 'TooManyRequests',
          message: 'too many requests (injected by the fault proxy)',
          details: { retryAfterSeconds },
        });
      }
      case 'watch-410':
        return answerStatus(res, {
          code: 410,
          reason: 'Expired',
          message: 'too old resource version (injected by the fault proxy)',
        });
      case 'drop':
        req.socket.destroy();
        return;
      default:
        return this.forward({ req, res, raw, info, fault });
    }
  }

  private forward(x: Exchange): Promise<void> {
    const { req, res, raw, info, fault } = x;
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    if (this.upstream.token) headers.authorization = `Bearer ${this.upstream.token}`;
    headers['content-length'] = String(raw.length);
    const target = new URL(req.url ?? '/', this.upstreamUrl);
    return new Promise<void>((done) => {
      const up = https.request(target, { method: req.method, headers, agent: this.agent }, (upRes) => {
        void (async () => {
          const status = upRes.statusCode ?? 502;
          if (fault?.kind === 'drop-after') {
            upRes.resume();
            upRes.once('end', () => {
              req.socket.destroy();
              done();
            });
            return;
          }
          if (!info.watch) {
            const chunks: Buffer[] = [];
            for await (const c of upRes) chunks.push(c as Buffer);
            await this.tap?.(info, status);
            const headersOut = { ...upRes.headers };
            delete headersOut.connection;
            delete headersOut['transfer-encoding'];
            const out = Buffer.concat(chunks);
            headersOut['content-length'] = String(out.length);
            if (!res.destroyed) res.writeHead(status, headersOut).end(out);
            return done();
          }
          this.stream(x, up, upRes, done);
        })().catch(() => {
          res.destroy();
          done();
        });
      });
      up.on('error', () => {
        // The server or the link went away: the client sees its connection drop.
        res.destroy();
        done();
      });
      // A client that hangs up (a watch it stopped, a killed process) ends the upstream request too.
      res.once('close', () => up.destroy());
      up.end(raw);
    });
  }

  /** A watch: forwarded line by line (so an injected event never splits one), cut or ended as drawn. */
  private stream(x: Exchange, up: http.ClientRequest, upRes: http.IncomingMessage, done: () => void): void {
    const { req, res, fault } = x;
    const headersOut = { ...upRes.headers };
    delete headersOut.connection;
    delete headersOut['content-length'];
    res.writeHead(upRes.statusCode ?? 502, headersOut);
    let buffered = '';
    let ended = false;
    const entry = {
      cut: () => {
        if (ended) return;
        ended = true;
        up.destroy();
        req.socket.destroy();
      },
    };
    this.watches.add(entry);
    const finish = () => {
      this.watches.delete(entry);
      clearTimeout(timer);
      done();
    };
    upRes.setEncoding('utf8');
    upRes.on('data', (chunk: string) => {
      if (ended) return;
      buffered += chunk;
      const nl = buffered.lastIndexOf('\n');
      if (nl >= 0) {
        res.write(buffered.slice(0, nl + 1));
        buffered = buffered.slice(nl + 1);
      }
    });
    upRes.once('end', () => {
      if (!ended) res.end(buffered);
      ended = true;
      finish();
    });
    upRes.once('error', () => {
      entry.cut();
      finish();
    });
    res.once('close', finish);
    let timer: NodeJS.Timeout | undefined;
    if (fault?.kind === 'watch-cut' || fault?.kind === 'watch-error') {
      const [lo, hi] = fault.ms ?? [200, 3000];
      const after = lo + Math.floor(this.random() * (hi - lo + 1));
      const expired = this.random() < 0.5;
      timer = setTimeout(() => {
        if (ended) return;
        if (fault.kind === 'watch-cut') return entry.cut();
        ended = true;
        const status = expired
          ? {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'Expired',
              code: 410,
              message: 'too old resource version (injected by the fault proxy)',
            }
          : {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason: 'InternalError',
              code: 500,
              message: 'internal error (injected by the fault proxy)',
            };
        res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
        up.destroy();
      }, after);
    }
  }
}

function applies(rule: FaultRule, info: RequestInfo): boolean {
  const watchKinds: FaultKind[] = ['watch-cut', 'watch-410', 'watch-error'];
  if (watchKinds.includes(rule.kind) !== info.watch && rule.kind !== 'latency') return false;
  const methods = rule.methods ?? (rule.kind === 'conflict' ? ['PUT', 'PATCH'] : undefined);
  if (methods && !methods.includes(info.watch ? 'WATCH' : info.method)) return false;
  if (rule.kind === 'conflict' && !WRITES.includes(info.method)) return false;
  if (rule.path && !rule.path.test(info.path)) return false;
  return true;
}

function answerStatus(
  res: http.ServerResponse,
  s: { code: number; reason: string; message: string; details?: Record<string, unknown> },
): void {
  const { code, reason, message, details } = s;
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    details,
  });
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
