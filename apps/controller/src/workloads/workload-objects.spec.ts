import type { Pod } from 'kubernetes-types/core/v1';
import type { Workload } from '@kentaur/api';
import { makeWorkload } from '@kentaur/testing';
import { VendorRegistry } from '@kentaur/vendors';
import type { Job } from 'kubernetes-types/batch/v1';
import {
  affectedBySiteChange,
  ATTEMPT_LABEL,
  desiredObjects,
  fencedDeadline,
  fenceRenewal,
  isCurrentObject,
  observedPhase,
  stoppedByFence,
  WORKLOAD_UID_ANNOTATION,
} from './workload-objects';
import { amdPool } from '@kentaur/testing';

const pool = amdPool();
const registry = new VendorRegistry();

function admitted(built: Workload, nodes: string[]): Workload {
  const w: Workload = {
    ...built,
    metadata: {
      ...built.metadata,
      uid: 'uid-1',
      annotations: { 'sandbox.kentaur.io/run-for': '5s', 'other.example/x': 'y' },
    },
  };
  w.status = {
    phase: 'Admitted',
    attempts: 1,
    admission: {
      site: 'dk-1',
      pool: 'dk-1-amd-mi300x',
      vendor: 'amd',
      model: 'MI300X',
      computeUnits: 1,
      admittedAt: '2026-11-22T00:00:00Z',
      placement: nodes.map((node) => ({ node, devices: w.spec.accelerators.count })),
    },
  };
  return w;
}

describe('desiredObjects', () => {
  it('Batch gang: an Indexed Job owned by the Workload, pinned to the planned nodes, and a headless Service', () => {
    const w = admitted(
      makeWorkload('train', 'ns')
        .kind('Batch')
        .replicas(2)
        .accelerators({ count: 8 })
        .maxDuration('6h')
        .obj(),
      ['amd-1', 'amd-0'],
    );
    const d = desiredObjects({ workload: w, tenant: 'acme', pool, registry, sandbox: true });
    expect(d.job?.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 2,
      parallelism: 2,
      backoffLimit: 0,
      activeDeadlineSeconds: 21600,
    });
    expect(d.job?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Workload', name: 'train', uid: 'uid-1', controller: true }),
    ]);
    const spec = d.job!.spec!.template.spec!;
    expect(spec.containers[0]!.resources?.limits?.['amd.com/gpu']).toBe('8');
    expect(
      spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions?.[0]?.values,
    ).toEqual(['amd-0', 'amd-1']);
    expect(
      spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(d.job!.spec!.template.metadata?.annotations).toEqual({ 'sandbox.kentaur.io/run-for': '5s' });
    expect(d.job!.spec!.template.metadata?.labels).toMatchObject({
      'kentaur.io/workload': 'train',
      'kentaur.io/tenant': 'acme',
    });
    expect(d.services).toHaveLength(1);
    expect(d.services[0]!.spec).toMatchObject({
      clusterIP: 'None',
      selector: { 'kentaur.io/workload': 'train' },
    });
  });

  it('names the Job for the admission and the Service for the workload; replica 0 is found through both', () => {
    const first = admitted(makeWorkload('train', 'ns').replicas(2).obj(), ['amd-0', 'amd-1']);
    const again = { ...first, status: { ...first.status, attempts: 3 } };
    const render = (w: Workload) =>
      desiredObjects({ workload: w, tenant: 'acme', pool, registry, sandbox: false });
    const env = (w: Workload) =>
      render(w).job!.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'MASTER_ADDR')?.value;
    expect(render(first).job!.metadata).toMatchObject({ name: 'train-1', labels: { [ATTEMPT_LABEL]: '1' } });
    expect(render(again).job!.metadata).toMatchObject({ name: 'train-3', labels: { [ATTEMPT_LABEL]: '3' } });
    expect(render(again).services.map((svc) => svc.metadata?.name)).toEqual(['train']);
    expect(render(again).job!.spec!.template.spec!.subdomain).toBe('train');
    expect(env(first)).toBe('train-1-0.train.ns.svc');
    expect(env(again)).toBe('train-3-0.train.ns.svc');
    // Another workload whose name ends in a number never gets the same object name.
    const other = admitted(makeWorkload('train-1', 'ns').obj(), ['amd-0']);
    expect(render(other).job!.metadata!.name).toBe('train-1-1');
  });

  it('copies sandbox annotations only in sandbox mode', () => {
    const w = admitted(makeWorkload('one', 'ns').obj(), ['amd-0']);
    const d = desiredObjects({ workload: w, tenant: 'acme', pool, registry, sandbox: false });
    expect(d.job!.spec!.template.metadata?.annotations ?? {}).toEqual({});
    expect(d.services).toEqual([]);
  });

  it('Service: a Deployment and a Service, no Job', () => {
    const w = admitted(makeWorkload('chat', 'ns').kind('Service').maxDuration(undefined).obj(), ['amd-0']);
    const d = desiredObjects({ workload: w, tenant: 'acme', pool, registry, sandbox: false });
    expect(d.job).toBeUndefined();
    expect(d.deployment?.metadata?.name).toBe('chat-1');
    expect(d.services[0]!.metadata?.name).toBe('chat');
    expect(d.deployment?.spec).toMatchObject({
      replicas: 1,
      selector: { matchLabels: { 'kentaur.io/workload': 'chat' } },
    });
    expect(d.deployment?.spec?.template.spec?.restartPolicy).toBe('Always');
    expect(d.services[0]!.spec?.clusterIP).toBeUndefined();
  });
});

