import type { Workload as WorkloadObject } from '@kentaur/api';
import type { TenantScope } from '../../access/tenant-scope';
import { paginateInOrder } from './pagination';
import type { WorkloadFilter } from './workload.inputs';
import { toWorkload } from './workload.mapper';
import type { WorkloadConnection } from './workload.types';
import type { WorkloadOrder } from './workload-order';

/**
 * A page of the workloads a principal may see, newest first: its TenantScope decides the
 * namespaces, WorkloadOrder has their workloads in page order, and only the page is mapped.
 */
export class ListWorkloads {
  constructor(private readonly o: { order: WorkloadOrder; maxPageSize: number }) {}

  execute(
    scope: TenantScope,
    q: { filter?: WorkloadFilter; first?: number | null; after?: string | null },
  ): WorkloadConnection {
    const ordered = this.o.order.of(scope.namespaces());
    const { filter } = q;
    const all = filter ? ordered.filter((e) => matches(e.item, filter)) : ordered;
    return paginateInOrder(all, {
      map: toWorkload,
      first: q.first,
      after: q.after,
      maxPageSize: this.o.maxPageSize,
    });
  }
}

function matches(w: WorkloadObject, f: WorkloadFilter): boolean {
  if (f.phases?.length && !f.phases.includes(w.status?.phase ?? 'Pending')) return false;
  if (f.vendor && w.status?.admission?.vendor !== f.vendor) return false;
  if (f.namePrefix && !w.metadata.name!.startsWith(f.namePrefix)) return false;
  return true;
}
