import type { Node, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { Precision, VendorName, WorkloadSpec } from '@kentaur/api';

/** Where a node's devices were recognised from, richest first (see accelerator-vendors.md §8). */
export type DiscoverySource = 'feature-labels' | 'kentaur-label' | 'nfd-pci' | 'allocatable';

/** What one adapter recognises on one Node. */
export interface DiscoveredDevices {
  vendor: VendorName;
  /** Catalog model name (H100, MI300X, Gaudi3, p150, …) or `unknown` when the node does not say. */
  model: string;
  /** The raw product string the node carries (e.g. NVIDIA-H100-80GB-HBM3), when any. */
  product?: string;
  /** Partition profile when devices are slices of a chip (NVIDIA MIG `3g.40gb`, AMD `cpx_nps4`). */
  partition?: string;
  /** The extended resource the devices are requested by (allocatable on the node). */
  resourceName: string;
  devicesPerNode: number;
  /** Nominal device memory in GB as the vendor states it (81559 MiB → 80; "192G" → 192). */
  memoryGB?: number;
  precisions: Precision[];
  interconnect?: string;
  /** Labels that select exactly the nodes of this model (the pool's nodeSelector). */
  nodeSelector: Record<string, string>;
  source: DiscoverySource;
  /** Things an operator should know, e.g. "model unknown: label the nodes with kentaur.io/accelerator-model". */
  warnings: string[];
}

/** What rendering needs to know about the pool a Workload was admitted to. */
export interface PoolPlacement {
  name: string;
  site: string;
  vendor: VendorName;
  model: string;
  nodeSelector: Record<string, string>;
  allocation: 'devicePlugin' | 'dra';
  resourceName: string;
  memoryGB?: number;
}

export interface RenderInput {
  workload: { name: string; namespace: string; uid?: string; spec: WorkloadSpec };
  /**
   * The Job (or Deployment) the pods run under, one per admission (`admissionObjectName`): a gang's
   * replica i has the hostname `<objectName>-<i>` in the headless Service named after the workload.
   */
  objectName: string;
  pool: PoolPlacement;
  /** Extra pod annotations (e.g. sandbox.kentaur.io/run-for in sandbox mode). */
  annotations?: Record<string, string>;
  /** Extra pod labels (kentaur.io/workload, kentaur.io/tenant, kentaur.io/pool are set by the caller). */
  labels?: Record<string, string>;
}

/** resource.k8s.io/v1 ResourceClaimTemplate (kubernetes-types has no resource/v1 yet). */
export interface ResourceClaimTemplate {
  apiVersion: 'resource.k8s.io/v1';
  kind: 'ResourceClaimTemplate';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    spec: {
      devices: {
        requests: {
          name: string;
          exactly: {
            deviceClassName: string;
            allocationMode: 'ExactCount';
            count: number;
            selectors?: { cel: { expression: string } }[];
          };
        }[];
      };
    };
  };
}

/**
 * One accelerator vendor: how to recognise its nodes and how to turn a vendor-neutral Workload
 * replica into a pod that runs on them. Pure: no I/O, no clock, no environment.
 */
export interface VendorAdapter {
  readonly vendor: VendorName;
  /** Extended resource names this vendor's device plugins advertise (e.g. amd.com/gpu, amd.com/cpx_nps4). */
  readonly resourceNames: readonly string[];
  /** The devices of this vendor on the node, or undefined when the node has none of this vendor's. */
  discover(node: Node): DiscoveredDevices | undefined;
  /**
   * Every kind of this vendor's devices on the node, for nodes that advertise more than one (NVIDIA
   * MIG mixed strategy with several profiles, AMD mixed partition naming, Intel GPUs beside Gaudi).
   * Optional: where absent, callers use `discover`. When present, `discover` returns its first entry.
   */
  discoverAll?(node: Node): DiscoveredDevices[];
  /**
   * The pod template of one replica: image for the vendor, resource limits (device plugin) or claim
   * (DRA), node selector, vendor taint toleration, runtime class, device and collective env,
   * memory-backed /dev/shm, and a Pod Security "restricted" security context.
   */
  renderPodTemplate(input: RenderInput): PodTemplateSpec;
  /** The ResourceClaimTemplate for pools with allocation: dra (one claim of `count` devices per pod). */
  renderResourceClaimTemplate(input: RenderInput): ResourceClaimTemplate;
}
