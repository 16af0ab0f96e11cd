import type { Workload } from '@kentaur/api';
import { aWorkload } from '@kentaur/core/testing';
import { makeWorkload } from '@kentaur/testing';
import { prunable, withAdmissions, type Reservations } from './reservations';

const admission = (key: string, nodes: [string, number][]) => ({
  ...aWorkload(key).obj(),
  key,
  placement: nodes.map(([node, devices]) => ({ node, devices })),
});

describe('withAdmissions', () => {
  it('adds admissions with the next attempt, removes victims, keeps the rest', () => {
    const current: Reservations = {
      'ns/old': { nodes: [{ node: 'n1', devices: 8 }], attempt: 1, at: 't0' },
      'ns/victim': { nodes: [{ node: 'n2', devices: 8 }], attempt: 3, at: 't0' },
    };
    const next = withAdmissions({
      current,
      admissions: [admission('ns/new', [['n2', 8]])] as never,
      victims: ['ns/victim'],
      attempts: (k) => (k === 'ns/new' ? 2 : 0),
      now: 't1',
    });
    expect(next).toEqual({
      'ns/old': current['ns/old'],
      'ns/new': { nodes: [{ node: 'n2', devices: 8 }], attempt: 3, at: 't1' },
    });
    expect(current['ns/victim']).toBeDefined(); // not mutated
  });
});

describe('prunable', () => {
  const reservation = (attempt: number, at = '2026-11-22T00:00:00Z') => ({
    nodes: [{ node: 'n1', devices: 1 }],
    attempt,
    at,
  });
  const workload = (phase: string, attempts: number, pool = 'p'): Workload => {
    const w = makeWorkload('w', 'ns').obj();
    w.status = {
      phase: phase as never,
      attempts,
      admission: { site: 's', pool, vendor: 'amd', model: 'm', computeUnits: 1, admittedAt: 't' },
    };
    return w;
  };
  const now = Date.parse('2026-11-22T00:00:30Z');
  const check = (r: Reservations[string], w: Workload | undefined, graceMs = 60_000) =>
    prunable({ pool: 'p', current: { 'ns/w': r }, workloads: () => w, nowMs: now, graceMs });

  it.each([
    ['running admission of this attempt: kept', reservation(1), workload('Running', 1), []],
    ['finished: pruned', reservation(1), workload('Succeeded', 1), ['ns/w']],
    ['requeued (Queued, same attempt): pruned', reservation(1), workload('Queued', 1), ['ns/w']],
    ['a later admission exists: pruned', reservation(1), workload('Running', 2), ['ns/w']],
    ['cache older than the reservation (in flight): kept', reservation(2), workload('Queued', 1), []],
    [
      'same attempt admitted to another pool (lost race): pruned',
      reservation(1),
      workload('Admitted', 1, 'q'),
      ['ns/w'],
    ],
    ['workload not in the cache, within the grace: kept', reservation(1), undefined, []],
  ] as const)('%s', (_name, r, w, expected) => expect(check(r, w)).toEqual(expected));

  it('prunes a missing workload after the grace', () =>
    expect(check(reservation(1), undefined, 10_000)).toEqual(['ns/w']));
});
