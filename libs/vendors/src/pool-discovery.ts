import type { Node } from 'kubernetes-types/core/v1';
import type { Precision, VendorName } from '@kentaur/api';
import { AMD_PCI } from './amd/amd.adapter';
import { partitionShare, type PoolClass } from './catalog';
import { GAUDI_PCI, INTEL_GPU_PCI } from './intel/intel.adapter';
import {
  capacityCount,
  allocatableCount,
  labelsOf,
  nodeName,
  pciLabelKeys,
  REGION_LABEL,
  type PciSignature,
} from './node-signals';
import { NVIDIA_PCI } from './nvidia/nvidia.adapter';
import type { ModelInfo, VendorRegistry } from './registry';
import { TENSTORRENT_PCI } from './tenstorrent/tenstorrent.adapter';
import type { DiscoveredDevices } from './vendor-adapter';

/** One pool: the nodes of one site with one vendor's model (and partition profile). */
export interface DiscoveredPool {
  /** `<site>-<vendor>-<model>[-<partition>]`, a DNS-1123 label of at most 63 characters. */
  name: string;
  site: string;
  vendor: VendorName;
  model: string;
  partition?: string;
  /** The labels all its nodes share among those that identify the model. */
  nodeSelector: Record<string, string>;
  resourceName: string;
  devicesPerNode: number;
  memoryGB?: number;
  computeUnitsPerDevice?: number;
  powerWattsPerDevice?: number;
  precisions: Precision[];
  classes: PoolClass[];
  /** Node names, sorted. */
  nodes: string[];
  nodesReady: number;
  devices: { capacity: number; allocatable: number };
  warnings: string[];
}

export interface UnrecognisedNode {
  node: string;
  reason: string;
}

export interface PoolDiscoveryOptions {
  registry: VendorRegistry;
  /** Site of nodes without a topology.kubernetes.io/region label. */
  defaultSite: string;
  /**
   * The site of every node, whatever its labels say: the nodes of a remote site's cluster belong to
   * that Site object (federation), even where their region label names something else.
   */
  site?: string;
}

/** Extended resources that are not accelerators (network, virtualisation, Intel offload engines). */
export const NON_ACCELERATOR_RESOURCES: readonly RegExp[] = [
  /^hugepages-/,
  /^ephemeral-storage$/,
  /^attachable-volumes-/,
  /^devices\.kubevirt\.io\//,
  /^rdma\//,
  /^openshift\.io\//,
  /^smarter-devices\//,
  /^(qat|sgx|dsa|iaa|dlb)\.intel\.com\//,
  /^intel\.com\/(sriov|qat)/,
];

/** NFD PCI signatures of the vendors Kentaur knows, with the resource domain that claims them. */
const KNOWN_PCI: readonly { name: string; sig: PciSignature; domain: string }[] = [
  { name: 'NVIDIA', sig: NVIDIA_PCI, domain: 'nvidia.com' },
  { name: 'AMD', sig: AMD_PCI, domain: 'amd.com' },
  { name: 'Intel GPU', sig: INTEL_GPU_PCI, domain: 'gpu.intel.com' },
  { name: 'Intel Gaudi', sig: GAUDI_PCI, domain: 'habana.ai' },
  { name: 'Tenstorrent', sig: TENSTORRENT_PCI, domain: 'tenstorrent.com' },
];

const domainOf = (resource: string) => resource.split('/')[0]!;
/** Code-point order: the same in every locale. */
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Accelerator-looking signals on the node that no discovery accounts for, as reasons. */
function unclaimedSignals(node: Node, found: DiscoveredDevices[]): string[] {
  const claimed = new Set(found.map((d) => domainOf(d.resourceName)));
  const labels = labelsOf(node);
  const pci = KNOWN_PCI.filter((k) => !claimed.has(k.domain)).flatMap((k) =>
    pciLabelKeys(k.sig)
      .filter((key) => labels[key] === 'true')
      .map((key) => `${key} shows ${k.name} devices, but no vendor adapter recognised them`),
  );
  const resources = Object.entries(node.status?.allocatable ?? {})
    .filter(
      ([r]) =>
        r.includes('/') && !claimed.has(domainOf(r)) && !NON_ACCELERATOR_RESOURCES.some((p) => p.test(r)),
    )
    .sort(([a], [b]) => byString(a, b))
    .map(
      ([r, n]) =>
        `allocatable ${r}: ${n} is not handled by any vendor adapter; configure a generic vendor for it (or ignore it if it is no accelerator)`,
    );
  return [...pci, ...resources];
}

/** Ready, schedulable and without a node.kubernetes.io/* taint keeping pods off. */
export function isNodeReady(node: Node): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const tainted = (node.spec?.taints ?? []).some(
    (t) => t.key.startsWith('node.kubernetes.io/') && (t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
  );
  return ready && !tainted && node.spec?.unschedulable !== true;
}

/** FNV-1a, for short stable name suffixes. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function sanitise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** `<site>-<vendor>-<model>[-<partition>]` as a DNS-1123 label; over 63 characters: cut plus a hash. */
export function poolName(parts: { site: string; vendor: string; model: string; partition?: string }): string {
  const full = sanitise([parts.site, parts.vendor, parts.model, parts.partition].filter(Boolean).join('-'));
  if (full.length <= 63) return full;
  return `${full.slice(0, 54).replace(/-+$/, '')}-${hash(full)}`;
}

