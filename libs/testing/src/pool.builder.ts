import type { AcceleratorPool } from '@kentaur/api';

/** The discovered AMD MI300X pool of the default fleet, as the specs use it. */
export function amdPool(status?: AcceleratorPool['status']): AcceleratorPool {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'AcceleratorPool',
    metadata: { name: 'dk-1-amd-mi300x' },
    spec: {
      site: 'dk-1',
      vendor: 'amd',
      model: 'MI300X',
      nodeSelector: { 'amd.com/gpu.product-name': 'AMD_Instinct_MI300X_OAM' },
      resourceName: 'amd.com/gpu',
      computeUnitsPerDevice: 1.31,
      precisions: ['bf16'],
    },
    ...(status ? { status } : {}),
  };
}
