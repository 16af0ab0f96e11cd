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

function status(st: WorkloadStatus) {
  return {
    phase: st.phase ?? 'Pending',
    queuePosition: st.queue?.position,
    waitReason: st.queue?.reason,
    admission: admission(st),
    quote: st.quote,
    usage: st.usage,
    attempts: st.attempts ?? 0,
    portable: st.portable,
    conditions: (st.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime: c.lastTransitionTime,
    })),
  };
}

/** Kubernetes Workload → GraphQL Workload. Node names and other cluster internals stay out. */
export function toWorkload(w: WorkloadObject): Workload {
  const s = w.spec;
  return {
    id: workloadId(w),
    name: w.metadata.name!,
    createdAt: w.metadata.creationTimestamp ?? '',
    kind: s.kind,
    priorityClass: s.priorityClass ?? 'standard',
    replicas: s.replicas ?? 1,
    accelerators: accelerators(s),
    template: template(s),
    maxDuration: s.maxDuration,
    budgetEUR: s.budgetEUR,
    placement: { sites: s.placement?.sites, optimizeFor: s.placement?.optimizeFor ?? 'balanced' },
    cancelRequested: s.cancel === true,
    ...status(w.status ?? {}),
  };
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
