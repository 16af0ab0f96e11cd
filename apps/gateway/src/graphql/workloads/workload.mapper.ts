import type { Workload as WorkloadObject, WorkloadSpec, WorkloadStatus } from '@kentaur/api';
import { workloadId } from '../../access/tenant-scope';
import type { WorkloadSpecInput } from './workload.inputs';
import type { Workload } from './workload.types';

/** Kubernetes Workload → GraphQL Workload. Node names and other cluster internals stay out. */
function accelerators(s: WorkloadSpec): Workload['accelerators'] {
  const a = s.accelerators;
  return {
    count: a.count,
    class: a.class ?? 'any',
    minMemoryGB: a.minMemoryGB,
    precisions: a.precisions ?? [],
    vendors: a.vendors,
    models: a.models,
  };
}

const text = (q: string | number | undefined) => (q === undefined ? undefined : String(q));

function template(s: WorkloadSpec): Workload['template'] {
  const t = s.template;
  return {
    image: t.image,
    images: Object.entries(t.images ?? {}).map(([vendor, image]) => ({ vendor, image })),
    command: t.command ?? [],
    args: t.args ?? [],
    env: (t.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
    cpu: text(t.cpu),
    memory: text(t.memory),
  };
}

function admission(st: WorkloadStatus): Workload['admission'] {
  const a = st.admission;
  return (
    a && {
      site: a.site,
      pool: a.pool,
      vendor: a.vendor,
      model: a.model,
      computeUnits: a.computeUnits,
      admittedAt: a.admittedAt,
      borrowed: a.borrowed ?? false,
    }
  );
}

function conditions(st: WorkloadStatus): Workload['conditions'] {
  return (st.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: c.lastTransitionTime,
  }));
}

/**
 * A GraphQL Workload read field by field from the Kubernetes object: GraphQL reads only the fields a
 * query selects, and pages are mostly read for a few of them (`id name phase`), while mapping every
 * field of the 50 workloads of a page was a tenth of the CPU time of `workloads(first: 50)` once
 * the rest was cached. The object is the cache's or the API server's answer, never mutated, so every
 * read of a field gives the same value; each read maps it again (GraphQL reads a field once).
 */
class WorkloadView implements Workload {
  constructor(private readonly w: WorkloadObject) {}

  private get status(): WorkloadStatus {
    return this.w.status ?? {};
  }

  get id() {
    return workloadId(this.w);
  }
  get name() {
    return this.w.metadata.name!;
  }
  get createdAt() {
    return this.w.metadata.creationTimestamp ?? '';
  }
  get kind() {
    return this.w.spec.kind;
  }
  get priorityClass() {
    return this.w.spec.priorityClass ?? 'standard';
  }
  get replicas() {
    return this.w.spec.replicas ?? 1;
  }
  get accelerators() {
    return accelerators(this.w.spec);
  }
  get template() {
    return template(this.w.spec);
  }
  get maxDuration() {
    return this.w.spec.maxDuration;
  }
  get budgetEUR() {
    return this.w.spec.budgetEUR;
  }
  get placement() {
    const p = this.w.spec.placement;
    return { sites: p?.sites, optimizeFor: p?.optimizeFor ?? 'balanced' };
  }
  get cancelRequested() {
    return this.w.spec.cancel === true;
  }
  get phase() {
    return this.status.phase ?? 'Pending';
  }
  get queuePosition() {
    return this.status.queue?.position;
  }
  get waitReason() {
    return this.status.queue?.reason;
  }
  get admission() {
    return admission(this.status);
  }
  get quote() {
    return this.status.quote;
  }
  get usage() {
    return this.status.usage;
  }
  get attempts() {
    return this.status.attempts ?? 0;
  }
  get portable() {
    return this.status.portable;
  }
  get conditions() {
    return conditions(this.status);
  }
}

/** Kubernetes Workload → GraphQL Workload. Node names and other cluster internals stay out. */
export function toWorkload(w: WorkloadObject): Workload {
  return new WorkloadView(w);
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;

/**
 * GraphQL spec input → the Workload CRD's spec (not yet validated: validateResource does that).
 * Nulls become absent fields; per-vendor images become the CRD's map.
 */
export function specFromInput(input: WorkloadSpecInput): WorkloadSpec {
  const t = input.template;
  const images = t.images ? Object.fromEntries(t.images.map((i) => [i.vendor, i.image])) : undefined;
  return defined({
    kind: input.kind,
    priorityClass: input.priorityClass,
    replicas: input.replicas,
    accelerators: defined({ ...input.accelerators }),
    template: defined({
      image: t.image,
      images,
      command: t.command,
      args: t.args,
      env: t.env?.map((e) => ({ name: e.name, value: e.value })),
      cpu: t.cpu,
      memory: t.memory,
    }),
    maxDuration: input.maxDuration,
    budgetEUR: input.budgetEUR,
    placement: input.placement ? defined({ ...input.placement }) : undefined,
  }) as WorkloadSpec;
}
