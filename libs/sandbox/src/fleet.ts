import { readFileSync } from 'node:fs';
import type { Node, Taint } from 'kubernetes-types/core/v1';
import { parse } from 'yaml';
import { validateResource, type SiteSpec } from '@kentaur/api';

/** One pool of identical fake nodes in a fleet file. */
export interface FleetPool {
  name: string;
  nodes: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[];
  /** Node capacity; allocatable is the same (fake nodes reserve nothing). */
  capacity: Record<string, string>;
  /** The site of a federation fleet the pool belongs to: prefixes node names, sets the region label. */
  site?: string;
}

/** What one cluster of the sandbox holds. */
export interface ClusterFleet {
  pools: FleetPool[];
  /** RuntimeClasses the vendors' operators would create (the GPU Operator's `nvidia`, Gaudi's `habana`). */
  runtimeClasses: string[];
  /**
   * How long a fake node's Lease lasts (KWOK renews it every quarter of that; kube-controller-manager
   * marks the node Unknown after as long without renewal). Default 40 s, as kubelets; a large fleet
   * on a small machine needs longer (`spec.nodeLeaseSeconds`).
   */
  nodeLeaseSeconds?: number;
}

export const DEFAULT_NODE_LEASE_SECONDS = 40;

/**
 * One site of a federation fleet: a cluster of its own, and the facts its `Site` object publishes.
 * `spec` never holds `kubeconfigSecretRef`: the sandbox sets it for every site but the first.
 */
export interface FleetSite extends ClusterFleet {
  name: string;
  spec: Omit<SiteSpec, 'kubeconfigSecretRef'>;
}

/**
 * A parsed fleet file. A single-cluster file (`spec.pools`) fills `pools` and `runtimeClasses`; a
 * federation file (`spec.sites`) fills `sites` instead (the top-level `pools` are then empty), one
 * cluster per site, the first being the management cluster.
 */
export interface Fleet extends ClusterFleet {
  name: string;
  sites?: FleetSite[];
}

export class FleetError extends Error {
  override readonly name = 'FleetError';
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TAINT_EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** The well-known label of a node's region; in a federation fleet, the site name. */
export const REGION_LABEL = 'topology.kubernetes.io/region';

/** The annotation the KWOK controller of the sandbox selects its nodes by. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new FleetError(`${field}: must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new FleetError(`${field}.${k}: must be a string (quote numbers and booleans)`);
    }
    out[k] = String(v);
  }
  return out;
}

function parseTaints(value: unknown, field: string): Taint[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FleetError(`${field}: must be a list of {key, value?, effect}`);
  return value.map((t: Record<string, unknown>, i) => {
    if (typeof t?.key !== 'string' || !t.key) throw new FleetError(`${field}[${i}].key: required`);
    if (typeof t.effect !== 'string' || !TAINT_EFFECTS.has(t.effect)) {
      throw new FleetError(`${field}[${i}].effect: must be one of NoSchedule, PreferNoSchedule, NoExecute`);
    }
    return {
      key: t.key,
      ...(typeof t.value === 'string' || typeof t.value === 'number' ? { value: String(t.value) } : {}),
      effect: t.effect,
    };
  });
}

function parsePool(raw: Record<string, unknown>, at: string, site?: string): FleetPool {
  if (typeof raw?.name !== 'string' || !DNS1123.test(raw.name) || raw.name.length > 50) {
    throw new FleetError(
      `${at}.name: must be a DNS-1123 label of at most 50 characters (lower-case letters, digits, '-')`,
    );
  }
  if (!Number.isInteger(raw.nodes) || (raw.nodes as number) < 0)
    throw new FleetError(`${at}.nodes: must be a whole number >= 0`);
  const capacity = stringMap(raw.capacity, `${at}.capacity`);
  for (const key of ['cpu', 'memory', 'pods']) {
    if (!capacity[key])
      throw new FleetError(`${at}.capacity.${key}: required (e.g. cpu: "64", memory: 256Gi, pods: "110")`);
  }
  const labels = stringMap(raw.labels, `${at}.labels`);
  if (site !== undefined) {
    const region = labels[REGION_LABEL];
    if (region !== undefined && region !== site)
      throw new FleetError(
        `${at}.labels.${REGION_LABEL}: is "${region}" but the pool is in site ${site}; remove the label (the sandbox sets it to the site name)`,
      );
    // The name is also the node's kubernetes.io/hostname label value: at most 63 characters.
    const longest = `${site}-${raw.name}-${Math.max(0, (raw.nodes as number) - 1)}`;
    if (longest.length > 63)
      throw new FleetError(
        `${at}.name: node names such as ${longest} would be longer than 63 characters; shorten the site or pool name`,
      );
  }
  return {
    name: raw.name,
    nodes: raw.nodes as number,
    labels,
    annotations: stringMap(raw.annotations, `${at}.annotations`),
    taints: parseTaints(raw.taints, `${at}.taints`),
    capacity,
    ...(site === undefined ? {} : { site }),
  };
}

/** Pools of one cluster: a non-empty list with unique names. `at` is the path of the list. */
function parsePools(value: unknown, at: string, source: string, site?: string): FleetPool[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new FleetError(`${source}: ${at} must be a non-empty list`);
  const pools = value.map((p, i) => parsePool(p as Record<string, unknown>, `${at}[${i}]`, site));
  const seen = new Set<string>();
  for (const [i, p] of pools.entries()) {
    if (seen.has(p.name))
      throw new FleetError(
        `${source}: ${at}[${i}].name: "${p.name}" is used twice; pool names must be unique`,
      );
    seen.add(p.name);
  }
  return pools;
}

function parseRuntimeClasses(value: unknown, at: string, source: string): string[] {
  const runtimeClasses = value ?? [];
  if (
    !Array.isArray(runtimeClasses) ||
    runtimeClasses.some((r) => typeof r !== 'string' || !DNS1123.test(r))
  ) {
    throw new FleetError(`${source}: ${at} must be a list of DNS-1123 names, e.g. [nvidia, habana]`);
  }
  return runtimeClasses as string[];
}

/** The `Site` facts a fleet site may carry; the rest of its keys are `name`, `runtimeClasses`, `pools`. */
const SITE_FACTS = [
  'country',
  'pue',
  'gridCarbonGramsPerKWh',
  'pricePerKWhEUR',
  'heatReuseFraction',
] as const;
const SITE_KEYS = new Set<string>(['name', 'runtimeClasses', 'pools', 'nodeLeaseSeconds', ...SITE_FACTS]);

function parseNodeLease(value: unknown, at: string, source: string): { nodeLeaseSeconds?: number } {
  if (value === undefined) return {};
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 10 || value > 3600)
    throw new FleetError(
      `${source}: ${at}: must be a whole number of seconds from 10 to 3600 (default ${DEFAULT_NODE_LEASE_SECONDS}), e.g. 600 for a fleet of 15,000 nodes`,
    );
  return { nodeLeaseSeconds: value };
}

