import type { Node } from 'kubernetes-types/core/v1';
import type { VendorName } from '@kentaur/api';
import { catalogModels, catalogVendorsOf, findModel } from './catalog';
import { allocatableCount, firstTrueLabel, intLabel, KENTAUR_MODEL_LABEL, labelsOf } from './node-signals';
import type { DiscoveredDevices, DiscoverySource } from './vendor-adapter';

/** Which model a node's devices are, and the labels that select nodes of that model. */
export interface Identity {
  model: string;
  product?: string;
  source: DiscoverySource;
  nodeSelector: Record<string, string>;
  /** Nominal memory of a whole device, when the labels or the catalog say. */
  memoryGB?: number;
  warnings: string[];
}

/** One kind of schedulable device on the node: whole chips, or one partition profile. */
export interface DeviceGroup {
  resourceName: string;
  devicesPerNode: number;
  partition?: string;
  /** Memory of one partition; whole devices take the identity's. */
  memoryGB?: number;
  /** Labels that narrow the identity's selector to this group (e.g. AMD's partition label). */
  nodeSelector?: Record<string, string>;
  warnings?: string[];
}

/** How a vendor's devices show on a node, poorest signals last. */
export interface VendorSignals {
  vendor: VendorName;
  /** The model from the vendor's own feature labels; undefined when they are absent. */
  featureIdentity(node: Node): Identity | undefined;
  /** Labels (value `true`) that mean "this vendor's devices are here" without naming a model, best first. */
  presenceLabels: readonly string[];
  /** This vendor's extended resources the node advertises (allocatable keys). */
  resources(node: Node): string[];
  /** Which of the vendor's catalog models these signals cover (Intel: GPUs or Gaudi); default all. */
  ownsModel?(model: string): boolean;
}

export function unknownModelWarning(
  vendor: VendorName,
  owns: (model: string) => boolean = () => true,
): string {
  const models = catalogModels()
    .filter((m) => m.vendor === vendor && owns(m.model))
    .map((m) => m.model);
  const hint = models.length ? ` (${vendor} models: ${models.join(', ')})` : '';
  return `model unknown: the node has ${vendor} devices but no label names the model; label the nodes with ${KENTAUR_MODEL_LABEL}=<model>${hint}`;
}

const ownedBy = (signals: VendorSignals) => (model: string) => signals.ownsModel?.(model) ?? true;

export function notInCatalogWarning(vendor: VendorName, model: string): string {
  return `model ${model} is not in the ${vendor} catalog: set memoryGB, computeUnitsPerDevice and powerWattsPerDevice on its AcceleratorPool`;
}

function noSelectorWarning(resources: string[]): string {
  return `no label identifies these nodes (only allocatable ${resources.join(', ')}): label them with ${KENTAUR_MODEL_LABEL}=<model> so a pool can select them`;
}

/** The model for a product string: the catalog's name, or the string itself with a warning. */
export function modelFromProduct(vendor: VendorName, product: string): { model: string; warnings: string[] } {
  const found = findModel(vendor, product);
  return found
    ? { model: found.model, warnings: [] }
    : { model: product, warnings: [notInCatalogWarning(vendor, product)] };
}

/**
 * The Kentaur model label, when it is meant for this vendor: it names one of the vendor's catalog
 * models, or the node has this vendor's hardware and the value is no other vendor's model.
 */
function fromKentaurLabel(node: Node, signals: VendorSignals): Identity | undefined {
  const value = labelsOf(node)[KENTAUR_MODEL_LABEL];
  if (!value) return undefined;
  const presence = firstTrueLabel(node, signals.presenceLabels);
  const selector = { ...(presence ? { [presence]: 'true' } : {}), [KENTAUR_MODEL_LABEL]: value };
  const found = findModel(signals.vendor, value);
  if (found && ownedBy(signals)(found.model))
    return { model: found.model, source: 'kentaur-label', nodeSelector: selector, warnings: [] };
  const hasHardware = presence !== undefined || signals.resources(node).length > 0;
  if (found || !hasHardware || catalogVendorsOf(value).length > 0) return undefined;
  return {
    model: value,
    source: 'kentaur-label',
    nodeSelector: selector,
    warnings: [notInCatalogWarning(signals.vendor, value)],
  };
}

function fromPresence(node: Node, signals: VendorSignals): Identity | undefined {
  const key = firstTrueLabel(node, signals.presenceLabels);
  if (!key) return undefined;
  const source: DiscoverySource = key.includes('/pci-') ? 'nfd-pci' : 'feature-labels';
  return {
    model: 'unknown',
    source,
    nodeSelector: { [key]: 'true' },
    warnings: [unknownModelWarning(signals.vendor, ownedBy(signals))],
  };
}

function fromAllocatable(node: Node, signals: VendorSignals): Identity | undefined {
  const resources = signals.resources(node);
  if (!resources.length) return undefined;
  return {
    model: 'unknown',
    source: 'allocatable',
    nodeSelector: {},
    warnings: [unknownModelWarning(signals.vendor, ownedBy(signals)), noSelectorWarning(resources)],
  };
}

/** The richest identity: feature labels, then the Kentaur label, then NFD/presence labels, then allocatable. */
export function identify(node: Node, signals: VendorSignals): Identity | undefined {
  return (
    signals.featureIdentity(node) ??
    fromKentaurLabel(node, signals) ??
    fromPresence(node, signals) ??
    fromAllocatable(node, signals)
  );
}

/** Devices of one resource: allocatable, else a count label, else 0 with a warning. */
export function deviceGroup(node: Node, resourceName: string, countLabel?: string): DeviceGroup {
  const allocatable = allocatableCount(node, resourceName);
  if (allocatable !== undefined) return { resourceName, devicesPerNode: allocatable };
  const counted = countLabel === undefined ? undefined : intLabel(node, countLabel);
  if (counted !== undefined) return { resourceName, devicesPerNode: counted };
  return {
    resourceName,
    devicesPerNode: 0,
    warnings: [
      `no allocatable ${resourceName} on the node: is the vendor's device plugin or DRA driver running?`,
    ],
  };
}

/** Drops undefined properties so results compare and serialise cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One DiscoveredDevices from an identity and one device group, with catalog facts filled in. */
export function assemble(vendor: VendorName, identity: Identity, group: DeviceGroup): DiscoveredDevices {
  const model = findModel(vendor, identity.model);
  return compact<DiscoveredDevices>({
    vendor,
    model: identity.model,
    product: identity.product,
    partition: group.partition,
    resourceName: group.resourceName,
    devicesPerNode: group.devicesPerNode,
    memoryGB: group.partition ? group.memoryGB : (identity.memoryGB ?? model?.memoryGB),
    precisions: model ? [...model.precisions] : [],
    interconnect: model?.interconnect,
    nodeSelector: { ...identity.nodeSelector, ...group.nodeSelector },
    source: identity.source,
    warnings: [...identity.warnings, ...(group.warnings ?? [])],
  });
}

/** Identity plus device groups → every DiscoveredDevices of one vendor on the node. */
export function discoverWith(
  node: Node,
  signals: VendorSignals,
  groups: (node: Node, identity: Identity) => DeviceGroup[],
): DiscoveredDevices[] {
  const identity = identify(node, signals);
  if (!identity) return [];
  return groups(node, identity).map((g) => assemble(signals.vendor, identity, g));
}
