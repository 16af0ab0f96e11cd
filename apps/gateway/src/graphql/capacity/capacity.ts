import type { AcceleratorPool, Workload } from '@kentaur/api';

export interface CapacityEntry {
  site: string;
  vendor: string;
  model: string;
  pools: number;
  total: number;
  allocated: number;
  free: number;
}

const WAITING = new Set(['Pending', 'Queued', 'Preempted']);

/** Devices by site, vendor and model, from the pools' status (as the controller last wrote it). */
export function capacityBy(pools: readonly AcceleratorPool[]): CapacityEntry[] {
  const rows = new Map<string, CapacityEntry>();
  for (const p of pools) {
    const key = `${p.spec.site}\u0000${p.spec.vendor}\u0000${p.spec.model}`;
    const row = rows.get(key) ?? {
      site: p.spec.site,
      vendor: p.spec.vendor,
      model: p.spec.model,
      pools: 0,
      total: 0,
      allocated: 0,
      free: 0,
    };
    const d = p.status?.devices;
    row.pools++;
    row.total += d?.allocatable ?? 0;
    row.allocated += d?.allocated ?? 0;
    row.free += p.spec.cordoned ? 0 : Math.max(0, (d?.allocatable ?? 0) - (d?.allocated ?? 0));
    rows.set(key, row);
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.site.localeCompare(b.site) || a.vendor.localeCompare(b.vendor) || a.model.localeCompare(b.model),
  );
}

/** Workloads waiting for admission and the devices they ask for. */
export function queueDepth(workloads: readonly Workload[]): { workloads: number; devices: number } {
  let n = 0;
  let devices = 0;
  for (const w of workloads) {
    if (w.spec.cancel || w.metadata.deletionTimestamp || !WAITING.has(w.status?.phase ?? 'Pending')) continue;
    n++;
    devices += (w.spec.replicas ?? 1) * w.spec.accelerators.count;
  }
  return { workloads: n, devices };
}
