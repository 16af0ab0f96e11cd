import type { Node } from 'kubernetes-types/core/v1';
import { ProfileAdapter } from '../base.adapter';
import { findModel, findModelByPciId } from '../catalog';
import {
  deviceGroup,
  discoverWith,
  modelFromProduct,
  notInCatalogWarning,
  type DeviceGroup,
  type Identity,
  type VendorSignals,
} from '../discovery';
import { attributeEquals, attributeTrue, memoryAtLeast } from '../dra-selectors';
import { allocatableMatching, labelsOf, pciLabelKeys, type PciSignature } from '../node-signals';
import { DEFAULT_DEVICE_GROUPS, type RuntimeProfile } from '../render-pod';
import type { DiscoveredDevices, RenderInput } from '../vendor-adapter';

// Intel Data Center GPUs: GPU plugin resources and labels (accelerator-vendors.md §1.3, §2.4).
const GPU_PRODUCT = 'gpu.intel.com/product';
const GPU_FAMILY = 'gpu.intel.com/family';
const GPU_COUNT = 'gpu.intel.com/device.count';
const XE = 'gpu.intel.com/xe';
const I915 = 'gpu.intel.com/i915';
const GPU_DOMAIN = 'gpu.intel.com';
// Intel Gaudi: Habana Feature Discovery and device plugin (§1.4, §2.5).
const GAUDI_TYPE = 'habana.ai/device.type';
const GAUDI_ID = 'habana.ai/device.id';
const GAUDI_COUNT = 'habana.ai/device.count';
const GAUDI = 'habana.ai/gaudi';
const GAUDI_DOMAIN = 'gaudi.intel.com';

/** Display (0300) and display-other (0380) classes only: Intel NICs and QAT share vendor ID 8086. */
export const INTEL_GPU_PCI: PciSignature = { vendorId: '8086', classes: ['0380', '0300'], vendorOnly: false };
export const GAUDI_PCI: PciSignature = { vendorId: '1da3', classes: ['1200'], vendorOnly: true };

const isGaudiModel = (model: string) => /^gaudi/i.test(model);

function gpuIdentity(node: Node): Identity | undefined {
  const product = labelsOf(node)[GPU_PRODUCT];
  if (!product) return undefined;
  const { model, warnings } = modelFromProduct('intel', product);
  return { model, product, source: 'feature-labels', nodeSelector: { [GPU_PRODUCT]: product }, warnings };
}

function gaudiIdentity(node: Node): Identity | undefined {
  const labels = labelsOf(node);
  const type = labels[GAUDI_TYPE];
  const id = labels[GAUDI_ID];
  const known =
    (type ? findModel('intel', type) : undefined) ?? (id ? findModelByPciId('intel', id) : undefined);
  if (type) {
    const warnings = known ? [] : [notInCatalogWarning('intel', type)];
    return {
      model: known?.model ?? type,
      product: type,
      source: 'feature-labels',
      nodeSelector: { [GAUDI_TYPE]: type },
      warnings,
    };
  }
  if (!known || !id) return undefined;
  return { model: known.model, source: 'feature-labels', nodeSelector: { [GAUDI_ID]: id }, warnings: [] };
}

const gpuSignals: VendorSignals = {
  vendor: 'intel',
  featureIdentity: gpuIdentity,
  presenceLabels: [...pciLabelKeys(INTEL_GPU_PCI), 'intel.feature.node.kubernetes.io/gpu'],
  resources: (node) => allocatableMatching(node, /^gpu\.intel\.com\/(xe|i915)$/),
  ownsModel: (model) => !isGaudiModel(model),
};

const gaudiSignals: VendorSignals = {
  vendor: 'intel',
  featureIdentity: gaudiIdentity,
  presenceLabels: pciLabelKeys(GAUDI_PCI),
  resources: (node) => allocatableMatching(node, /^habana\.ai\/gaudi$/),
  ownsModel: isGaudiModel,
};

/**
 * Devices per kernel driver. Without allocatable yet: Max and Flex run the out-of-tree i915, newer
 * parts xe (§1.3).
 */
