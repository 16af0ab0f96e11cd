import type { Node } from 'kubernetes-types/core/v1';
import type { AcceleratorPool, Workload } from '@kentaur/api';

/** The nodes of `pool` among `nodes` (its nodeSelector matches their labels), by name. */
export function poolMembers(pool: AcceleratorPool, nodes: readonly Node[]): string[] {
  return nodes
    .filter((n) => Object.entries(pool.spec.nodeSelector).every(([k, v]) => n.metadata?.labels?.[k] === v))
    .map((n) => n.metadata!.name!);
}

/**
 * `w` as the scheduler would write it when admitting it to `pool`: first attempt, one replica per
 * node of the pool in turn (`none` when it has no nodes), a UID when it has none. For rendering
 * tests; the compute units are not computed.
 */
export function admittedTo(w: Workload, pool: AcceleratorPool, nodes: readonly Node[]): Workload {
  const members = poolMembers(pool, nodes);
  const replicas = w.spec.replicas ?? 1;
  return {
    ...w,
    metadata: { ...w.metadata, uid: w.metadata.uid ?? '00000000-0000-0000-0000-000000000001' },
    status: {
      phase: 'Admitted',
      attempts: 1,
      admission: {
        site: pool.spec.site,
        pool: pool.metadata.name!,
        vendor: pool.spec.vendor,
        model: pool.spec.model,
        computeUnits: 1,
        admittedAt: new Date().toISOString(),
        placement: Array.from({ length: replicas }, (_, i) => ({
          node: members[i % Math.max(1, members.length)] ?? 'none',
          devices: w.spec.accelerators.count,
        })),
      },
    },
  };
}
