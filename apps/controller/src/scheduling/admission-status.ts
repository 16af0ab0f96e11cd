import type { Workload, WorkloadStatus } from '@kentaur/api';
import type { Admission, Preemption, Waiting } from '@kentaur/core';
import { setCondition } from '@kentaur/k8s-runtime';

/** Pure status transitions written by the scheduling loop. */

export function admittedStatus(w: Workload, a: Admission, now: string): WorkloadStatus {
  const admission = {
    site: a.site,
    pool: a.pool,
    vendor: a.vendor,
    model: a.model,
    computeUnits: a.computeUnits,
    admittedAt: new Date(a.admittedAt).toISOString(),
    borrowed: a.borrowed,
    placement: a.placement.map((p) => ({ node: p.node, devices: p.devices })),
  };
  return {
    ...w.status,
    phase: 'Admitted',
    queue: undefined,
    admission,
    quote: {
      eurPerHour: a.quote.eurPerHour,
      estimatedEUR: a.quote.estimatedEUR ?? 0,
      estimatedKWh: a.quote.estimatedKWh ?? 0,
      estimatedCO2eKg: a.quote.estimatedCO2eKg ?? 0,
    },
    attempts: (w.status?.attempts ?? 0) + 1,
    conditions: setCondition(
      w.status?.conditions,
      {
        type: 'Admitted',
        status: 'True',
        reason: 'Admitted',
        message: `admitted to ${a.pool} (${a.vendor} ${a.model})`,
        observedGeneration: w.metadata.generation,
      },
      now,
    ),
  };
}

export function waitingStatus(
  w: Workload,
  wait: Pick<Waiting, 'position' | 'reason' | 'code'>,
  now: string,
): WorkloadStatus {
  return {
    ...w.status,
    phase: w.status?.phase === 'Preempted' ? 'Preempted' : 'Queued',
    queue: { position: wait.position, reason: wait.reason },
    conditions: setCondition(
      w.status?.conditions,
      {
        type: 'Admitted',
        status: 'False',
        reason: reasonOf(wait.code),
        message: wait.reason,
        observedGeneration: w.metadata.generation,
      },
      now,
    ),
  };
}

export function preemptedStatus(w: Workload, p: Preemption, now: string): WorkloadStatus {
  return {
    ...w.status,
    phase: 'Preempted',
    admission: undefined,
    queue: { reason: p.reason },
    conditions: setCondition(
      w.status?.conditions,
      {
        type: 'Admitted',
        status: 'False',
        reason: 'Preempted',
        message: p.reason,
        observedGeneration: w.metadata.generation,
      },
      now,
    ),
  };
}

/** Condition reasons are CamelCase identifiers: `quota` → `Quota`, `no-image` → `NoImage`. */
export function reasonOf(code: string): string {
  return code.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** Evacuation of a workload that can move: requeued like a preemption, with the reason. */
export function evacuatedStatus(w: Workload, reason: string, now: string): WorkloadStatus {
  return {
    ...w.status,
    phase: 'Preempted',
    admission: undefined,
    queue: { reason },
    conditions: setCondition(
      w.status?.conditions,
      {
        type: 'Admitted',
        status: 'False',
        reason: 'Evacuated',
        message: reason,
        observedGeneration: w.metadata.generation,
      },
      now,
    ),
  };
}

/** Evacuation of a workload that cannot move: it keeps running, with a condition that says so. */
export function notPortableStatus(w: Workload, reason: string, now: string): WorkloadStatus {
  return {
    ...w.status,
    conditions: setCondition(
      w.status?.conditions,
      {
        type: 'Evacuation',
        status: 'False',
        reason: 'NotPortable',
        message: reason,
        observedGeneration: w.metadata.generation,
      },
      now,
    ),
  };
}
