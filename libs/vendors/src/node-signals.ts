import type { Node } from 'kubernetes-types/core/v1';

/**
 * Set by a platform engineer where the vendor's labels do not carry the model (Tenstorrent, Gaudi
 * without Habana Feature Discovery, GPU Operator NFD on class-12 parts): e.g. `p150`, `Gaudi3`.
 */
export const KENTAUR_MODEL_LABEL = 'kentaur.io/accelerator-model';
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const NFD_PREFIX = 'feature.node.kubernetes.io/';

export function labelsOf(node: Node): Record<string, string> {
  return node.metadata?.labels ?? {};
}

export function nodeName(node: Node): string {
  return node.metadata?.name ?? '';
}

/** A device count from a resource map; undefined when the resource is not there at all. */
function count(map: Record<string, string> | undefined, resource: string): number | undefined {
  const raw = map?.[resource];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

export function allocatableCount(node: Node, resource: string): number | undefined {
  return count(node.status?.allocatable, resource);
}

export function capacityCount(node: Node, resource: string): number | undefined {
  return count(node.status?.capacity, resource);
}

/** Allocatable resource names matching a pattern, sorted (so output never depends on map order). */
export function allocatableMatching(node: Node, pattern: RegExp): string[] {
  return Object.keys(node.status?.allocatable ?? {})
    .filter((r) => pattern.test(r))
    .sort();
}

/** How one vendor's devices show in NFD's PCI labels (accelerator-vendors.md §2.1). */
export interface PciSignature {
  vendorId: string;
  /** PCI classes that are this vendor's accelerators (`pci-<class>_<vendor>.present`). */
  classes: string[];
  /**
   * Whether the vendor-only form (`pci-<vendor>.present`, GPU Operator's NFD) means an accelerator.
   * Not for Intel: its NICs carry the same vendor ID.
   */
  vendorOnly: boolean;
}

/** The NFD PCI label keys a signature accepts, class forms first. */
export function pciLabelKeys(sig: PciSignature): string[] {
  const keys = sig.classes.map((c) => `${NFD_PREFIX}pci-${c}_${sig.vendorId}.present`);
  return sig.vendorOnly ? [...keys, `${NFD_PREFIX}pci-${sig.vendorId}.present`] : keys;
}

/** The first label of `keys` the node carries with value `true`. */
export function firstTrueLabel(node: Node, keys: readonly string[]): string | undefined {
  const labels = labelsOf(node);
  return keys.find((k) => labels[k] === 'true');
}

/** Memory in MiB (NVIDIA GFD) to whole GiB, rounded up: 81559 → 80, 143771 → 141. */
export function mibToGB(mib: number): number {
  return Math.ceil(mib / 1024);
}

/**
 * The vendor's nominal memory class. Labels report usable memory (H100 80 GB: 81559 MiB ≈ 79.6 GiB),
 * so a label within 5% of the catalog figure is that model; a label far from it is a variant the
 * catalog does not describe (e.g. a 94 GB part sold under the same name) and wins.
 */
export function nominalMemoryGB(
  catalogGB: number | undefined,
  labelGB: number | undefined,
): number | undefined {
  if (labelGB === undefined || !Number.isFinite(labelGB) || labelGB <= 0) return catalogGB;
  if (catalogGB === undefined) return labelGB;
  return Math.abs(labelGB - catalogGB) / catalogGB <= 0.05 ? catalogGB : labelGB;
}

/** A positive whole number from a label value, else undefined. */
export function intLabel(node: Node, key: string): number | undefined {
  const raw = labelsOf(node)[key];
  if (raw === undefined || !/^[0-9]+$/.test(raw)) return undefined;
  return Number(raw);
}
