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
import { registerSites } from './federation';
import {
  fleetClusters,
  fleetNodes,
  fleetSize,
  loadFleet,
  DEFAULT_NODE_LEASE_SECONDS,
  type ClusterFleet,
  type Fleet,
  type FleetSite,
} from './fleet';
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
  type SandboxSiteState,
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
  /** The API servers serve Go's /debug/pprof (off by default, as a hardened cluster runs it). */
  apiServerProfiling?: boolean;
}

export interface SandboxInfo {
  /** The (management) cluster's admin kubeconfig. */
  kubeconfig: string;
  server: string;
  ports: Record<string, number>;
  /** Ready fake nodes, across every site. */
  nodes: number;
  reused: boolean;
  /** A federation sandbox: every site's cluster, the management cluster first. */
  sites?: SandboxSiteState[];
}

const RuntimeClasses: ResourceType = {
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  plural: 'runtimeclasses',
  namespaced: false,
};

/** Everything one cluster's start needs, decided before any process runs. */
interface StartPlan {
  /** Its site in a federation sandbox; undefined for a single-cluster sandbox. */
  site?: FleetSite;
  fleet: ClusterFleet;
  /** Where its files go: the sandbox root, or sites/<name> in a federation sandbox. */
  layout: SandboxLayout;
  ports: SandboxPorts;
  files: ComponentFiles;
  server: string;
  log: (m: string) => void;
}

/**
 * Free loopback ports for one cluster. `taken` holds the ports already picked in this start: a port
 * picked for another cluster is not bound until that cluster starts, so the OS may offer it again.
 */
