import type { PoolReservation, Workload } from '@kentaur/api';
import type { Admission } from '@kentaur/core';

export type Reservations = Record<string, PoolReservation>;

const TERMINAL_OR_WAITING = new Set(['Succeeded', 'Failed', 'Cancelled', 'Queued', 'Pending', 'Preempted']);

/** The pool's reservations with this cycle's admissions into it added (and its victims' removed). Pure. */
export function withAdmissions(o: {
  current: Reservations | undefined;
  admissions: readonly Admission[];
  attempts: (key: string) => number;
  victims: readonly string[];
  now: string;
}): Reservations {
  const next: Reservations = { ...(o.current ?? {}) };
  for (const v of o.victims) delete next[v];
  for (const a of o.admissions) {
    next[a.key] = {
      nodes: a.placement.map((p) => ({ node: p.node, devices: p.devices })),
      attempt: o.attempts(a.key) + 1,
      at: o.now,
    };
  }
  return next;
}

/**
 * Reservations whose admission is over: the workload is gone (for longer than the grace), or its
 * cached status shows that very admission (same or later attempt) finished, was requeued or
 * preempted, or landed in another pool (a scheduler that lost the race on the workload). A workload whose cached
 * status is older than the reservation (attempts below it) is someone's admission in flight and is
 * kept. Pure.
 */
export function prunable(o: {
  pool: string;
  current: Reservations | undefined;
  workloads: (key: string) => Workload | undefined;
  nowMs: number;
  graceMs: number;
}): string[] {
  const out: string[] = [];
  for (const [key, r] of Object.entries(o.current ?? {})) {
    const w = o.workloads(key);
    if (!w) {
      // Not in this cache: deleted, or created so recently that the cache has not seen it yet.
      if (Date.parse(r.at) < o.nowMs - o.graceMs) out.push(key);
      continue;
    }
    const attempts = w.status?.attempts ?? 0;
    const over = TERMINAL_OR_WAITING.has(w.status?.phase ?? '');
    // Same attempt admitted to another pool: a scheduler that lost the race left this one behind.
    const elsewhere = w.status?.admission !== undefined && w.status.admission.pool !== o.pool;
    if (attempts > r.attempt || (attempts === r.attempt && (over || elsewhere))) out.push(key);
  }
  return out.sort();
}