describe('affectedBySiteChange', () => {
  const at = (name: string, site?: string): Workload => {
    const w = admitted(makeWorkload(name, 'ns').obj(), ['n-0']);
    if (site === undefined) return { ...w, status: { phase: 'Queued' } };
    return { ...w, status: { ...w.status, admission: { ...w.status!.admission!, site } } };
  };
  const job = (workload: string) => ({
    metadata: { name: `${workload}-1`, namespace: 'ns', labels: { 'kentaur.io/workload': workload } },
  });
  it('takes the work admitted to a changed site and the work with objects left there, nothing else', () => {
    const keys = affectedBySiteChange({
      sites: new Set(['it-1']),
      workloads: [at('here', 'it-1'), at('elsewhere', 'dk-1'), at('waiting'), at('moved', 'dk-1')],
      // it-1 came back holding the Job of `moved`'s earlier admission.
      objects: [job('moved'), { metadata: { name: 'no-label', namespace: 'ns' } }],
    });
    expect([...keys].sort()).toEqual(['ns/here', 'ns/moved']);
  });
  it('takes nothing when no work is concerned', () => {
    const keys = affectedBySiteChange({
      sites: new Set(['fi-1']),
      workloads: [at('x', 'dk-1')],
      objects: [],
    });
    expect(keys.size).toBe(0);
  });
});

describe('isCurrentObject', () => {
  const w = admitted(makeWorkload('train', 'ns').obj(), ['amd-0']);
  const again = { ...w, status: { ...w.status, attempts: 2 } };
  const obj = (name: string, attempt: string) => ({
    metadata: { name, labels: { [ATTEMPT_LABEL]: attempt } },
  });
  const owned = (o: ReturnType<typeof obj>, uid: string) => ({
    metadata: {
      ...o.metadata,
      ownerReferences: [
        { apiVersion: 'kentaur.io/v1alpha1', kind: 'Workload', name: 'train', uid, controller: true },
      ],
    },
  });
  it.each([
    ['this admission’s name', obj('train-2', '2'), true],
    ['an earlier admission’s name', obj('train-1', '1'), false],
    ['the workload’s own name, this admission (made before per-admission names)', obj('train', '2'), true],
    ['the workload’s own name, an earlier admission', obj('train', '1'), false],
    ['another workload’s object whose name ends in a digit', obj('train-2-1', '1'), false],
    ['this admission’s name, owned by this Workload', owned(obj('train-2', '2'), 'uid-1'), true],
    [
      'this admission’s name, owned by an earlier Workload of the same name',
      owned(obj('train-2', '2'), 'uid-0'),
      false,
    ],
    [
      'this admission’s name in a remote site, made for an earlier Workload of the same name',
      { metadata: { ...obj('train-2', '2').metadata, annotations: { [WORKLOAD_UID_ANNOTATION]: 'uid-0' } } },
      false,
    ],
  ] as const)('%s → %s', (_what, o, current) => {
    expect(isCurrentObject(o, again)).toBe(current);
  });
});

