import type { Node } from 'kubernetes-types/core/v1';
import { ProfileAdapter } from '../base.adapter';
import { findModel } from '../catalog';
import {
  deviceGroup,
  discoverWith,
  modelFromProduct,
  type DeviceGroup,
  type Identity,
  type VendorSignals,
} from '../discovery';
import { memoryAtLeast, versionAtLeast } from '../dra-selectors';
import {
  allocatableCount,
  allocatableMatching,
  intLabel,
  labelsOf,
  mibToGB,
  nominalMemoryGB,
  pciLabelKeys,
  type PciSignature,
} from '../node-signals';
import type { RuntimeProfile } from '../render-pod';
import type { DiscoveredDevices, RenderInput } from '../vendor-adapter';

// GPU Feature Discovery and device plugin names (accelerator-vendors.md §1.1, §2.2).
const PRODUCT = 'nvidia.com/gpu.product';
const MEMORY_MIB = 'nvidia.com/gpu.memory';
const COUNT = 'nvidia.com/gpu.count';
const GPU = 'nvidia.com/gpu';
const SHARED = 'nvidia.com/gpu.shared';
const MIG = /^nvidia\.com\/mig-(.+)$/;
const DOMAIN = 'gpu.nvidia.com';
/** MIG profiles of the GPU Operator's default mig-parted config for H100, H200 and B200 (§1.1). */
const MIG_PROFILES = [
  ...['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb'],
  ...['1g.18gb', '1g.35gb', '2g.35gb', '3g.71gb', '4g.71gb', '7g.141gb'],
  ...['1g.23gb', '1g.45gb', '2g.45gb', '3g.90gb', '4g.90gb', '7g.180gb'],
];

/** Class 0302/0300 with default NFD; vendor-only under the GPU Operator's NFD (§2.1). */
export const NVIDIA_PCI: PciSignature = { vendorId: '10de', classes: ['0302', '0300'], vendorOnly: true };

interface Product {
  base: string;
  /** MIG profile under the single strategy (product suffixed `-MIG-1g.10gb`). */
  mig?: string;
  /** Time-slicing or MPS (product suffixed `-SHARED`). */
  shared: boolean;
}

export function parseNvidiaProduct(value: string): Product {
  const shared = /-SHARED$/i.test(value);
  const unshared = value.replace(/-SHARED$/i, '');
  const mig = /^(.+)-MIG-(.+)$/.exec(unshared);
  return mig ? { base: mig[1]!, mig: mig[2]!, shared } : { base: unshared, shared };
}

/** Memory of a MIG profile: `3g.40gb` → 40, `1g.10gb+me` → 10. */
export function migMemoryGB(profile: string): number | undefined {
  const m = /^\d+g\.(\d+)gb/.exec(profile);
  return m ? Number(m[1]) : undefined;
}

function featureIdentity(node: Node): Identity | undefined {
  const product = labelsOf(node)[PRODUCT];
  if (!product) return undefined;
  const parsed = parseNvidiaProduct(product);
  const { model, warnings } = modelFromProduct('nvidia', parsed.base);
  const mib = intLabel(node, MEMORY_MIB);
  const sharedWarning =
    'GPUs are shared (time-slicing or MPS): a device is a share of a GPU, not a whole one';
  return {
    model,
    product,
    source: 'feature-labels',
    nodeSelector: { [PRODUCT]: product },
    memoryGB: nominalMemoryGB(
      findModel('nvidia', model)?.memoryGB,
      mib === undefined ? undefined : mibToGB(mib),
    ),
    warnings: parsed.shared ? [...warnings, sharedWarning] : warnings,
  };
}

const signals: VendorSignals = {
  vendor: 'nvidia',
  featureIdentity,
  presenceLabels: [...pciLabelKeys(NVIDIA_PCI), 'nvidia.com/gpu.present'],
  resources: (node) => allocatableMatching(node, /^nvidia\.com\/(gpu|gpu\.shared|mig-.+)$/),
};

/** MIG mixed strategy: one resource per profile, e.g. nvidia.com/mig-3g.40gb. */
function migGroups(node: Node): DeviceGroup[] {
  return allocatableMatching(node, MIG).map((resource) => {
    const profile = MIG.exec(resource)![1]!;
    const group = deviceGroup(node, resource, `nvidia.com/mig-${profile}.count`);
    return { ...group, partition: profile, memoryGB: migMemoryGB(profile) };
  });
}

/** Whole GPUs, or MIG devices under the single strategy (advertised as nvidia.com/gpu). */
function wholeGroup(node: Node, hasMig: boolean): DeviceGroup | undefined {
  const shared = (allocatableCount(node, SHARED) ?? 0) > 0;
  const resource = shared ? SHARED : GPU;
  if (hasMig && !shared && !(allocatableCount(node, GPU) ?? 0)) return undefined;
  const group = deviceGroup(node, resource, COUNT);
  const product = labelsOf(node)[PRODUCT];
  const single = product === undefined ? undefined : parseNvidiaProduct(product).mig;
  return single === undefined ? group : { ...group, partition: single, memoryGB: migMemoryGB(single) };
}

function groups(node: Node): DeviceGroup[] {
  const mig = migGroups(node);
  const whole = wholeGroup(node, mig.length > 0);
  return whole ? [whole, ...mig] : mig;
}

function draSelectors(input: RenderInput): string[] {
  const { minMemoryGB, precisions } = input.workload.spec.accelerators;
  return [
    ...(minMemoryGB !== undefined ? [memoryAtLeast(DOMAIN, minMemoryGB)] : []),
    // FP8 tensor cores need compute capability ≥ 8.9 (Ada, Hopper, Blackwell).
    ...(precisions?.includes('fp8') ? [versionAtLeast(DOMAIN, 'cudaComputeCapability', '8.9.0')] : []),
  ];
}

export interface NvidiaAdapterOptions {
  /** RuntimeClass the GPU Operator created (default `nvidia`); empty string: none. */
  runtimeClassName?: string;
}

/** NVIDIA GPUs through the device plugin / GPU Operator, or the NVIDIA DRA driver. */
export class NvidiaAdapter extends ProfileAdapter {
  readonly vendor = 'nvidia';
  readonly resourceNames: readonly string[] = [
    GPU,
    SHARED,
    ...MIG_PROFILES.map((p) => `nvidia.com/mig-${p}`),
  ];
  private readonly runtimeClassName: string;

  constructor(options: NvidiaAdapterOptions = {}) {
    super();
    this.runtimeClassName = options.runtimeClassName ?? 'nvidia';
  }

  discoverAll(node: Node): DiscoveredDevices[] {
    return discoverWith(node, signals, groups);
  }

  profile(input: RenderInput): RuntimeProfile {
    return {
      vendor: 'nvidia',
      taintKey: GPU,
      ...(this.runtimeClassName ? { runtimeClassName: this.runtimeClassName } : {}),
      torchDevice: 'cuda',
      distBackend: 'nccl',
      // Filled by the device plugin (envvar strategy) or the container toolkit from CDI.
      visibleDevicesEnv: 'NVIDIA_VISIBLE_DEVICES',
      env: { NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' },
      deviceClassName: MIG.test(input.pool.resourceName) ? 'mig.nvidia.com' : 'gpu.nvidia.com',
      draSelectors,
    };
  }
}