async function pickPorts(taken: Set<number>): Promise<SandboxPorts> {
  const pick = async () => {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  return {
    etcdClient: await pick(),
    etcdPeer: await pick(),
    apiserver: await pick(),
    controllerManager: await pick(),
    scheduler: await pick(),
    kwok: await pick(),
  };
}

async function prepare(
  layout: SandboxLayout,
  cluster: { site?: FleetSite; fleet: ClusterFleet },
  ports: SandboxPorts,
  log: (m: string) => void,
): Promise<StartPlan> {
  for (const dir of [layout.root, layout.logs, layout.config]) mkdirSync(dir, { recursive: true });
  rmSync(layout.etcdData, { recursive: true, force: true });
  const server = `https://127.0.0.1:${ports.apiserver}`;
  log(cluster.site ? 'creating its PKI' : 'creating the sandbox PKI');
  const pki = await createPki(layout.pki);
  const name = cluster.site ? `kentaur-sandbox-${cluster.site.name}` : 'kentaur-sandbox';
  writeKubeconfig(layout.kubeconfig, server, pki, name);
  const files: ComponentFiles = {
    pki,
    kubeconfig: layout.kubeconfig,
    etcdData: layout.etcdData,
    schedulerConfig: join(layout.config, 'kube-scheduler.yaml'),
    kwokConfig: join(layout.config, 'kwok-stages.yaml'),
  };
  writeFileSync(files.schedulerConfig, schedulerConfig(files));
  copyFileSync(join(deployDir, 'kwok', 'stages.yaml'), files.kwokConfig);
  return { ...cluster, layout, ports, files, server, log };
}

interface Starter {
  /** The one state file of the sandbox, every site's processes included. */
  stateFile: string;
  state: SandboxState;
  timeoutMs: number;
  apiServerProfiling?: boolean;
}

interface ComponentSpec {
  component: string;
  binary: string;
  args: string[];
  healthUrl: string;
  caFile?: string;
}

/** `<site>/<component>` in a federation sandbox, else the plain component name. */
function qualified(plan: StartPlan, component: string): string {
  return plan.site ? `${plan.site.name}/${component}` : component;
}

/** Starts one component, records it in the state file at once, and waits for its health endpoint. */
async function startComponent(s: Starter, plan: StartPlan, c: ComponentSpec): Promise<void> {
  plan.log(`starting ${c.component}`);
  const logFile = plan.layout.log(c.component);
  const component = qualified(plan, c.component);
  const proc = {
    ...startProcess(component, c.binary, c.args, logFile),
    healthUrl: c.healthUrl,
    caFile: c.caFile,
  };
  // Clusters start side by side in one process: push and write are synchronous, so no record is lost.
  s.state.processes.push(proc);
  writeState(s.stateFile, s.state);
  await waitHealthy(component, c.healthUrl, {
    ca: c.caFile ? readFileSync(c.caFile) : undefined,
    timeoutMs: s.timeoutMs,
    isRunning: () => isOurs(proc),
    logFile,
  });
}

/** etcd → kube-apiserver → kube-controller-manager, kube-scheduler, kwok; each healthy before the next. */
async function startControlPlane(s: Starter, bins: BinaryPaths, plan: StartPlan): Promise<void> {
  const { ports, files, server } = plan;
  const nodeLease = plan.fleet.nodeLeaseSeconds ?? DEFAULT_NODE_LEASE_SECONDS;
  const local = (port: number, path = '/healthz') => `https://127.0.0.1:${port}${path}`;
  await startComponent(s, plan, {
    component: 'etcd',
    binary: bins.etcd,
    args: etcdArgs(ports, files),
    healthUrl: `http://127.0.0.1:${ports.etcdClient}/health`,
  });
  await startComponent(s, plan, {
    component: 'kube-apiserver',
    binary: bins.kubeApiserver,
    args: apiserverArgs(ports, files, { profiling: s.apiServerProfiling }),
    healthUrl: `${server}/readyz`,
    caFile: files.pki.caCert,
  });
  await startComponent(s, plan, {
    component: 'kube-controller-manager',
    binary: bins.kubeControllerManager,
    args: controllerManagerArgs(ports, files, nodeLease),
    healthUrl: local(ports.controllerManager),
  });
  await startComponent(s, plan, {
    component: 'kube-scheduler',
    binary: bins.kubeScheduler,
    args: schedulerArgs(ports, files),
    healthUrl: local(ports.scheduler),
  });
  await startComponent(s, plan, {
    component: 'kwok',
    binary: bins.kwok,
    args: kwokArgs(ports, files, nodeLease),
    healthUrl: `http://127.0.0.1:${ports.kwok}/healthz`,
  });
}

/**
 * Runs `fn` for every item side by side and waits until every call has settled, then rethrows the
 * first failure. Unlike Promise.all it never returns while a call may still start processes, so a
 * clean-up after a failure finds them all in the state.
 */
async function allSettled<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = await Promise.allSettled(items.map(fn));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<R>).value);
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK on 127.0.0.1, then
 * creates the fleet's fake nodes and waits until kube-scheduler may use them. A federation fleet
 * (`spec.sites`) gets one such control plane per site, started side by side, each under
 * sites/<name>; the first site's cluster is the management cluster (its kubeconfig is the sandbox's
 * kubeconfig): it gets Kentaur's CRDs, one Site object per site and the other sites' kubeconfigs as
 * Secrets in kentaur-system. A healthy sandbox already running in the same directory is reused. On
 * failure everything started is stopped again and the error carries the tail of the failing
 * component's log.
 */
export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxInfo> {
  const { layout } = opts;
  const log = opts.log ?? (() => undefined);
  const existing = await sandboxStatus(layout);
  if (existing.running && existing.healthy) {
    log(`sandbox already running (${existing.server}); reusing it`);
    return reusedInfo(layout, existing);
  }
  if (existing.running) await sandboxDown(layout);
  const fleet = loadFleet(opts.fleetFile ?? defaultFleetFile);
  const bins = await ensureBinaries();
  mkdirSync(layout.logs, { recursive: true });
  if (fleet.sites) log(`federation ${fleet.name}: ${fleet.sites.map((x) => x.name).join(', ')}`);
  const plans = await planClusters(layout, fleet, log);
  const management = plans[0]!;
  // The management cluster's kubeconfig is the sandbox's kubeconfig, as for a single cluster.
  if (management.layout !== layout) copyFileSync(management.layout.kubeconfig, layout.kubeconfig);
  const state: SandboxState = {
    processes: [],
    ports: { ...management.ports },
    kubeconfig: layout.kubeconfig,
    ...(fleet.sites ? { sites: plans.map(siteStateOf) } : {}),
    fleet: fleet.name,
    startedAt: new Date().toISOString(),
    ownerPid: opts.ownerPid,
  };
  writeState(layout.state, state);
  if (opts.ownerPid) state.processes.push(startWatchdog(layout.state, opts.ownerPid, layout.log('watchdog')));
  const starter: Starter = {
    stateFile: layout.state,
    state,
    timeoutMs: opts.startTimeoutMs ?? 120_000,
    apiServerProfiling: opts.apiServerProfiling,
  };
  try {
    const nodes = await startClusters(starter, bins, plans, log);
    return {
      kubeconfig: layout.kubeconfig,
      server: management.server,
      ports: state.ports,
      nodes,
      reused: false,
      ...(state.sites ? { sites: state.sites } : {}),
    };
  } catch (e) {
    log('start-up failed; stopping what was started');
    await stopAll(state);
    removeState(layout.state);
    throw e;
  }
}