describe('observedPhase', () => {
  const w = makeWorkload('w', 'ns').replicas(2).obj();
  const pod = (phase: string, attempt = '0'): Pod => ({
    metadata: { labels: { [ATTEMPT_LABEL]: attempt } },
    status: { phase },
  });
  it.each([
    [
      'Job complete',
      { job: { status: { conditions: [{ type: 'Complete', status: 'True' }] } } },
      'Succeeded',
    ],
    [
      'Job success criteria met',
      { job: { status: { conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] } } },
      'Succeeded',
    ],
    ['Job failed', { job: { status: { conditions: [{ type: 'Failed', status: 'True' }] } } }, 'Failed'],
    ['all replicas running', { pods: [pod('Running'), pod('Running')] }, 'Running'],
    ['one of two running', { pods: [pod('Running'), pod('Pending')] }, 'Admitted'],
    ['both succeeded, Job not complete yet', { pods: [pod('Succeeded'), pod('Succeeded')] }, 'Running'],
    [
      'finished pods gone from the cache, the Job counts them',
      { job: { status: { succeeded: 2 } }, pods: [] },
      'Running',
    ],
    [
      'Deployment with all replicas ready',
      { deployment: { status: { readyReplicas: 2 } }, pods: [] },
      'Running',
    ],
    ['no pods yet', { pods: [] }, 'Admitted'],
    [
      "an earlier attempt's pods still running, none of this attempt's",
      { pods: [pod('Running', '1'), pod('Running', '1')], workload: { ...w, status: { attempts: 2 } } },
      'Admitted',
    ],
    [
      "this attempt's pods running beside an earlier attempt's",
      {
        pods: [pod('Running', '1'), pod('Running', '2'), pod('Running', '2')],
        workload: { ...w, status: { attempts: 2 } },
      },
      'Running',
    ],
    [
      'pods without an attempt label (not rendered by Kentaur)',
      { pods: [{ status: { phase: 'Running' } }, { status: { phase: 'Running' } }] },
      'Admitted',
    ],
  ] as const)('%s → %s', (_name, objs, phase) => {
    expect(observedPhase({ workload: w, pods: [], ...objs } as Parameters<typeof observedPhase>[0])).toBe(
      phase,
    );
  });
});

describe('objects in a remote site (ADR 13)', () => {
  const batch = () =>
    admitted(makeWorkload('train', 'ns').kind('Batch').accelerators({ count: 8 }).maxDuration('6h').obj(), [
      'amd-0',
    ]);

  it('carry no owner reference but the Workload uid, and a fenced Job deadline one lease ahead', () => {
    const d = desiredObjects({
      workload: batch(),
      tenant: 'acme',
      pool,
      registry,
      sandbox: false,
      remote: { fenceLeaseSeconds: 300 },
    });
    expect(d.job?.metadata?.ownerReferences).toBeUndefined();
    expect(d.job?.metadata?.annotations).toEqual({ [WORKLOAD_UID_ANNOTATION]: 'uid-1' });
    expect(d.job?.spec?.activeDeadlineSeconds).toBe(300);
    const unfenced = desiredObjects({
      workload: batch(),
      tenant: 'acme',
      pool,
      registry,
      sandbox: false,
      remote: { fenceLeaseSeconds: undefined },
    });
    expect(unfenced.job?.spec?.activeDeadlineSeconds).toBe(6 * 3600);
  });

  it('fencedDeadline: a lease past the time run, never past maxDuration', () => {
    expect(fencedDeadline(3600, 100.2, 300)).toBe(401);
    expect(fencedDeadline(3600, 3500, 300)).toBe(3600);
    expect(fencedDeadline(undefined, 0, 300)).toBe(300);
  });

  it('fenceRenewal: only when less than two thirds of the lease is left', () => {
    const start = Date.parse('2026-12-06T10:00:00Z');
    const job = (deadline: number): Job => ({
      spec: { activeDeadlineSeconds: deadline, template: {} },
      status: { startTime: '2026-12-06T10:00:00Z' },
    });
    // 300 s lease, 100 s in: 200 s left of a 300 s deadline (= 2/3): not yet.
    expect(fenceRenewal({ job: job(300), maxSeconds: 3600, nowMs: start + 100_000, leaseSeconds: 300 })).toBe(
      undefined,
    );
    expect(fenceRenewal({ job: job(300), maxSeconds: 3600, nowMs: start + 101_000, leaseSeconds: 300 })).toBe(
      401,
    );
    // At maxDuration already: nothing to renew.
    expect(
      fenceRenewal({ job: job(3600), maxSeconds: 3600, nowMs: start + 3500_000, leaseSeconds: 300 }),
    ).toBe(undefined);
    expect(
      fenceRenewal({ job: { spec: { template: {} } }, maxSeconds: 3600, nowMs: start, leaseSeconds: 300 }),
    ).toBe(undefined);
  });

  it('stoppedByFence: a deadline before maxDuration, not the workload’s own', () => {
    const failed = (deadline: number, reason = 'DeadlineExceeded'): Job => ({
      spec: { activeDeadlineSeconds: deadline, template: {} },
      status: { conditions: [{ type: 'Failed', status: 'True', reason }] },
    });
    expect(stoppedByFence(failed(401), 3600)).toBe(true);
    expect(stoppedByFence(failed(3600), 3600)).toBe(false);
    expect(stoppedByFence(failed(401, 'BackoffLimitExceeded'), 3600)).toBe(false);
    expect(stoppedByFence(undefined, 3600)).toBe(false);
  });
});