function parseSite(raw: unknown, j: number, source: string): FleetSite {
  const at = `spec.sites[${j}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FleetError(`${source}: ${at}: must be a map with name, country, pools`);
  const site = raw as Record<string, unknown>;
  for (const key of Object.keys(site)) {
    if (key === 'kubeconfigSecretRef')
      throw new FleetError(
        `${source}: ${at}.kubeconfigSecretRef: set by the sandbox (a Secret in kentaur-system for every site but the first); remove it`,
      );
    if (!SITE_KEYS.has(key))
      throw new FleetError(`${source}: ${at}.${key}: unknown field; a site has ${[...SITE_KEYS].join(', ')}`);
  }
  if (typeof site.name !== 'string' || !DNS1123.test(site.name) || site.name.length > 40)
    throw new FleetError(
      `${source}: ${at}.name: must be a DNS-1123 label of at most 40 characters, e.g. dk-1 (it names the Site object, its Secret and its node-name prefix)`,
    );
  const name = site.name;
  const spec: Record<string, unknown> = {};
  for (const key of SITE_FACTS) if (site[key] !== undefined) spec[key] = site[key];
  // The same rules as the Site CRD, so that the Site objects the sandbox creates are accepted.
  const errors = validateResource('Site', { metadata: { name }, spec });
  if (errors.length) {
    const e = errors[0]!;
    const field = e.field.startsWith('spec.') ? e.field.slice('spec.'.length) : e.field;
    throw new FleetError(`${source}: ${at}.${field}: ${e.message}`);
  }
  return {
    name,
    spec: spec as FleetSite['spec'],
    runtimeClasses: parseRuntimeClasses(site.runtimeClasses, `${at}.runtimeClasses`, source),
    pools: parsePools(site.pools, `${at}.pools`, source, name),
    ...parseNodeLease(site.nodeLeaseSeconds, `${at}.nodeLeaseSeconds`, source),
  };
}

function parseSites(value: unknown, source: string): FleetSite[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new FleetError(
      `${source}: spec.sites must be a non-empty list of sites, the first being the management cluster`,
    );
  const sites = value.map((raw, j) => parseSite(raw, j, source));
  const seen = new Set<string>();
  for (const [j, site] of sites.entries()) {
    if (seen.has(site.name))
      throw new FleetError(
        `${source}: spec.sites[${j}].name: "${site.name}" is used twice; site names must be unique`,
      );
    seen.add(site.name);
  }
  return sites;
}

/**
 * Parses and validates a fleet document, single-cluster (`spec.pools`) or federation (`spec.sites`);
 * every error names the field and the fix.
 */
export function parseFleet(text: string, source = 'fleet'): Fleet {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, { merge: true }) as Record<string, unknown>;
  } catch (e) {
    throw new FleetError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  if (doc?.kind !== 'Fleet') throw new FleetError(`${source}: kind must be Fleet`);
  const spec = (doc.spec ?? {}) as {
    pools?: unknown;
    runtimeClasses?: unknown;
    sites?: unknown;
    nodeLeaseSeconds?: unknown;
  };
  const metadata = doc.metadata as { name?: unknown } | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : source;
  if (spec.sites !== undefined) {
    if (spec.pools !== undefined)
      throw new FleetError(
        `${source}: spec.pools: a fleet has either spec.pools (one cluster) or spec.sites (one cluster per site); move the pools into their site`,
      );
    if (spec.runtimeClasses !== undefined)
      throw new FleetError(
        `${source}: spec.runtimeClasses: with spec.sites, give runtimeClasses per site (spec.sites[].runtimeClasses)`,
      );
    if (spec.nodeLeaseSeconds !== undefined)
      throw new FleetError(
        `${source}: spec.nodeLeaseSeconds: with spec.sites, give nodeLeaseSeconds per site (spec.sites[].nodeLeaseSeconds)`,
      );
    return { name, pools: [], runtimeClasses: [], sites: parseSites(spec.sites, source) };
  }
  if (!Array.isArray(spec.pools) || spec.pools.length === 0)
    throw new FleetError(`${source}: spec.pools must be a non-empty list (or spec.sites for a federation)`);
  return {
    name,
    pools: parsePools(spec.pools, 'spec.pools', source),
    runtimeClasses: parseRuntimeClasses(spec.runtimeClasses, 'spec.runtimeClasses', source),
    ...parseNodeLease(spec.nodeLeaseSeconds, 'spec.nodeLeaseSeconds', source),
  };
}

export function loadFleet(path: string): Fleet {
  return parseFleet(readFileSync(path, 'utf8'), path);
}

/** `<pool>-<index>`; in a federation `<site>-<pool>-<index>`, so that names are unique across sites. */
export function nodeName(pool: FleetPool, index: number): string {
  return pool.site === undefined ? `${pool.name}-${index}` : `${pool.site}-${pool.name}-${index}`;
}

/** The Node object for one fake node: labels, taints and resources as the fleet says. Pure. */
export function fleetNode(pool: FleetPool, index: number): Node {
  const name = nodeName(pool, index);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: {
        ...pool.annotations,
        [KWOK_NODE_ANNOTATION]: 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
      },
      labels: {
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...pool.labels,
        ...(pool.site === undefined ? {} : { [REGION_LABEL]: pool.site }),
        'kubernetes.io/hostname': name,
        type: 'kwok',
        'sandbox.kentaur.io/pool': pool.name,
      },
    },
    spec: { taints: pool.taints },
    status: { capacity: pool.capacity, allocatable: pool.capacity, phase: 'Running' },
  };
}

/** Every Node of one cluster, in pool order. Large fleets are better streamed with {@link fleetNodes}. */
export function* fleetNodes(fleet: ClusterFleet): Generator<Node> {
  for (const pool of fleet.pools) for (let i = 0; i < pool.nodes; i++) yield fleetNode(pool, i);
}

export function fleetSize(fleet: ClusterFleet): { nodes: number; devices: Record<string, number> } {
  const devices: Record<string, number> = {};
  let nodes = 0;
  for (const pool of fleet.pools) {
    nodes += pool.nodes;
    for (const [res, qty] of Object.entries(pool.capacity)) {
      if (res.includes('/')) devices[res] = (devices[res] ?? 0) + Number(qty) * pool.nodes;
    }
  }
  return { nodes, devices };
}

/**
 * The clusters a fleet starts: one per site for a federation, else the one unnamed cluster. The
 * first is the management cluster.
 */
export function fleetClusters(fleet: Fleet): { site?: FleetSite; fleet: ClusterFleet }[] {
  return fleet.sites ? fleet.sites.map((site) => ({ site, fleet: site })) : [{ fleet }];
}