function reusedInfo(layout: SandboxLayout, existing: SandboxStatus): SandboxInfo {
  return {
    kubeconfig: layout.kubeconfig,
    server: existing.server!,
    ports: existing.ports,
    nodes: existing.nodes ?? 0,
    reused: true,
    ...(existing.sites ? { sites: existing.sites.map(siteState) } : {}),
  };
}

/**
 * Starts every cluster's control plane and fleet side by side, then (federation) registers the sites
 * in the management cluster. Resolves with the number of ready fake nodes across all clusters.
 */
async function startClusters(
  s: Starter,
  bins: BinaryPaths,
  plans: StartPlan[],
  log: (m: string) => void,
): Promise<number> {
  const counts = await allSettled(plans, async (plan) => {
    const started = Date.now();
    await startControlPlane(s, bins, plan);
    if (plan.site) log(`${plan.site.name}: control plane healthy in ${seconds(started)} s`);
    return createFleet(plan.layout.kubeconfig, plan.fleet, plan.log, s.timeoutMs);
  });
  const sites = plans.flatMap((p) => (p.site ? [{ site: p.site, kubeconfig: p.layout.kubeconfig }] : []));
  if (sites.length) {
    log(`${sites[0]!.site.name}: installing the kentaur.io CRDs, the Site objects and the site Secrets`);
    await registerSites(s.state.kubeconfig, sites);
  }
  return counts.reduce((a, b) => a + b, 0);
}

/** One plan per cluster (per site of a federation), PKIs created side by side. */
async function planClusters(
  layout: SandboxLayout,
  fleet: Fleet,
  log: (m: string) => void,
): Promise<StartPlan[]> {
  const clusters = fleetClusters(fleet);
  const taken = new Set<number>();
  const ports: SandboxPorts[] = [];
  for (let i = 0; i < clusters.length; i++) ports.push(await pickPorts(taken));
  return Promise.all(
    clusters.map(({ site, fleet: clusterFleet }, i) =>
      site
        ? prepare(layout.site(site.name), { site, fleet: clusterFleet }, ports[i]!, (m) =>
            log(`${site.name}: ${m}`),
          )
        : prepare(layout, { fleet: clusterFleet }, ports[i]!, log),
    ),
  );
}

function siteStateOf(plan: StartPlan): SandboxSiteState {
  return {
    name: plan.site!.name,
    kubeconfig: plan.layout.kubeconfig,
    server: plan.server,
    ports: { ...plan.ports },
  };
}

