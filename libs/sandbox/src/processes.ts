import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';

/** A process the sandbox started: enough to find it again and to be sure it is still ours. */
export interface ManagedProcess {
  component: string;
  pid: number;
  binary: string;
  /** What it was started with, so that it can be restarted the same way (restartComponent). */
  args?: string[];
  logFile?: string;
  /** Its health endpoint, and the CA file pinned when probing it (kube-apiserver). */
  healthUrl?: string;
  caFile?: string;
}

/** One site's cluster of a federation sandbox. */
export interface SandboxSiteState {
  name: string;
  /** Its admin kubeconfig (sites/<name>/kubeconfig). */
  kubeconfig: string;
  server: string;
  ports: Record<string, number>;
}

export interface SandboxState {
  /**
   * Start order; stopped in reverse. In a federation sandbox the components of a site are named
   * `<site>/<component>` (`it-1/kube-apiserver`); a single-cluster sandbox uses the plain names.
   */
  processes: ManagedProcess[];
  /** The ports of the (management) cluster. */
  ports: Record<string, number>;
  /** The admin kubeconfig of the (management) cluster. */
  kubeconfig: string;
  /** Set for a federation sandbox: every site's cluster, the management cluster first. */
  sites?: SandboxSiteState[];
  fleet?: string;
  startedAt: string;
  /** When set, a watchdog tears the sandbox down as soon as this process is gone. */
  ownerPid?: number;
}

export function readState(file: string): SandboxState | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
}

export function writeState(file: string, state: SandboxState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}

/**
 * A TCP port free on 127.0.0.1 right now, chosen below the kernel's ephemeral range
 * (`net.ipv4.ip_local_port_range`, 32768–60999 by default). A component restarted by
 * restartComponent, or a database restarted by a fault test, binds its port again after a moment
 * without it; a port inside the ephemeral range may meanwhile have become the source port of any
 * outgoing connection on the machine, and the restarted process would exit with "address already
 * in use". Falls back to a port the OS picks when the range leaves no room below it.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralRangeStart() - 1;
  const from = 10_000;
  if (below - from >= 1_000)
    for (let i = 0; i < 64; i++) {
      const port = await bindAndRelease(from + randomInt(below - from + 1));
      if (port !== undefined) return port;
    }
  const port = await bindAndRelease(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768; // not Linux: the IANA dynamic range starts at 49152, so this stays below it too
  }
}

/** Binds the port on 127.0.0.1 and releases it: the port bound, or undefined when it is taken. */
function bindAndRelease(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
    });
  });
}

/**
 * Starts a component in its own process group, detached from the caller, output to its log file.
 * Detached so that `kentaur sandbox up` can return while the control plane keeps running.
 */
export function startProcess(
  component: string,
  binary: string,
  args: string[],
  logFile: string,
): ManagedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`${component}: could not start ${binary}`);
    child.unref();
    return { component, pid: child.pid, binary, args, logFile };
  } finally {
    closeSync(fd);
  }
}

/** True when the pid is alive and still runs our binary (pids are reused after a process exits). */
export function isOurs(p: ManagedProcess): boolean {
  try {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === p.binary;
  } catch {
    return false;
  }
}

/** Whether the process runs. A zombie (exited, not yet reaped by its parent) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after the grace period; only processes verified to be ours are signalled. */
export async function stopProcess(p: ManagedProcess, graceMs = 10_000): Promise<void> {
  if (!isOurs(p)) return;
  signalGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(p)) return;
    await sleep(100);
  }
  signalGroup(p.pid, 'SIGKILL');
  while (isOurs(p)) await sleep(50);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the whole group: the component and anything it forked
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** The site of a component named `<site>/<component>`; undefined for a plain name. */
export function componentSite(component: string): string | undefined {
  const slash = component.indexOf('/');
  return slash < 0 ? undefined : component.slice(0, slash);
}

/**
 * Stops every process of a state in reverse start order. The sites of a federation sandbox are
 * independent clusters, so they are stopped side by side (each in reverse order); processes that
 * belong to no site (the watchdog) last.
 */
export async function stopAll(state: SandboxState): Promise<void> {
  const bySite = new Map<string | undefined, ManagedProcess[]>();
  for (const p of [...state.processes].reverse()) {
    const site = componentSite(p.component);
    bySite.set(site, [...(bySite.get(site) ?? []), p]);
  }
  const stopInOrder = async (list: ManagedProcess[]) => {
    for (const p of list) await stopProcess(p);
  };
  await Promise.all([...bySite].filter(([site]) => site !== undefined).map(([, list]) => stopInOrder(list)));
  await stopInOrder(bySite.get(undefined) ?? []);
}

/** Starts the watchdog that stops the sandbox when `ownerPid` dies (e.g. a test run killed with SIGKILL). */
export function startWatchdog(stateFile: string, ownerPid: number, logFile: string): ManagedProcess {
  const script = watchdogScript();
  return startProcess('watchdog', process.execPath, [script, stateFile, String(ownerPid)], logFile);
}

function watchdogScript(): string {
  // From dist/ the compiled sibling; from src/ (under jest) the compiled copy in dist/.
  const local = join(__dirname, 'watchdog.js');
  if (existsSync(local)) return local;
  const built = join(__dirname, '..', 'dist', 'watchdog.js');
  if (existsSync(built)) return built;
  throw new Error('libs/sandbox is not built (dist/watchdog.js missing): run `npm run build`');
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}
