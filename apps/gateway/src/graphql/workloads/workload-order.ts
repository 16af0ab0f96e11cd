import type { Workload } from '@kentaur/api';
import type { Informer } from '@kentaur/k8s-runtime';
import { workloadId } from '../../access/tenant-scope';
import { BY_NAMESPACE } from '../../kube/gateway-state';
import { inPageOrder, mergeInPageOrder, type Positioned, type PositionKey } from './pagination';

/** A workload's place in `workloads` pages: its creation time, then its id. */
export const workloadPosition = (w: Workload): PositionKey => ({
  createdAt: w.metadata.creationTimestamp ?? '',
  id: workloadId(w),
});

/**
 * The cached workloads of each namespace in page order, sorted when first read and kept until a
 * workload of that namespace is added, changed or deleted. Sorting a tenant's workloads (and
 * computing their keys) on every page was a sixth of the CPU time of `workloads(first: 50)` with
 * 200 of them (profiled in `npm run bench -- gateway`), and grows with the tenant.
 *
 * The informer calls its handlers synchronously as it changes its cache, so a read after a change
 * never gets the order from before it. Entries hold the cache's own objects, which are never mutated
 * (they are replaced, and the replacement drops the namespace's order); callers must not mutate the
 * arrays either. Which namespaces a request may read is not decided here: it passes its
 * TenantScope's.
 */
export class WorkloadOrder {
  private readonly byNamespace = new Map<string, readonly Positioned<Workload>[]>();
  private all: readonly Positioned<Workload>[] | undefined;

  constructor(private readonly workloads: Informer<Workload>) {
    const changed = (w: Workload) => {
      this.byNamespace.delete(w.metadata.namespace ?? '');
      this.all = undefined;
    };
    workloads.addHandlers({
      onAdd: changed,
      onUpdate: (old, w) => {
        changed(old);
        changed(w);
      },
      onDelete: changed,
    });
  }

  /** The workloads of `namespaces` (undefined: of all namespaces, for administrators), newest first. */
  of(namespaces: ReadonlySet<string> | undefined): readonly Positioned<Workload>[] {
    if (namespaces === undefined) return (this.all ??= inPageOrder(this.workloads.list(), workloadPosition));
    const lists = [...namespaces].map((ns) => this.namespace(ns));
    return lists.length === 1 ? lists[0]! : mergeInPageOrder(lists);
  }

  private namespace(ns: string): readonly Positioned<Workload>[] {
    let ordered = this.byNamespace.get(ns);
    if (!ordered) {
      ordered = inPageOrder(this.workloads.byIndex(BY_NAMESPACE, ns), workloadPosition);
      this.byNamespace.set(ns, ordered);
    }
    return ordered;
  }
}
