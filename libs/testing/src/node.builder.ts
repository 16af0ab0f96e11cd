import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1';

/** The label a platform engineer sets where vendor labels do not carry the model (owned by libs/vendors). */
const KENTAUR_MODEL_LABEL = 'kentaur.io/accelerator-model';
const REGION_LABEL = 'topology.kubernetes.io/region';

export type NvidiaPreset = 'H100' | 'H200';
export type AmdPreset = 'MI300X' | 'MI325X';
export type GaudiPreset = 'Gaudi3';
export type IntelGpuPreset = 'Max1550';
export type TenstorrentPreset = 'p150' | 'n300';

/**
 * Label sets as each vendor's own operator leaves a real node (accelerator-vendors.md §2), the same
 * as deploy/sandbox/fleets/default.yaml without the region (set it with `.region()`); builders.spec.ts
 * checks that they stay the same.
 */
const NVIDIA_HOPPER: Record<string, string> = {
  'feature.node.kubernetes.io/pci-10de.present': 'true',
  'nvidia.com/gpu.present': 'true',
  'nvidia.com/gpu.family': 'hopper',
  'nvidia.com/gpu.compute.major': '9',
  'nvidia.com/gpu.compute.minor': '0',
  'nvidia.com/gpu.mode': 'compute',
  'nvidia.com/mig.capable': 'true',
  'nvidia.com/mig.strategy': 'single',
  'nvidia.com/gpu.sharing-strategy': 'none',
  'nvidia.com/cuda.driver-version.full': '550.107.02',
  'nvidia.com/cuda.runtime-version.full': '12.5',
};
const NVIDIA_MODELS: Record<NvidiaPreset, Record<string, string>> = {
  H100: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.memory': '81559' },
  H200: { 'nvidia.com/gpu.product': 'NVIDIA-H200', 'nvidia.com/gpu.memory': '143771' },
};

const AMD_CDNA3: Record<string, string> = {
  'feature.node.kubernetes.io/pci-1200_1002.present': 'true',
  'feature.node.kubernetes.io/amd-gpu': 'true',
  'amd.com/gpu.family': 'AI',
  'amd.com/gpu.cu-count': '304',
  'amd.com/gpu.simd-count': '1216',
  'amd.com/gpu.driver-version': '6.10.5',
};
const AMD_MODELS: Record<AmdPreset, Record<string, string>> = {
  MI300X: {
    'amd.com/gpu.product-name': 'AMD_Instinct_MI300X_OAM',
    'amd.com/gpu.vram': '192G',
    'amd.com/gpu.device-id': '74a1',
  },
  MI325X: {
    'amd.com/gpu.product-name': 'AMD_Instinct_MI325X_OAM',
    'amd.com/gpu.vram': '256G',
    'amd.com/gpu.device-id': '74a5',
  },
};

const GAUDI_MODELS: Record<GaudiPreset, Record<string, string>> = {
  Gaudi3: {
    'feature.node.kubernetes.io/pci-1200_1da3.present': 'true',
    'habana.ai/device.family': 'gaudi',
    'habana.ai/device.id': '1060',
    'habana.ai/device.type': 'GAUDI3',
    'habana.ai/product.name': 'HL-325L',
    'habana.ai/driver.version': '1.21.0-9a1c2f3',
  },
};

// Intel's NFD rules and GPU plugin labeller (accelerator-vendors.md §2.4); Max series runs on i915 (§1.3).
const INTEL_GPU_MODELS: Record<IntelGpuPreset, Record<string, string>> = {
  Max1550: {
    'feature.node.kubernetes.io/pci-0380_8086.present': 'true',
    'intel.feature.node.kubernetes.io/gpu': 'true',
    'gpu.intel.com/family': 'Max_Series',
    'gpu.intel.com/product': 'Max_1550',
  },
};

const TENSTORRENT_NFD = 'feature.node.kubernetes.io/pci-1200_1e52.present';

/**
 * Fluent Node builder (Kueue style): `makeNode('n1').region('dk-1').amd('MI300X', 8).obj()`.
 * Nodes start Ready and schedulable with CPU-only resources; `.obj()` returns a fresh copy each time.
 */
export class NodeBuilder {
  private readonly node: Node;