function siteState(s: SiteStatus): SandboxSiteState {
  return { name: s.name, kubeconfig: s.kubeconfig, server: s.server, ports: s.ports };
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** How long a fake node may take to turn Ready, for fleets large enough that this exceeds the timeout given. */
const NODE_READY_MS = 80;

/** Creates the fleet's RuntimeClasses and nodes (batched) and waits until every node is Ready and untainted. */
export async function createFleet(
  kubeconfig: string,
  fleet: ClusterFleet,
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
      // Each check lists every node: 45 MB for the gigafactory fleet, so large fleets are checked rarely.
      // 80 ms a node: the gigafactory fleet was Ready in 462 s on 2026-12-06, and not within 602 s
      // (40 ms a node) on 2026-12-07, when the core benchmark's cycle took twice as long as the day before.
      {
        timeoutMs: Math.max(timeoutMs, size.nodes * NODE_READY_MS),
        intervalMs: size.nodes > 2_000 ? 5_000 : 500,
      },
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

/** Stops every process the sandbox started (by recorded pid, verified) and deletes its cluster data. */
export async function sandboxDown(layout: SandboxLayout): Promise<ManagedProcess[]> {
  const state = readState(layout.state);
  if (!state) return [];
  const stopped = state.processes.filter(isOurs);
  await stopAll(state);
  removeState(layout.state);
  rmSync(layout.etcdData, { recursive: true, force: true });
  for (const site of state.sites ?? [])
    rmSync(layout.site(site.name).etcdData, { recursive: true, force: true });
  return stopped;
}

export interface ComponentStatus {
  component: string;
  pid: number;
  running: boolean;
}

/** One site's cluster of a federation sandbox. */
export interface SiteStatus {
  name: string;
  /** The management cluster: where Kentaur's CRDs, the Site objects and the Workloads live. */
  management: boolean;
  server: string;
  kubeconfig: string;
  ports: Record<string, number>;
  /** Its API server answers /readyz. */
  healthy: boolean;
  /** Ready fake nodes; known when healthy. */
  nodes?: number;
}

export interface SandboxStatus {
  running: boolean;
  /** Every recorded process runs and every cluster's API server is ready. */
  healthy: boolean;
  server?: string;
  kubeconfig?: string;
  ports: Record<string, number>;
  components: ComponentStatus[];
  /** Ready fake nodes, across every site. */
  nodes?: number;
  /** A federation sandbox: every site, the management cluster first. */
  sites?: SiteStatus[];
}

/** Whether one cluster's API server answers /readyz, and then how many fake nodes are Ready. */
async function clusterHealth(
  kubeconfig: string,
  server: string,
): Promise<{ healthy: boolean; nodes?: number }> {
  if (!existsSync(kubeconfig)) return { healthy: false };
  const creds = loadKubeconfig(kubeconfig);
  const ready =
    (await probe(`${server}/readyz`, { ca: creds.caData, cert: creds.certData, key: creds.keyData })) === 200;
  if (!ready) return { healthy: false };
  const client = new KubeClient({ credentials: creds });
  try {
    const nodes = (await client.listAll<Node>(Nodes, { labelSelector: 'type=kwok' })).items.filter(
      isSchedulable,
    ).length;
    return { healthy: true, nodes };
  } finally {
    client.close();
  }
}

/** Which recorded processes are alive, and whether every cluster's API server answers /readyz. */
export async function sandboxStatus(layout: SandboxLayout): Promise<SandboxStatus> {
  const state = readState(layout.state);
  if (!state) return { running: false, healthy: false, ports: {}, components: [] };
  const components = state.processes.map((p) => ({ component: p.component, pid: p.pid, running: isOurs(p) }));
  const running = components.some((c) => c.running);
  const server = `https://127.0.0.1:${state.ports.apiserver}`;
  const base = { running, server, kubeconfig: state.kubeconfig, ports: state.ports, components };
  if (!running) return { ...base, healthy: false, ...(state.sites ? { sites: sitesDown(state.sites) } : {}) };
  const allRunning = components.every((c) => c.running);
  if (!state.sites) {
    const cluster = await clusterHealth(layout.kubeconfig, server);
    const healthy = allRunning && cluster.healthy;
    return { ...base, healthy, ...(healthy ? { nodes: cluster.nodes } : {}) };
  }
  const sites: SiteStatus[] = await Promise.all(
    state.sites.map(async (site, i) => ({
      name: site.name,
      management: i === 0,
      server: site.server,
      kubeconfig: site.kubeconfig,
      ports: site.ports,
      ...(await clusterHealth(site.kubeconfig, site.server)),
    })),
  );
  const healthy = allRunning && sites.every((s) => s.healthy);
  const nodes = healthy ? sites.reduce((a, s) => a + (s.nodes ?? 0), 0) : undefined;
  return { ...base, healthy, ...(nodes === undefined ? {} : { nodes }), sites };
}

function sitesDown(sites: SandboxSiteState[]): SiteStatus[] {
  return sites.map((site, i) => ({ ...site, management: i === 0, healthy: false }));
}
