import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gatewayConfig, loadOrCreateDevKey, mintDevToken, type GatewayConfig } from '@kentaur/gateway';
import { testKubeconfig } from '../support/cluster';

const SERVE = join(__dirname, 'serve.js');
const ROOT = resolve(__dirname, '../..');
/** Characters of a server's standard error kept for the error when it fails to start. */
const STDERR_TAIL = 4000;

/** A server of tests/bench/serve.js in its own process. */
export interface ServerProcess {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** The server process's CPU time so far (user and system, microseconds). */
  cpu(): Promise<NodeJS.CpuUsage>;
  /** A V8 CPU profile of the server process between these two calls, written to `file`. */
  profileStart(): Promise<void>;
  profileStop(file: string): Promise<void>;
  stop(): Promise<void>;
}

interface Reply {
  id?: number;
  listening?: string;
  result?: unknown;
  error?: string;
}

function startServe(
  kind: 'gateway' | 'bare' | 'nest',
  env: Record<string, string>,
  logFile?: string,
): Promise<ServerProcess> {
  // The build output, as deployed (npm run bench builds first). Its standard output (the gateway's
  // JSON log) goes to a file, as a container's goes to its runtime.
  const stdout = logFile ? openSync(logFile, 'a') : 'inherit';
  const child: ChildProcess = fork(SERVE, [kind], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe', 'ipc'],
  });
  // Its standard error reaches ours as it comes, and the last of it goes into a failure to start.
  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-STDERR_TAIL);
  });
  // The child holds its own copy of the descriptor.
  if (typeof stdout === 'number') closeSync(stdout);
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolveStart, rejectStart) => {
    // 'close', not 'exit': by then its standard error has been read to the end.
    child.once('close', (code) => {
      const tail = stderrTail.trim() ? `; its standard error ended:\n${stderrTail.trimEnd()}` : '';
      rejectStart(new Error(`serve.js ${kind} exited with ${code} before it listened${tail}`));
      for (const w of waiting.values()) w.reject(new Error(`serve.js ${kind} exited with ${code}`));
    });
    const ask = <T>(op: string, extra: Record<string, unknown> = {}): Promise<T> =>
      new Promise<T>((res, rej) => {
        const id = ++next;
        waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
        child.send({ id, op, ...extra });
      });
    child.on('message', (m: Reply) => {
      if (m.listening) {
        resolveStart({
          url: m.listening,
          memory: () => ask<NodeJS.MemoryUsage>('memory'),
          cpu: () => ask<NodeJS.CpuUsage>('cpu'),
          profileStart: () => ask<void>('profile-start'),
          profileStop: (file) => ask<void>('profile-stop', { file }),
          stop: async () => {
            if (child.exitCode === null) await ask<void>('stop').catch(() => undefined);
            await exited;
          },
        });
        return;
      }
      const w = m.id === undefined ? undefined : waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id!);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m.result);
    });
  });
}

/**
 * The gateway (its build output) in its own process on a free port, against the cluster under test.
 * `build`: the path of another build's dist/index.js (a baseline to compare with), else this one.
 */
export async function startGatewayProcess(
  overrides: Partial<GatewayConfig>,
  build?: string,
): Promise<ServerProcess & { token(req: { tenant: string }): Promise<string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kentaur-bench-gw-'));
  const devTokenKeyFile = join(dir, 'dev-token.key');
  // Validated here, so that a wrong field fails in the benchmark with the gateway's own message.
  const config = gatewayConfig({
    kubeconfig: testKubeconfig(),
    port: 0,
    host: '127.0.0.1',
    mode: 'sandbox',
    devTokenKeyFile,
    apiKeyPepper: 'bench-pepper',
    // Benchmarks measure throughput, not the per-tenant limiter (which would answer 429).
    rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
    ...overrides,
  });
  const logFile = join(dir, 'gateway.log');
  const env = {
    BENCH_SERVE_CONFIG: JSON.stringify(config),
    // Relative to the working directory, as BENCH_GATEWAY_BASELINE is given.
    ...(build ? { BENCH_SERVE_GATEWAY: resolve(build) } : {}),
  };
  // The log (an access-log line per request: hundreds of MB over a comparison run) goes with the
  // process; a gateway that fails to start says why with its last lines.
  const server = await startServe('gateway', env, logFile).catch((e: Error) => {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${e.message}; its log ends:\n${tail}`);
  });
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    token: (req) => mintDevToken(loadOrCreateDevKey(devTokenKeyFile), req),
  };
}

/** The bare ceilings of serve.js: `{ hello }`, and `workloads(first: 50)` answering `page`. */
export async function startBareProcess(page: unknown): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kentaur-bench-page-'));
  const file = join(dir, 'page.json');
  writeFileSync(file, JSON.stringify(page ?? null));
  // serve.js reads the page when it starts: the file is not needed after that.
  const server = await startServe('bare', { BENCH_SERVE_PAGE_FILE: file }).finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  return server;
}

/** `{ hello }` through Nest with the gateway's adapter and driver, and nothing of the gateway (serve.js). */
export function startNestProcess(): Promise<ServerProcess> {
  return startServe('nest', {});
}