  constructor(name: string) {
    this.node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/arch': 'amd64' } },
      spec: {},
      status: {
        capacity: { cpu: '64', memory: '256Gi', pods: '110' },
        allocatable: { cpu: '64', memory: '256Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
  }

  labels(labels: Record<string, string>): this {
    this.node.metadata!.labels = { ...this.node.metadata!.labels, ...labels };
    return this;
  }

  label(key: string, value: string): this {
    return this.labels({ [key]: value });
  }

  /** Removes labels, e.g. to take the product label off a preset. */
  withoutLabels(...keys: string[]): this {
    for (const key of keys) delete this.node.metadata!.labels![key];
    return this;
  }

  region(site: string): this {
    return this.label(REGION_LABEL, site);
  }

  taint(key: string, effect: Taint['effect'] = 'NoSchedule', value?: string): this {
    const taint: Taint = value === undefined ? { key, effect } : { key, value, effect };
    this.node.spec!.taints = [...(this.node.spec!.taints ?? []), taint];
    return this;
  }

  /** Sets allocatable, and capacity too unless `.capacity()` already set it for this resource. */
  allocatable(resource: string, n: number | string): this {
    const status = this.node.status!;
    status.allocatable = { ...status.allocatable, [resource]: String(n) };
    if (status.capacity?.[resource] === undefined)
      status.capacity = { ...status.capacity, [resource]: String(n) };
    return this;
  }

  capacity(resource: string, n: number | string): this {
    this.node.status!.capacity = { ...this.node.status!.capacity, [resource]: String(n) };
    return this;
  }

  /** Removes a resource from both capacity and allocatable. */
  withoutResource(resource: string): this {
    delete this.node.status!.capacity![resource];
    delete this.node.status!.allocatable![resource];
    return this;
  }

  notReady(reason = 'KubeletNotReady'): this {
    return this.condition({ type: 'Ready', status: 'False', reason });
  }

  unschedulable(): this {
    this.node.spec!.unschedulable = true;
    return this;
  }

  condition(condition: NodeCondition): this {
    const others = (this.node.status!.conditions ?? []).filter((c) => c.type !== condition.type);
    this.node.status!.conditions = [...others, condition];
    return this;
  }

  /** The Kentaur override label naming the model where vendor labels do not. */
  model(model: string): this {
    return this.label(KENTAUR_MODEL_LABEL, model);
  }

  /** GPU Operator NFD (vendor-only PCI label) + GPU Feature Discovery, as in the default fleet. */
  nvidia(model: NvidiaPreset = 'H100', count = 8): this {
    return this.labels({ ...NVIDIA_HOPPER, ...NVIDIA_MODELS[model], 'nvidia.com/gpu.count': String(count) })
      .taint('nvidia.com/gpu', 'NoSchedule', 'present')
      .allocatable('nvidia.com/gpu', count);
  }

  /** AMD GPU Operator's NFD rule + k8s-node-labeller. */
  amd(model: AmdPreset = 'MI300X', count = 8): this {
    return this.labels({ ...AMD_CDNA3, ...AMD_MODELS[model] })
      .taint('amd.com/gpu')
      .allocatable('amd.com/gpu', count);
  }

  /** Intel Gaudi Base Operator: Habana Feature Discovery + device plugin. */
  gaudi(model: GaudiPreset = 'Gaudi3', count = 8): this {
    return this.labels({ ...GAUDI_MODELS[model], 'habana.ai/device.count': String(count) })
      .taint('habana.ai/gaudi')
      .allocatable('habana.ai/gaudi', count);
  }

  /** Intel Data Center GPU with Intel's NFD rules, GPU plugin labels and the i915 resource. */
  intelGpu(model: IntelGpuPreset = 'Max1550', count = 8): this {
    return this.labels({ ...INTEL_GPU_MODELS[model], 'gpu.intel.com/device.count': String(count) })
      .taint('gpu.intel.com/i915')
      .allocatable('gpu.intel.com/i915', count);
  }

  /**
   * Tenstorrent: NFD's PCI label, the DRA driver's extended resource and the Kentaur model label a
   * platform engineer sets, as in the default fleet. `null`: no model label (NFD and allocatable only).
   */
  tenstorrent(model: TenstorrentPreset | null = 'p150', count = 4): this {
    this.label(TENSTORRENT_NFD, 'true')
      .taint('tenstorrent.com/chip')
      .allocatable('tenstorrent.com/chip', count);
    return model === null ? this : this.model(model);
  }

  /** STYLE.md shorthand: `.vendor('amd', 8)` is the vendor's default model with that many devices. */
  vendor(vendor: 'nvidia' | 'amd' | 'gaudi' | 'intelGpu' | 'tenstorrent', count?: number): this {
    switch (vendor) {
      case 'nvidia':
        return this.nvidia(undefined, count);
      case 'amd':
        return this.amd(undefined, count);
      case 'gaudi':
        return this.gaudi(undefined, count);
      case 'intelGpu':
        return this.intelGpu(undefined, count);
      case 'tenstorrent':
        return this.tenstorrent(undefined, count);
    }
  }

  obj(): Node {
    return structuredClone(this.node);
  }
}

export function makeNode(name: string): NodeBuilder {
  return new NodeBuilder(name);
}
