import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { AcceleratorPool, AcceleratorPoolSpec, AcceleratorPoolStatus } from '@kentaur/api';
import type { DiscoveredPool } from '@kentaur/vendors';
import { podDevices } from '@kentaur/vendors';

export const DISCOVERED_LABEL = 'kentaur.io/discovered';

/** The part of a pool's spec that discovery owns (applied with server-side apply as its field manager). */
export function discoveredSpec(p: DiscoveredPool): AcceleratorPoolSpec {
  const spec: AcceleratorPoolSpec = {
    site: p.site,
    vendor: p.vendor,
    model: p.model,
    nodeSelector: p.nodeSelector,
    classes: p.classes.length ? p.classes : ['training', 'inference'],
    resourceName: p.resourceName,
    devicesPerNode: p.devicesPerNode,
  };
  if (p.precisions.length) spec.precisions = [...p.precisions];
  if (p.partition) spec.partition = p.partition;
  if (p.memoryGB !== undefined) spec.memoryGB = p.memoryGB;
  if (p.powerWattsPerDevice !== undefined) spec.powerWattsPerDevice = p.powerWattsPerDevice;
  if (p.computeUnitsPerDevice !== undefined) spec.computeUnitsPerDevice = p.computeUnitsPerDevice;
  return spec;
}

export function discoveredPoolObject(p: DiscoveredPool): AcceleratorPool {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'AcceleratorPool',
    metadata: {
      name: p.name,
      labels: { [DISCOVERED_LABEL]: 'true', 'kentaur.io/vendor': p.vendor, 'kentaur.io/site': p.site },
    },
    spec: discoveredSpec(p),
  };
}

/** Devices of `resource` held by bound pods, per node (finished pods hold none). */
export function allocatedByNode(pods: readonly Pod[], resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const n = podDevices(pod, resource);
    if (n > 0) out.set(node, (out.get(node) ?? 0) + n);
  }
  return out;
}

/** Status of a pool from what discovery found and what pods hold. Pure. */
export function poolStatus(
  p: DiscoveredPool | undefined,
  allocated: Map<string, number>,
): AcceleratorPoolStatus {
  if (!p)
    return {
      discovered: false,
      nodes: 0,
      nodesReady: 0,
      devices: { capacity: 0, allocatable: 0, allocated: 0 },
    };
  const used = p.nodes.reduce((sum, n) => sum + (allocated.get(n) ?? 0), 0);
  return {
    discovered: true,
    nodes: p.nodes.length,
    nodesReady: p.nodesReady,
    devices: { capacity: p.devices.capacity, allocatable: p.devices.allocatable, allocated: used },
  };
}

export type { Node };