interface Member {
  node: Node;
  found: DiscoveredDevices;
}

/** The label pairs every member's selector has. */
function commonSelector(members: Member[]): Record<string, string> {
  const [first, ...rest] = members.map((m) => m.found.nodeSelector);
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((s) => s[k] === v)));
}

function spread(what: string, values: number[]): string[] {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  return distinct.length > 1 ? [`nodes differ in ${what} (${distinct.join(', ')})`] : [];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Per-device figures, scaled down to the partition's share of the chip. */
function perDevice(info: ModelInfo | undefined, partition: string | undefined) {
  const share = partition === undefined ? 1 : partitionShare(partition);
  const scale = (v: number | undefined) =>
    v === undefined || share === undefined ? undefined : round2(v * share);
  return { computeUnitsPerDevice: scale(info?.computeUnits), powerWattsPerDevice: scale(info?.boardPowerW) };
}

function deviceSums(members: Member[]) {
  const sum = (f: (m: Member) => number | undefined) => members.reduce((t, m) => t + (f(m) ?? 0), 0);
  return {
    capacity: sum((m) => capacityCount(m.node, m.found.resourceName)),
    allocatable: sum((m) => allocatableCount(m.node, m.found.resourceName)),
  };
}

function poolWarnings(members: Member[], selector: Record<string, string>): string[] {
  const resources = [...new Set(members.map((m) => m.found.resourceName))].sort();
  const memories = members.map((m) => m.found.memoryGB).filter((v): v is number => v !== undefined);
  return [
    ...members.flatMap((m) => m.found.warnings),
    ...(Object.keys(selector).length
      ? []
      : ['the nodes share no label that selects them: label them with kentaur.io/accelerator-model']),
    ...(resources.length > 1 ? [`nodes advertise different resources (${resources.join(', ')})`] : []),
    ...spread(
      'devices per node',
      members.map((m) => m.found.devicesPerNode),
    ),
    ...spread('memory GB', memories),
  ];
}

function buildPool(site: string, members: Member[], registry: VendorRegistry): DiscoveredPool {
  const { vendor, model, partition, resourceName } = members[0]!.found;
  const info = registry.modelInfo(vendor, model);
  const nodeSelector = commonSelector(members);
  const memories = members.map((m) => m.found.memoryGB).filter((v): v is number => v !== undefined);
  const pool: DiscoveredPool = {
    name: poolName({ site, vendor, model, partition }),
    site,
    vendor,
    model,
    ...(partition !== undefined ? { partition } : {}),
    nodeSelector,
    resourceName,
    devicesPerNode: Math.max(...members.map((m) => m.found.devicesPerNode)),
    ...(memories.length ? { memoryGB: Math.min(...memories) } : {}),
    ...perDevice(info, partition),
    precisions: [...(info?.precisions ?? members[0]!.found.precisions)],
    classes: [...(info?.classes ?? ['training', 'inference'])],
    nodes: members.map((m) => nodeName(m.node)),
    nodesReady: members.filter((m) => isNodeReady(m.node)).length,
    devices: deviceSums(members),
    warnings: [...new Set(poolWarnings(members, nodeSelector))],
  };
  return Object.fromEntries(
    Object.entries(pool).filter(([, v]) => v !== undefined),
  ) as unknown as DiscoveredPool;
}

/** Distinct keys whose names collide after sanitising get a hash of their key appended. */
function uniqueNames(pools: { key: string; pool: DiscoveredPool }[]): DiscoveredPool[] {
  const counts = new Map<string, number>();
  for (const { pool } of pools) counts.set(pool.name, (counts.get(pool.name) ?? 0) + 1);
  return pools.map(({ key, pool }) =>
    counts.get(pool.name)! > 1
      ? { ...pool, name: `${pool.name.slice(0, 54).replace(/-+$/, '')}-${hash(key)}` }
      : pool,
  );
}

/**
 * Groups nodes into pools by site, vendor, model and partition. Pure: the same nodes in any order give
 * the same result. Nodes with accelerator signals no adapter explains are reported, never dropped.
 */
export function discoverPools(
  nodes: readonly Node[],
  opts: PoolDiscoveryOptions,
): { pools: DiscoveredPool[]; unrecognised: UnrecognisedNode[] } {
  const groups = new Map<string, { site: string; members: Member[] }>();
  const unrecognised: UnrecognisedNode[] = [];
  const sorted = [...nodes].sort((a, b) => byString(nodeName(a), nodeName(b)));
  for (const node of sorted) {
    const site = opts.site ?? (labelsOf(node)[REGION_LABEL] || opts.defaultSite);
    const found = opts.registry.discover(node);
    for (const d of found) {
      const key = JSON.stringify([site, d.vendor, d.model, d.partition ?? '']);
      const group = groups.get(key) ?? { site, members: [] };
      group.members.push({ node, found: d });
      groups.set(key, group);
    }
    const reasons = unclaimedSignals(node, found);
    if (reasons.length) unrecognised.push({ node: nodeName(node), reason: reasons.join('; ') });
  }
  const built = [...groups.entries()].map(([key, g]) => ({
    key,
    pool: buildPool(g.site, g.members, opts.registry),
  }));
  const pools = uniqueNames(built).sort((a, b) => byString(a.name, b.name));
  return { pools, unrecognised };
}
