import type { Node } from 'kubernetes-types/core/v1';
import { ProfileAdapter } from '../base.adapter';
import { findModel, findModelByPciId } from '../catalog';
import {
  deviceGroup,
  discoverWith,
  notInCatalogWarning,
  type DeviceGroup,
  type Identity,
  type VendorSignals,
} from '../discovery';
import { attributeEquals, memoryAtLeast } from '../dra-selectors';
import {
  allocatableCount,
  allocatableMatching,
  labelsOf,
  nominalMemoryGB,
  NFD_PREFIX,
  pciLabelKeys,
  type PciSignature,
} from '../node-signals';
import { DEFAULT_DEVICE_GROUPS, type RuntimeProfile } from '../render-pod';
import type { DiscoveredDevices, RenderInput } from '../vendor-adapter';

// k8s-node-labeller and device plugin names (accelerator-vendors.md §1.2, §2.3).
const PRODUCT = 'amd.com/gpu.product-name';
const VRAM = 'amd.com/gpu.vram';
const DEVICE_ID = 'amd.com/gpu.device-id';
/** The code writes amd.com/gpu.compute-memory-partition (the user doc's amd.com/compute-… is wrong). */
const PARTITION = 'amd.com/gpu.compute-memory-partition';
const GPU = 'amd.com/gpu';
/** Mixed resource naming: `<compute>_<memory>` partitions, e.g. amd.com/cpx_nps4. */
const PARTITION_RESOURCE = /^amd\.com\/((?:spx|dpx|qpx|cpx)_nps[124])$/;
/** The AMD GPU Operator's NFD rule labels a model, e.g. feature.node.kubernetes.io/amd-gpu-mi300x. */
const NFD_RULE_MODEL = new RegExp(`^${NFD_PREFIX.replace(/\./g, '\\.')}amd-gpu-(mi[0-9a-z]+)$`);
/** Every mixed-naming resource: compute partition × memory partition (ROCm docs, §1.2). */
const MIXED_RESOURCES = ['spx', 'dpx', 'qpx', 'cpx'].flatMap((c) =>
  ['nps1', 'nps2', 'nps4'].map((m) => `amd.com/${c}_${m}`),
);
/** SPX compute with NPS1 memory is the unpartitioned GPU. */
const WHOLE = 'spx_nps1';
const DOMAIN = 'gpu.amd.com';

/** MI300X and later are class 1200 (processing accelerator); older Instinct and Radeon are 03xx. */
export const AMD_PCI: PciSignature = {
  vendorId: '1002',
  classes: ['1200', '0380', '0300'],
  vendorOnly: true,
};

/** "192G" (VRAM in GiB, rounded) → 192. */
export function parseVram(value: string | undefined): number | undefined {
  const m = /^([0-9]+)G$/i.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

function fromNfdRule(node: Node): Identity | undefined {
  const labels = labelsOf(node);
  for (const key of Object.keys(labels).sort()) {
    const m = NFD_RULE_MODEL.exec(key);
    const found = m && labels[key] === 'true' ? findModel('amd', m[1]!) : undefined;
    if (found) {
      return { model: found.model, source: 'feature-labels', nodeSelector: { [key]: 'true' }, warnings: [] };
    }
  }
  return undefined;
}

function featureIdentity(node: Node): Identity | undefined {
  const labels = labelsOf(node);
  const product = labels[PRODUCT];
  const deviceId = labels[DEVICE_ID];
  const byId = deviceId ? findModelByPciId('amd', deviceId) : undefined;
  const known = (product ? findModel('amd', product) : undefined) ?? byId;
  const memory = (model: string) =>
    nominalMemoryGB(findModel('amd', model)?.memoryGB, parseVram(labels[VRAM]));
  if (product) {
    const model = known?.model ?? product;
    const warnings = known ? [] : [notInCatalogWarning('amd', product)];
    return {
      model,
      product,
      source: 'feature-labels',
      nodeSelector: { [PRODUCT]: product },
      memoryGB: memory(model),
      warnings,
    };
  }
  if (byId && deviceId) {
    const selector = { [DEVICE_ID]: deviceId };
    return {
      model: byId.model,
      source: 'feature-labels',
      nodeSelector: selector,
      memoryGB: memory(byId.model),
      warnings: [],
    };
  }
  return fromNfdRule(node);
}

const signals: VendorSignals = {
  vendor: 'amd',
  featureIdentity,
  presenceLabels: [...pciLabelKeys(AMD_PCI), `${NFD_PREFIX}amd-gpu`],
  resources: (node) => allocatableMatching(node, /^amd\.com\/(gpu|(spx|dpx|qpx|cpx)_nps[124])$/),
};

/** Mixed naming: one resource per partition mode. Memory per partition is left unset (it depends on NPS). */
function partitionGroups(node: Node): DeviceGroup[] {
  return allocatableMatching(node, PARTITION_RESOURCE).map((resource) => {
    const mode = PARTITION_RESOURCE.exec(resource)![1]!;
    const group = deviceGroup(node, resource);
    return mode === WHOLE ? group : { ...group, partition: mode };
  });
}

/** Single naming: everything is amd.com/gpu; the node's partition label says what a device is. */
function singleGroup(node: Node): DeviceGroup {
  const group = deviceGroup(node, GPU);
  const mode = labelsOf(node)[PARTITION];
  if (!mode || mode === WHOLE) return group;
  return { ...group, partition: mode, nodeSelector: { [PARTITION]: mode } };
}

function groups(node: Node): DeviceGroup[] {
  const partitions = partitionGroups(node);
  const hasGpu = (allocatableCount(node, GPU) ?? 0) > 0;
  return hasGpu || !partitions.length ? [singleGroup(node), ...partitions] : partitions;
}

function draSelectors(input: RenderInput): string[] {
  const { minMemoryGB } = input.workload.spec.accelerators;
  return [
    attributeEquals(DOMAIN, 'type', 'amdgpu'),
    ...(minMemoryGB !== undefined ? [memoryAtLeast(DOMAIN, minMemoryGB)] : []),
  ];
}

export interface AmdAdapterOptions {
  supplementalGroups?: readonly number[];
}

/** AMD Instinct GPUs through the ROCm device plugin / GPU Operator, or the AMD DRA driver. */
export class AmdAdapter extends ProfileAdapter {
  readonly vendor = 'amd';
  readonly resourceNames: readonly string[] = [GPU, ...MIXED_RESOURCES];
  private readonly supplementalGroups: readonly number[];

  constructor(options: AmdAdapterOptions = {}) {
    super();
    this.supplementalGroups = options.supplementalGroups ?? DEFAULT_DEVICE_GROUPS;
  }

  discoverAll(node: Node): DiscoveredDevices[] {
    return discoverWith(node, signals, groups);
  }

  profile(): RuntimeProfile {
    return {
      vendor: 'amd',
      taintKey: GPU,
      torchDevice: 'cuda', // HIP builds of PyTorch use the cuda device type
      distBackend: 'nccl', // RCCL behind the nccl name
      // No visibleDevicesEnv: the device plugin sets no variable; it mounts only the allocated
      // /dev/dri/renderD* nodes, so ROCm sees just those (§1.2).
      supplementalGroups: [...this.supplementalGroups],
      deviceClassName: DOMAIN,
      draSelectors,
    };
  }
}
