import type { AcceleratorPool } from '@kentaur/api';
import type { PoolPlacement } from './vendor-adapter';

/** What an adapter needs to know of a pool to render pods for it. */
export function poolPlacement(pool: AcceleratorPool): PoolPlacement {
  return {
    name: pool.metadata.name!,
    site: pool.spec.site,
    vendor: pool.spec.vendor,
    model: pool.spec.model,
    nodeSelector: pool.spec.nodeSelector,
    allocation: pool.spec.allocation ?? 'devicePlugin',
    resourceName: pool.spec.resourceName ?? '',
    memoryGB: pool.spec.memoryGB,
  };
}
