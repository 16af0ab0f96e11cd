import { classMatches, hasImage, memoryMatches, modelAllowed, precisionsMatch } from './feasibility';
import type { PendingWorkload, PoolSnapshot } from './snapshot';

type PortabilityInput = Pick<
  PendingWorkload,
  'imageVendors' | 'precisions' | 'minMemoryGB' | 'class' | 'vendors' | 'models'
>;

/**
 * The vendors that could run the workload somewhere in the fleet: an image for the vendor, and a
 * pool of it with the class, nominal memory, every precision and (if listed) an allowed model.
 * Capacity, sites and cordons are ignored: portability is about the workload, not today's fleet.
 */
export function runnableVendors(w: PortabilityInput, pools: readonly PoolSnapshot[]): string[] {
  const vendors = new Set<string>();
  for (const pool of pools) {
    if (w.vendors && !w.vendors.includes(pool.vendor)) continue;
    if (!hasImage(w, pool.vendor)) continue;
    if (classMatches(w, pool) && memoryMatches(w, pool) && precisionsMatch(w, pool) && modelAllowed(w, pool))
      vendors.add(pool.vendor);
  }
  return [...vendors].sort();
}

/** DESIGN.md: portable when at least two vendors can run it. */
export function isPortable(w: PortabilityInput, pools: readonly PoolSnapshot[]): boolean {
  return runnableVendors(w, pools).length >= 2;
}
