import { readFileSync } from 'node:fs';
import { waitHealthy } from './health';
import { isOurs, readState, startProcess, writeState, type ManagedProcess } from './processes';

export interface RestartOptions {
  /** SIGKILL (a crash, the default) or SIGTERM (an orderly stop). */
  signal?: 'SIGKILL' | 'SIGTERM';
  /** How long the component stays down before it is started again (default 0). */
  downMs?: number;
  /** How long to wait for its health endpoint after the start (default 120 s). */
  timeoutMs?: number;
}

export interface RestartResult {
  component: string;
  /** From the signal to the health endpoint answering 200 again. */
  outageMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops one running component of a sandbox and starts it again with the same binary, arguments,
 * ports and data (etcd keeps its data directory), then waits until it is healthy. The new pid is
 * written to the state file at once, so the watchdog and `sandbox down` still find it. For fault
 * tests: restarting kube-apiserver or etcd under a running controller. In a federation sandbox the
 * component is named with its site: `fi-1/kube-apiserver`.
 */
export async function restartComponent(
  stateFile: string,
  component: string,
  opts: RestartOptions = {},
): Promise<RestartResult> {
  const state = readState(stateFile);
  if (!state) throw new Error(`no sandbox state at ${stateFile}: is the sandbox running?`);
  const index = state.processes.findIndex((p) => p.component === component);
  const old = state.processes[index];
  if (!old)
    throw new Error(
      `the sandbox has no component ${component}; it has ${state.processes.map((p) => p.component).join(', ')}`,
    );
  if (!old.args || !old.logFile || !old.healthUrl)
    throw new Error(
      `${component} was started by an older sandbox that did not record its arguments: restart the sandbox (kentaur sandbox down, then up)`,
    );
  const started = Date.now();
  await kill(old, opts.signal ?? 'SIGKILL');
  if (opts.downMs) await sleep(opts.downMs);
  const next: ManagedProcess = {
    ...startProcess(component, old.binary, old.args, old.logFile),
    healthUrl: old.healthUrl,
    caFile: old.caFile,
  };
  // Re-read: another component may have been restarted meanwhile.
  const now = readState(stateFile) ?? state;
  now.processes = now.processes.map((p) => (p.component === component ? next : p));
  writeState(stateFile, now);
  await waitHealthy(component, old.healthUrl, {
    ca: old.caFile ? readFileSync(old.caFile) : undefined,
    timeoutMs: opts.timeoutMs ?? 120_000,
    isRunning: () => isOurs(next),
    logFile: old.logFile,
  });
  return { component, outageMs: Date.now() - started };
}

async function kill(p: ManagedProcess, signal: NodeJS.Signals): Promise<void> {
  if (!isOurs(p)) return;
  try {
    process.kill(p.pid, signal);
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 30_000;
  while (isOurs(p)) {
    if (Date.now() > deadline) throw new Error(`${p.component} (pid ${p.pid}) did not exit after ${signal}`);
    await sleep(50);
  }
}
