import { readFileSync } from 'node:fs';
import type { Node, Taint } from 'kubernetes-types/core/v1';
import { parse } from 'yaml';

/** One pool of identical fake nodes in a fleet file. */
export interface FleetPool {
  name: string;
  nodes: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[];
  /** Node capacity; allocatable is the same (fake nodes reserve nothing). */
  capacity: Record<string, string>;
}

export interface Fleet {
  name: string;
  pools: FleetPool[];
  /** RuntimeClasses the vendors' operators would create (the GPU Operator's `nvidia`, Gaudi's `habana`). */
  runtimeClasses: string[];
}

export class FleetError extends Error {
  override readonly name = 'FleetError';
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TAINT_EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

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

function parsePool(raw: Record<string, unknown>, i: number): FleetPool {
  const at = `spec.pools[${i}]`;
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
  return {
    name: raw.name,
    nodes: raw.nodes as number,
    labels: stringMap(raw.labels, `${at}.labels`),
    annotations: stringMap(raw.annotations, `${at}.annotations`),
    taints: parseTaints(raw.taints, `${at}.taints`),
    capacity,
  };
}

/** Parses and validates a fleet document; every error names the field and the fix. */
export function parseFleet(text: string, source = 'fleet'): Fleet {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, { merge: true }) as Record<string, unknown>;
  } catch (e) {
    throw new FleetError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  if (doc?.kind !== 'Fleet') throw new FleetError(`${source}: kind must be Fleet`);
  const spec = doc.spec as { pools?: unknown; runtimeClasses?: unknown } | undefined;
  if (!Array.isArray(spec?.pools) || spec.pools.length === 0)
    throw new FleetError(`${source}: spec.pools must be a non-empty list`);
  const pools = spec.pools.map((p, i) => parsePool(p as Record<string, unknown>, i));
  const seen = new Set<string>();
  for (const [i, p] of pools.entries()) {
    if (seen.has(p.name))
      throw new FleetError(
        `${source}: spec.pools[${i}].name: "${p.name}" is used twice; pool names must be unique`,
      );
    seen.add(p.name);
  }
  const runtimeClasses = spec.runtimeClasses ?? [];
  if (
    !Array.isArray(runtimeClasses) ||
    runtimeClasses.some((r) => typeof r !== 'string' || !DNS1123.test(r))
  ) {
    throw new FleetError(
      `${source}: spec.runtimeClasses must be a list of DNS-1123 names, e.g. [nvidia, habana]`,
    );
  }
  const metadata = doc.metadata as { name?: unknown } | undefined;
  return {
    name: typeof metadata?.name === 'string' ? metadata.name : source,
    pools,
    runtimeClasses: runtimeClasses as string[],
  };
}

export function loadFleet(path: string): Fleet {
  return parseFleet(readFileSync(path, 'utf8'), path);
}

export function nodeName(pool: FleetPool, index: number): string {
  return `${pool.name}-${index}`;
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
        'kubernetes.io/hostname': name,
        type: 'kwok',
        'sandbox.kentaur.io/pool': pool.name,
      },
    },
    spec: { taints: pool.taints },
    status: { capacity: pool.capacity, allocatable: pool.capacity, phase: 'Running' },
  };
}

/** Every Node of the fleet, in pool order. Large fleets are better streamed with {@link fleetNodes}. */
export function* fleetNodes(fleet: Fleet): Generator<Node> {
  for (const pool of fleet.pools) for (let i = 0; i < pool.nodes; i++) yield fleetNode(pool, i);
}

export function fleetSize(fleet: Fleet): { nodes: number; devices: Record<string, number> } {
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
