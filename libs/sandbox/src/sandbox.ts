import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import {
  isAlreadyExists,
  KubeClient,
  loadKubeconfig,
  Nodes,
  waitFor,
  type ResourceType,
} from '@kentaur/k8s-runtime';
import { ensureBinaries } from './binaries';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  kwokArgs,
  schedulerArgs,
  schedulerConfig,
  type ComponentFiles,
  type SandboxPorts,
} from './components';
import { fleetNodes, fleetSize, loadFleet, type Fleet } from './fleet';
import { probe, waitHealthy } from './health';
import { deployDir, type BinaryPaths, type SandboxLayout } from './layout';
import { createPki, writeKubeconfig } from './pki';
import {
  freePort,
  isOurs,
  readState,
  removeState,
  startProcess,
  startWatchdog,
  stopAll,
  writeState,
  type ManagedProcess,
  type SandboxState,
} from './processes';

export const defaultFleetFile = join(deployDir, 'fleets', 'default.yaml');

export interface SandboxUpOptions {
  layout: SandboxLayout;
  fleetFile?: string;
  /** Tear the sandbox down when this process exits, even by SIGKILL (test runs, `kentaur up`). */
  ownerPid?: number;
  log?: (message: string) => void;
  startTimeoutMs?: number;
}

export interface SandboxInfo {
  kubeconfig: string;
  server: string;
  ports: Record<string, number>;
  nodes: number;
  reused: boolean;
}

const RuntimeClasses: ResourceType = {
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  plural: 'runtimeclasses',
  namespaced: false,
};

/** Everything a start needs, decided before any process runs. */
interface StartPlan {
  ports: SandboxPorts;
  files: ComponentFiles;
  server: string;
}

async function prepare(layout: SandboxLayout, log: (m: string) => void): Promise<StartPlan> {
  for (const dir of [layout.root, layout.logs, layout.config]) mkdirSync(dir, { recursive: true });
  rmSync(layout.etcdData, { recursive: true, force: true });
  const ports: SandboxPorts = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
    kwok: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  log('creating the sandbox PKI');
  const pki = await createPki(layout.pki);
  writeKubeconfig(layout.kubeconfig, server, pki);
  const files: ComponentFiles = {
    pki,
    kubeconfig: layout.kubeconfig,
    etcdData: layout.etcdData,
    schedulerConfig: join(layout.config, 'kube-scheduler.yaml'),
    kwokConfig: join(layout.config, 'kwok-stages.yaml'),
  };
  writeFileSync(files.schedulerConfig, schedulerConfig(files));
  copyFileSync(join(deployDir, 'kwok', 'stages.yaml'), files.kwokConfig);
  return { ports, files, server };
}

interface Starter {
  layout: SandboxLayout;
  state: SandboxState;
  timeoutMs: number;
  log: (m: string) => void;
}

interface ComponentSpec {
  component: string;
  binary: string;
  args: string[];
  healthUrl: string;
  caFile?: string;
}

