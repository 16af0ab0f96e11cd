export * from './vendor-adapter';
export * from './catalog';
export {
  KENTAUR_MODEL_LABEL,
  REGION_LABEL,
  nominalMemoryGB,
  mibToGB,
  type PciSignature,
} from './node-signals';
export { USABLE_MEMORY_SHARE, usableMemoryMi } from './dra-selectors';
export {
  CLAIM_NAME,
  DEFAULT_DEVICE_GROUPS,
  MASTER_PORT,
  claimTemplateName,
  renderClaimTemplate,
  renderPod,
  shmSize,
  type RuntimeProfile,
} from './render-pod';
export { ProfileAdapter } from './base.adapter';
export {
  NvidiaAdapter,
  NVIDIA_PCI,
  parseNvidiaProduct,
  migMemoryGB,
  type NvidiaAdapterOptions,
} from './nvidia/nvidia.adapter';
export { AmdAdapter, AMD_PCI, parseVram, type AmdAdapterOptions } from './amd/amd.adapter';
export { IntelAdapter, INTEL_GPU_PCI, GAUDI_PCI, type IntelAdapterOptions } from './intel/intel.adapter';
export { TenstorrentAdapter, TENSTORRENT_PCI } from './tenstorrent/tenstorrent.adapter';
export * from './generic/generic.adapter';
export * from './registry';
export * from './pool-discovery';
export * from './cluster-snapshot';
export { podDevices } from './pod-devices';
export { poolPlacement } from './pool-placement';
export { POWER_METRICS, powerQuery, type PowerMetric, type PowerQueryOptions } from './power-metrics';
export { loadVendorsFile, parseVendorsFile } from './vendors-file';