function gpuGroups(node: Node): DeviceGroup[] {
  const present = allocatableMatching(node, /^gpu\.intel\.com\/(xe|i915)$/);
  if (present.length) return present.map((r) => deviceGroup(node, r, GPU_COUNT));
  const family = labelsOf(node)[GPU_FAMILY] ?? '';
  return [deviceGroup(node, /^(Max|Flex)_/.test(family) ? I915 : XE, GPU_COUNT)];
}

function gaudiGroups(node: Node): DeviceGroup[] {
  return [deviceGroup(node, GAUDI, GAUDI_COUNT)];
}

function gpuSelectors(input: RenderInput): string[] {
  const { minMemoryGB } = input.workload.spec.accelerators;
  // Memory capacity is 0 unless the XPU Manager daemon (or privileged discovery) runs on the node.
  return minMemoryGB !== undefined ? [memoryAtLeast(GPU_DOMAIN, minMemoryGB)] : [];
}

function gaudiSelectors(input: RenderInput): string[] {
  const model = findModel('intel', input.pool.model);
  const byModel =
    model && isGaudiModel(model.model) ? [attributeEquals(GAUDI_DOMAIN, 'model', model.model)] : [];
  return [...byModel, attributeTrue(GAUDI_DOMAIN, 'healthy')];
}

function isGaudiPool(input: RenderInput): boolean {
  return input.pool.resourceName.startsWith('habana.ai/') || isGaudiModel(input.pool.model);
}

export interface IntelAdapterOptions {
  /** Groups owning /dev/dri/renderD* on GPU hosts (host-specific GIDs; see DEFAULT_DEVICE_GROUPS). */
  supplementalGroups?: readonly number[];
  /** RuntimeClass of the habana container runtime (default `habana`); empty string: none. */
  gaudiRuntimeClassName?: string;
}

/** Intel Data Center GPUs (vendor `intel`, xe/i915) and Intel Gaudi (habana.ai/gaudi) in one adapter. */
export class IntelAdapter extends ProfileAdapter {
  readonly vendor = 'intel';
  readonly resourceNames: readonly string[] = [XE, I915, GAUDI];
  private readonly supplementalGroups: readonly number[];
  private readonly gaudiRuntimeClassName: string;

  constructor(options: IntelAdapterOptions = {}) {
    super();
    this.supplementalGroups = options.supplementalGroups ?? DEFAULT_DEVICE_GROUPS;
    this.gaudiRuntimeClassName = options.gaudiRuntimeClassName ?? 'habana';
  }

  discoverAll(node: Node): DiscoveredDevices[] {
    return [...discoverWith(node, gpuSignals, gpuGroups), ...discoverWith(node, gaudiSignals, gaudiGroups)];
  }

  profile(input: RenderInput): RuntimeProfile {
    return isGaudiPool(input) ? this.gaudiProfile() : this.gpuProfile(input);
  }

  private gaudiProfile(): RuntimeProfile {
    return {
      vendor: 'intel',
      taintKey: GAUDI,
      ...(this.gaudiRuntimeClassName ? { runtimeClassName: this.gaudiRuntimeClassName } : {}),
      torchDevice: 'hpu',
      distBackend: 'hccl',
      visibleDevicesEnv: 'HABANA_VISIBLE_DEVICES', // set by the Habana device plugin's Allocate()
      deviceClassName: GAUDI_DOMAIN,
      draSelectors: gaudiSelectors,
    };
  }

  private gpuProfile(input: RenderInput): RuntimeProfile {
    const resource = input.pool.resourceName;
    return {
      vendor: 'intel',
      taintKey: resource === I915 || resource === XE ? resource : XE,
      torchDevice: 'xpu',
      distBackend: 'xccl', // native oneCCL backend since PyTorch 2.8
      // No visibleDevicesEnv: the GPU plugin mounts only the allocated /dev/dri nodes and sets
      // ZE_AFFINITY_MASK only in WSL mode (§1.3).
      supplementalGroups: [...this.supplementalGroups],
      deviceClassName: GPU_DOMAIN,
      draSelectors: gpuSelectors,
    };
  }
}
