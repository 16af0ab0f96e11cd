import type { Tenant, Workload, WorkloadStatus } from '@kentaur/api';
import { setCondition } from '@kentaur/k8s-runtime';

/** Condition of a workload whose site does not answer (ADR 13). */
export const SITE_REACHABLE = 'SiteReachable';

const HOLDING = new Set(['Admitted', 'Running']);

export type FailoverAction = 'requeue' | 'mark' | 'clear';

export interface FailoverDecision {
  key: string;
  action: FailoverAction;
  message: string;
}

export interface FailoverInput {
  workloads: readonly Workload[];
  /** The Tenant of each namespace. */
  tenantOf: (namespace: string) => Tenant | undefined;
  /** Sites that do not answer now, with the start of their outage. */
  unreachableSince: (site: string) => number | undefined;
  /** Every site work could be placed at now. */
  reachableSites: readonly string[];
  nowMs: number;
  /** How long a site stays unreachable before its portable Batch work is requeued elsewhere. */
  graceMs: number;
}

/**
 * What to do with admitted work whose site stops answering. At once: a `SiteReachable=False`
 * condition (mark). After the grace period, Batch work that is allowed at another reachable site
 * (its placement.sites and its tenant's sites) is requeued there (requeue); a Service, or work
 * pinned to the lost site, keeps its admission and runs on when the site returns. When the site
 * answers again, the condition turns True (clear). Pure.
 */
export function failoverDecisions(input: FailoverInput): FailoverDecision[] {
  return input.workloads.flatMap((w) => {
    const d = decide(w, input);
    return d ? [d] : [];
  });
}

function decide(w: Workload, input: FailoverInput): FailoverDecision | undefined {
  const a = holding(w);
  if (!a) return undefined;
  const key = `${w.metadata.namespace}/${w.metadata.name}`;
  const since = input.unreachableSince(a.site);
  const marked = w.status?.conditions?.find((c) => c.type === SITE_REACHABLE)?.status === 'False';
  if (since === undefined)
    return marked ? { key, action: 'clear', message: `site ${a.site} answers` } : undefined;
  const movable = mayMove(w, input.tenantOf(w.metadata.namespace ?? ''), input.reachableSites, a.site);
  const lost = `site ${a.site} unreachable since ${new Date(since).toISOString()}`;
  if (movable && input.nowMs - since >= input.graceMs) {
    const message = `${lost}; requeued after the ${Math.round(input.graceMs / 1000)} s grace period`;
    return { key, action: 'requeue', message };
  }
  return marked
    ? undefined
    : { key, action: 'mark', message: `${lost}; ${fate(w, movable, since + input.graceMs)}` };
}

/** The admission of work that holds devices now (not finished, waiting or being deleted). */
function holding(w: Workload) {
  if (!HOLDING.has(w.status?.phase ?? '') || w.metadata.deletionTimestamp) return undefined;
  return w.status?.admission;
}

/** What happens to work of a site that stopped answering, in words. */
function fate(w: Workload, movable: boolean, requeueAtMs: number): string {
  if (movable) return `requeued elsewhere at ${new Date(requeueAtMs).toISOString()} unless it answers before`;
  return `${w.spec.kind === 'Batch' ? 'no other site is allowed' : 'a Service is not moved'}; it keeps its admission`;
}

/**
 * Whether a failover may move the workload away from `from`: Batch work that its placement.sites and
 * its tenant's sites allow at some other site of `sites`. Such work runs fenced in a remote site
 * (ADR 13); work that can never move is not fenced, as nothing could ever run it twice. Pure.
 */
export function mayMove(
  w: Workload,
  tenant: Tenant | undefined,
  sites: readonly string[],
  from: string,
): boolean {
  return w.spec.kind === 'Batch' && allowedSites(w, tenant, sites).some((s) => s !== from);
}

/** Those of `sites` the workload may use: its placement.sites and its tenant's sites, absent = all. */
function allowedSites(w: Workload, tenant: Tenant | undefined, sites: readonly string[]): string[] {
  const own = w.spec.placement?.sites;
  const tenants = tenant?.spec.sites;
  return sites.filter((s) => (!own || own.includes(s)) && (!tenants || tenants.includes(s)));
}

/** The status a failover decision writes. Pure. */
export function failoverStatus(w: Workload, d: FailoverDecision, now: string): WorkloadStatus {
  const reachable = {
    type: SITE_REACHABLE,
    status: d.action === 'clear' ? ('True' as const) : ('False' as const),
    reason: d.action === 'clear' ? 'SiteReachable' : 'SiteUnreachable',
    message: d.message,
    observedGeneration: w.metadata.generation,
  };
  const conditions = setCondition(w.status?.conditions, reachable, now);
  if (d.action !== 'requeue') return { ...w.status, conditions };
  return {
    ...w.status,
    phase: 'Queued',
    admission: undefined,
    queue: { reason: d.message },
    conditions: setCondition(
      conditions,
      {
        type: 'Admitted',
        status: 'False',
        reason: 'SiteUnreachable',
        message: d.message,
        observedGeneration: w.metadata.generation,
      },
      now,
    ),
  };
}