/** Starts one component, records it in the state file at once, and waits for its health endpoint. */
async function startComponent(s: Starter, c: ComponentSpec): Promise<void> {
  s.log(`starting ${c.component}`);
  const logFile = s.layout.log(c.component);
  const proc = {
    ...startProcess(c.component, c.binary, c.args, logFile),
    healthUrl: c.healthUrl,
    caFile: c.caFile,
  };
  s.state.processes.push(proc);
  writeState(s.layout.state, s.state);
  try {
    await waitHealthy(c.component, c.healthUrl, {
      ca: c.caFile ? readFileSync(c.caFile) : undefined,
      timeoutMs: s.timeoutMs,
      isRunning: () => isOurs(proc),
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- last lines of ${logFile} ---\n${tail(logFile)}`, {
      cause: e,
    });
  }
}

/** etcd → kube-apiserver → kube-controller-manager, kube-scheduler, kwok; each healthy before the next. */
async function startControlPlane(s: Starter, bins: BinaryPaths, plan: StartPlan): Promise<void> {
  const { ports, files, server } = plan;
  const local = (port: number, path = '/healthz') => `https://127.0.0.1:${port}${path}`;
  await startComponent(s, {
    component: 'etcd',
    binary: bins.etcd,
    args: etcdArgs(ports, files),
    healthUrl: `http://127.0.0.1:${ports.etcdClient}/health`,
  });
  await startComponent(s, {
    component: 'kube-apiserver',
    binary: bins.kubeApiserver,
    args: apiserverArgs(ports, files),
    healthUrl: `${server}/readyz`,
    caFile: files.pki.caCert,
  });
  await startComponent(s, {
    component: 'kube-controller-manager',
    binary: bins.kubeControllerManager,
    args: controllerManagerArgs(ports, files),
    healthUrl: local(ports.controllerManager),
  });
  await startComponent(s, {
    component: 'kube-scheduler',
    binary: bins.kubeScheduler,
    args: schedulerArgs(ports, files),
    healthUrl: local(ports.scheduler),
  });
  await startComponent(s, {
    component: 'kwok',
    binary: bins.kwok,
    args: kwokArgs(ports, files),
    healthUrl: `http://127.0.0.1:${ports.kwok}/healthz`,
  });
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK on 127.0.0.1, then
 * creates the fleet's fake nodes and waits until kube-scheduler may use them. A healthy sandbox
 * already running in the same directory is reused. On failure everything started is stopped again
 * and the error carries the tail of the failing component's log.
 */
export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxInfo> {
  const { layout } = opts;
  const log = opts.log ?? (() => undefined);
  const existing = await sandboxStatus(layout);
  if (existing.running && existing.healthy) {
    log(`sandbox already running (${existing.server}); reusing it`);
    return {
      kubeconfig: layout.kubeconfig,
      server: existing.server!,
      ports: existing.ports,
      nodes: existing.nodes ?? 0,
      reused: true,
    };
  }
  if (existing.running) await sandboxDown(layout);
  const fleet = loadFleet(opts.fleetFile ?? defaultFleetFile);
  const bins = await ensureBinaries();
  const plan = await prepare(layout, log);
  const state: SandboxState = {
    processes: [],
    ports: { ...plan.ports },
    kubeconfig: layout.kubeconfig,
    fleet: fleet.name,
    startedAt: new Date().toISOString(),
    ownerPid: opts.ownerPid,
  };
  writeState(layout.state, state);
  if (opts.ownerPid) state.processes.push(startWatchdog(layout.state, opts.ownerPid, layout.log('watchdog')));
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  try {
    await startControlPlane({ layout, state, timeoutMs, log }, bins, plan);
    const nodes = await createFleet(layout.kubeconfig, fleet, log, timeoutMs);
    return { kubeconfig: layout.kubeconfig, server: plan.server, ports: state.ports, nodes, reused: false };
  } catch (e) {
    log('start-up failed; stopping what was started');
    await stopAll(state);
    removeState(layout.state);
    throw e;
  }
}

/** Creates the fleet's RuntimeClasses and nodes (batched) and waits until every node is Ready and untainted. */
export async function createFleet(
  kubeconfig: string,
  fleet: Fleet,
  log: (m: string) => void,
  timeoutMs: number,
): Promise<number> {
  const client = new KubeClient({
    credentials: loadKubeconfig(kubeconfig),
    userAgent: 'kentaur-sandbox',
    maxSockets: 16,
  });
  try {
    for (const name of fleet.runtimeClasses) {
      await ignoreExisting(
        client.create(RuntimeClasses, {
          apiVersion: 'node.k8s.io/v1',
          kind: 'RuntimeClass',
          metadata: { name },
          handler: name,
        } as never),
      );
    }
    const size = fleetSize(fleet);
    log(
      `creating ${size.nodes} fake nodes (${Object.entries(size.devices)
        .map(([r, n]) => `${n} ${r}`)
        .join(', ')})`,
    );
    await forEachConcurrent(fleetNodes(fleet), 16, (node) => ignoreExisting(client.create(Nodes, node)));
    await waitFor(
      `${size.nodes} fake nodes to be Ready without the not-ready taint`,
      async () => {
        const list = await client.listAll<Node>(Nodes, { labelSelector: 'type=kwok' });
        const ready = list.items.filter(isSchedulable).length;
        return ready >= size.nodes ? ready : undefined;
      },
      { timeoutMs: Math.max(timeoutMs, size.nodes * 20), intervalMs: 500 },
    );
    return size.nodes;
  } finally {
    client.close();
  }
}

function isSchedulable(n: Node): boolean {
  const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const tainted = n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/'));
  return Boolean(ready) && !tainted;
}

async function ignoreExisting(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

/** Runs `fn` over an iterable with at most `limit` calls in flight; the first failure rejects. */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const it = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) await fn(next.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Stops every process the sandbox started (by recorded pid, verified) and deletes its cluster data. */
export async function sandboxDown(layout: SandboxLayout): Promise<ManagedProcess[]> {
  const state = readState(layout.state);
  if (!state) return [];
  const stopped = state.processes.filter(isOurs);
  await stopAll(state);
  removeState(layout.state);
  rmSync(layout.etcdData, { recursive: true, force: true });
  return stopped;
}

export interface ComponentStatus {
  component: string;
  pid: number;
  running: boolean;
}

export interface SandboxStatus {
  running: boolean;
  healthy: boolean;
  server?: string;
  kubeconfig?: string;
  ports: Record<string, number>;
  components: ComponentStatus[];
  nodes?: number;
}

/** Which recorded processes are alive, and whether the API server answers /readyz. */
export async function sandboxStatus(layout: SandboxLayout): Promise<SandboxStatus> {
  const state = readState(layout.state);
  if (!state) return { running: false, healthy: false, ports: {}, components: [] };
  const components = state.processes.map((p) => ({ component: p.component, pid: p.pid, running: isOurs(p) }));
  const running = components.some((c) => c.running);
  const server = `https://127.0.0.1:${state.ports.apiserver}`;
  let healthy = false;
  let nodes: number | undefined;
  if (running && existsSync(layout.kubeconfig)) {
    const creds = loadKubeconfig(layout.kubeconfig);
    healthy =
      components.every((c) => c.running) &&
      (await probe(`${server}/readyz`, { ca: creds.caData, cert: creds.certData, key: creds.keyData })) ===
        200;
    if (healthy) {
      const client = new KubeClient({ credentials: creds });
      try {
        nodes = (await client.listAll<Node>(Nodes, { labelSelector: 'type=kwok' })).items.filter(
          isSchedulable,
        ).length;
      } finally {
        client.close();
      }
    }
  }
  return { running, healthy, server, kubeconfig: state.kubeconfig, ports: state.ports, components, nodes };
}
