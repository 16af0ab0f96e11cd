// `kentaur controller` (the build output) as its own process, for tests that SIGKILL it: the
// controller-HA e2e and the chaos suite. Every process started here is killed when the test worker
// exits, whatever the outcome.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from '@kentaur/k8s-runtime';

const ROOT = resolve(__dirname, '../..');

/** Every controller process started here that has not exited yet. */
const live = new Set<ChildProcess>();
// A worker that dies without running afterEach/afterAll must not leave controllers behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** SIGKILLs every controller process still running (afterAll of a file). */
export function killAllControllerProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
}

export interface ControllerProcess {
  identity: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process exits (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote (stdout and stderr), for failure messages. */
  tail(lines?: number): string;
}

export interface ControllerProcessOptions {
  identity: string;
  /** Namespace of the leader-election Lease (`--namespace`). */
  leaseNamespace: string;
  kubeconfig: string;
  /** Directory of the log files (`<leaseNamespace>-<identity>.log`). */
  logDir: string;
  /** KENTAUR_LEDGER_URL of the process: replicas share one PostgreSQL ledger, as in production. */
  ledgerUrl?: string;
  /** Without ledgerUrl: KENTAUR_LEDGER_DIR, PGlite on disk (the chart's default). */
  ledgerDir?: string;
  extraArgs?: string[];
}

/** Starts `kentaur controller` as its own process and waits until it says it is running. */
export async function startControllerProcess(o: ControllerProcessOptions): Promise<ControllerProcess> {
  const { identity, leaseNamespace } = o;
  mkdirSync(o.logDir, { recursive: true });
  const logFile = join(o.logDir, `${leaseNamespace}-${identity}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const lines: string[] = [];
  const args = [
    join(ROOT, 'bin', 'kentaur.js'),
    'controller',
    '--kubeconfig',
    o.kubeconfig,
    '--namespace',
    leaseNamespace,
    '--identity',
    identity,
    '--health-port',
    '0',
    '--sandbox',
    '--accounting-interval',
    '1',
    // Later flags win: extraArgs may override the ones above.
    ...(o.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...(o.ledgerUrl ? { KENTAUR_LEDGER_URL: o.ledgerUrl } : {}),
      ...(o.ledgerDir ? { KENTAUR_LEDGER_DIR: o.ledgerDir } : {}),
    },
  });
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      lines.push(`[exit code=${code} signal=${signal}]`);
      log.end(`[exit code=${code} signal=${signal}]\n`);
      done({ code, signal });
    }),
  );
  let running = false;
  const onData = (stream: string) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    log.write(text);
    for (const line of text.split('\n').filter(Boolean)) {
      lines.push(`${stream}: ${line}`);
      if (/kentaur controller: running/.test(line)) running = true;
    }
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  child.stdout.on('data', onData('out'));
  child.stderr.on('data', onData('err'));
  const proc: ControllerProcess = {
    identity,
    child,
    logFile,
    exited,
    tail: (n = 30) => lines.slice(-n).join('\n'),
  };
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    await waitFor(
      `controller ${identity} to say it is running`,
      () => {
        if (exitedEarly) throw new Error(`controller ${identity} exited`);
        return Promise.resolve(running ? true : undefined);
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; its output (${logFile}):\n${proc.tail()}`, { cause: e });
  }
  return proc;
}

/** SIGKILL and wait for the exit: nothing of the process may run on (no lease release, no cleanup). */
export async function killHard(p: ControllerProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}
