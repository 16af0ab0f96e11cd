import type { Tenant, Workload } from '@kentaur/api';
import { makeWorkload } from '@kentaur/testing';
import { failoverDecisions, failoverStatus, mayMove, SITE_REACHABLE } from './failover';

const T0 = Date.parse('2026-12-06T10:00:00Z');
const GRACE = 60_000;

function runningAt(name: string, site: string, o: { sites?: string[]; kind?: 'Service' } = {}): Workload {
  const b = makeWorkload(name, 'ns').accelerators({ count: 1 });
  if (o.kind) b.kind('Service').maxDuration(undefined);
  const w = b.obj();
  if (o.sites) w.spec.placement = { sites: o.sites, optimizeFor: 'balanced' };
  w.status = {
    phase: 'Running',
    attempts: 1,
    admission: {
      site,
      pool: `${site}-nvidia-h100`,
      vendor: 'nvidia',
      model: 'H100',
      computeUnits: 1,
      admittedAt: '2026-12-06T09:00:00Z',
    },
  };
  return w;
}

const tenant = (sites?: string[]): Tenant => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 't' },
  spec: {
    displayName: 't',
    tier: 'sme',
    namespaces: ['ns'],
    quota: { guaranteedCU: 1, limitCU: 2 },
    ...(sites ? { sites } : {}),
  },
});

function decide(workloads: Workload[], o: { nowMs: number; t?: Tenant; down?: string }) {
  const down = o.down ?? 'it-1';
  return failoverDecisions({
    workloads,
    tenantOf: () => o.t ?? tenant(),
    unreachableSince: (s) => (s === down ? T0 : undefined),
    reachableSites: ['dk-1', 'fi-1', 'it-1'].filter((s) => s !== down),
    nowMs: o.nowMs,
    graceMs: GRACE,
  });
}

describe('failoverDecisions', () => {
  it('marks work of an unreachable site at once and requeues portable Batch work after the grace', () => {
    const batch = runningAt('batch', 'it-1');
    expect(decide([batch], { nowMs: T0 + 1000 })).toEqual([
      {
        key: 'ns/batch',
        action: 'mark',
        message:
          'site it-1 unreachable since 2026-12-06T10:00:00.000Z; requeued elsewhere at 2026-12-06T10:01:00.000Z unless it answers before',
      },
    ]);
    expect(decide([batch], { nowMs: T0 + GRACE - 1 })).toHaveLength(1);
    expect(decide([batch], { nowMs: T0 + GRACE })).toEqual([
      {
        key: 'ns/batch',
        action: 'requeue',
        message: 'site it-1 unreachable since 2026-12-06T10:00:00.000Z; requeued after the 60 s grace period',
      },
    ]);
  });

  it('keeps a Service and work that no other allowed site could take, with a reason', () => {
    const service = runningAt('svc', 'it-1', { kind: 'Service' });
    const pinned = runningAt('pinned', 'it-1', { sites: ['it-1'] });
    const resident = runningAt('resident', 'it-1');
    const late = T0 + 10 * GRACE;
    expect(decide([service, pinned], { nowMs: late }).map((d) => [d.key, d.action, d.message])).toEqual([
      [
        'ns/svc',
        'mark',
        'site it-1 unreachable since 2026-12-06T10:00:00.000Z; a Service is not moved; it keeps its admission',
      ],
      [
        'ns/pinned',
        'mark',
        'site it-1 unreachable since 2026-12-06T10:00:00.000Z; no other site is allowed; it keeps its admission',
      ],
    ]);
    // The tenant's sites count too (data residency): held to it-1, the work stays.
    expect(decide([resident], { nowMs: late, t: tenant(['it-1']) })[0]?.action).toBe('mark');
    expect(decide([resident], { nowMs: late, t: tenant(['it-1', 'fi-1']) })[0]?.action).toBe('requeue');
  });

  it('marks once, clears when the site answers, and leaves work of reachable sites alone', () => {
    const w = runningAt('batch', 'it-1', { sites: ['it-1'] });
    const marked = { ...w, status: failoverStatus(w, decide([w], { nowMs: T0 })[0]!, 'x') };
    expect(decide([marked], { nowMs: T0 + 5000 })).toEqual([]);
    const back = decide([marked], { nowMs: T0 + 5000, down: 'none' });
    expect(back).toEqual([{ key: 'ns/batch', action: 'clear', message: 'site it-1 answers' }]);
    expect(decide([runningAt('fine', 'fi-1')], { nowMs: T0 + 10 * GRACE })).toEqual([]);
  });

  it('ignores waiting, finished and deleted work', () => {
    const queued = { ...runningAt('q', 'it-1'), status: { phase: 'Queued' as const } };
    const done = runningAt('done', 'it-1');
    done.status!.phase = 'Succeeded';
    const running = runningAt('gone', 'it-1');
    const gone = { ...running, metadata: { ...running.metadata, deletionTimestamp: '2026-12-06T10:00:00Z' } };
    expect(decide([queued, done, gone], { nowMs: T0 + 10 * GRACE })).toEqual([]);
  });
});

describe('failoverStatus', () => {
  it('requeues: Queued, no admission, SiteReachable and Admitted False with the reason', () => {
    const w = runningAt('batch', 'it-1');
    const d = { key: 'ns/batch', action: 'requeue' as const, message: 'site it-1 unreachable' };
    const s = failoverStatus(w, d, '2026-12-06T10:01:00Z');
    expect(s.phase).toBe('Queued');
    expect(s.admission).toBeUndefined();
    expect(s.attempts).toBe(1);
    expect(s.queue).toEqual({ reason: 'site it-1 unreachable' });
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      [SITE_REACHABLE, 'False', 'SiteUnreachable'],
      ['Admitted', 'False', 'SiteUnreachable'],
    ]);
  });

  it('marks and clears only the condition, keeping the admission', () => {
    const w = runningAt('svc', 'it-1');
    const marked = failoverStatus(w, { key: 'ns/svc', action: 'mark', message: 'm' }, 'now');
    expect([marked.phase, marked.admission?.site]).toEqual(['Running', 'it-1']);
    const cleared = failoverStatus(
      { ...w, status: marked },
      { key: 'ns/svc', action: 'clear', message: 'c' },
      'now',
    );
    expect(cleared.conditions?.find((c) => c.type === SITE_REACHABLE)).toMatchObject({
      status: 'True',
      reason: 'SiteReachable',
    });
  });
});

describe('mayMove', () => {
  it('is Batch work allowed at another site', () => {
    const sites = ['dk-1', 'it-1'];
    expect(mayMove(runningAt('a', 'it-1'), tenant(), sites, 'it-1')).toBe(true);
    expect(mayMove(runningAt('b', 'it-1', { sites: ['it-1'] }), tenant(), sites, 'it-1')).toBe(false);
    expect(mayMove(runningAt('c', 'it-1', { kind: 'Service' }), tenant(), sites, 'it-1')).toBe(false);
    expect(mayMove(runningAt('d', 'it-1'), tenant(['it-1']), sites, 'it-1')).toBe(false);
    expect(mayMove(runningAt('e', 'it-1'), tenant(), ['it-1'], 'it-1')).toBe(false);
  });
});
