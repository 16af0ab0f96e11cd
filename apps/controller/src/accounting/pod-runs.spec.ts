import type { Pod } from 'kubernetes-types/core/v1';
import { ATTEMPT_LABEL, WORKLOAD_LABEL } from '@kentaur/api';
import { makeWorkload } from '@kentaur/testing';
import { attemptKeyOfPod, attemptKeyOfWorkload, floorToSecond, podRun, trimPod } from './pod-runs';

const T = (s: string) => Date.parse(`2026-11-22T10:${s}Z`);

function pod(o: { phase: string; startTime?: string; finishedAt?: string[]; conditions?: string[] }): Pod {
  return {
    metadata: {
      name: 'train-0-abc',
      namespace: 'tenant-acme',
      uid: 'pod-uid',
      resourceVersion: '7',
      labels: { [WORKLOAD_LABEL]: 'train', [ATTEMPT_LABEL]: '2', 'app.kubernetes.io/name': 'x' },
      annotations: { big: 'x'.repeat(1000) },
    },
    spec: { containers: [{ name: 'main', image: 'registry.example/train:1' }], nodeName: 'n1' },
    status: {
      phase: o.phase,
      startTime: o.startTime,
      containerStatuses: (o.finishedAt ?? []).map((f, i) => ({
        name: `c${i}`,
        image: 'registry.example/train:1',
        imageID: 'sha256:1',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, startedAt: o.startTime, finishedAt: f } },
      })),
      conditions: (o.conditions ?? []).map((t) => ({
        type: 'Ready',
        status: 'False',
        lastTransitionTime: t,
      })),
    },
  };
}

describe('podRun', () => {
  it('a finished pod ran from its start to its last container finish', () => {
    const p = pod({
      phase: 'Succeeded',
      startTime: '2026-11-22T10:00:05Z',
      finishedAt: ['2026-11-22T10:01:00Z', '2026-11-22T10:01:30Z'],
    });
    expect(podRun(p, 8)).toEqual({ devices: 8, startMs: T('00:05'), endMs: T('01:30') });
  });

  it('a failed pod without container states ends at its last condition change', () => {
    const p = pod({
      phase: 'Failed',
      startTime: '2026-11-22T10:00:05Z',
      conditions: ['2026-11-22T10:00:45Z'],
    });
    expect(podRun(p, 4)).toEqual({ devices: 4, startMs: T('00:05'), endMs: T('00:45') });
  });

  it('a running pod has no end; deleted while running, it ran until it went (whole seconds)', () => {
    const p = pod({ phase: 'Running', startTime: '2026-11-22T10:00:05Z' });
    expect(podRun(p, 8)).toEqual({ devices: 8, startMs: T('00:05') });
    expect(podRun(p, 8, T('00:20') + 999)).toEqual({ devices: 8, startMs: T('00:05'), endMs: T('00:20') });
  });

  it('a pod that never started ran nothing', () => {
    expect(podRun(pod({ phase: 'Pending' }), 8)).toBeUndefined();
    expect(podRun(pod({ phase: 'Pending' }), 8, T('00:20'))).toBeUndefined();
  });

  it('an end stamped before the start (clock skew) is a run of zero length', () => {
    const p = pod({
      phase: 'Succeeded',
      startTime: '2026-11-22T10:00:05Z',
      finishedAt: ['2026-11-22T10:00:04Z'],
    });
    expect(podRun(p, 8)).toEqual({ devices: 8, startMs: T('00:05'), endMs: T('00:05') });
  });
});

describe('keys and trimming', () => {
  it('ties a pod to its workload attempt', () => {
    const w = makeWorkload('train', 'tenant-acme').obj();
    w.status = { phase: 'Running', attempts: 2 };
    expect(attemptKeyOfPod(pod({ phase: 'Running' }))).toBe('tenant-acme/train/2');
    expect(attemptKeyOfWorkload(w)).toBe('tenant-acme/train/2');
    expect(attemptKeyOfPod({ metadata: { name: 'other', namespace: 'tenant-acme' } })).toBeUndefined();
  });

  it('keeps what the meter reads and drops the rest', () => {
    const p = pod({
      phase: 'Succeeded',
      startTime: '2026-11-22T10:00:05Z',
      finishedAt: ['2026-11-22T10:01:00Z'],
    });
    const t = trimPod(p);
    expect(t.spec).toEqual({ nodeName: 'n1', containers: [] });
    expect(t.metadata).toEqual({
      name: 'train-0-abc',
      namespace: 'tenant-acme',
      uid: 'pod-uid',
      resourceVersion: '7',
      labels: { [WORKLOAD_LABEL]: 'train', [ATTEMPT_LABEL]: '2' },
    });
    expect(podRun(t, 8)).toEqual(podRun(p, 8));
    expect(JSON.stringify(t).length).toBeLessThan(JSON.stringify(p).length / 3);
  });

  it('floors to whole seconds', () => {
    expect(floorToSecond(T('00:05') + 999)).toBe(T('00:05'));
    expect(floorToSecond(T('00:05'))).toBe(T('00:05'));
  });
});
