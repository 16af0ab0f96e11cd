import type { LimitRange, Namespace, ResourceQuota } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { AcceleratorPool, Tenant } from '@kentaur/api';
import { VendorRegistry } from '@kentaur/vendors';
import {
  acceleratorResourceNames,
  admittedPriorityClass,
  ALLOW_DNS_POLICY,
  ALLOW_SAME_WORKLOAD_POLICY,
  BUILTIN_ACCELERATOR_RESOURCES,
  conflictingLabels,
  contains,
  DEFAULT_DENY_POLICY,
  isApplied,
  namespaceKit,
  namespaceOwners,
  withoutLabels,
} from './namespace-kit';

const tenant = (name: string, namespaces: string[], created = '2025-01-01T00:00:00Z') =>
  ({
    metadata: { name, creationTimestamp: created },
    spec: { namespaces },
  }) as unknown as Tenant;

const pool = (resourceName?: string) => ({ spec: { resourceName } }) as unknown as AcceleratorPool;

const kit = (resourceNames = ['amd.com/gpu', 'nvidia.com/gpu']) =>
  namespaceKit({ tenant: tenant('acme', ['team-a']), namespace: 'team-a', resourceNames });

const find = <T>(kind: string, name?: string) =>
  kit().find((k) => k.object.kind === kind && (!name || k.object.metadata?.name === name))!.object as T;

describe('namespaceKit', () => {
  it('has a namespace, a quota, a limit range and three network policies, the namespace first', () => {
    expect(kit().map((k) => `${k.object.kind}/${k.object.metadata?.name}`)).toEqual([
      'Namespace/team-a',
      'ResourceQuota/kentaur-vendor-resources',
      'LimitRange/kentaur-defaults',
      'NetworkPolicy/kentaur-default-deny',
      'NetworkPolicy/kentaur-allow-dns',
      'NetworkPolicy/kentaur-allow-same-workload',
    ]);
  });

  it('labels every object with its tenant, and everything but the namespace as Kentaur-managed', () => {
    for (const { object } of kit()) {
      expect(object.metadata?.labels?.['kentaur.io/tenant']).toBe('acme');
      const managedBy = object.metadata?.labels?.['app.kubernetes.io/managed-by'];
      expect(managedBy).toBe(object.kind === 'Namespace' ? undefined : 'kentaur');
      if (object.kind !== 'Namespace') expect(object.metadata?.namespace).toBe('team-a');
    }
  });

  it('forces only objects Kentaur owns by name, never the namespace', () => {
    expect(kit().map((k) => [k.object.kind, k.force])).toEqual([
      ['Namespace', false],
      ['ResourceQuota', true],
      ['LimitRange', true],
      ['NetworkPolicy', true],
      ['NetworkPolicy', true],
      ['NetworkPolicy', true],
    ]);
  });

  it('enforces, warns and audits Pod Security "restricted" on the namespace', () => {
    expect(find<Namespace>('Namespace').metadata?.labels).toEqual({
      'kentaur.io/tenant': 'acme',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
  });

  it('quotas every device resource at zero for pods that are not kentaur-admitted', () => {
    const q = find<ResourceQuota>('ResourceQuota');
    expect(q.spec?.hard).toEqual({ 'requests.amd.com/gpu': '0', 'requests.nvidia.com/gpu': '0' });
    expect(q.spec?.scopeSelector).toEqual({
      matchExpressions: [{ scopeName: 'PriorityClass', operator: 'NotIn', values: ['kentaur-admitted'] }],
    });
  });

  it('defaults container cpu and memory requests and limits', () => {
    expect(find<LimitRange>('LimitRange').spec?.limits).toEqual([
      {
        type: 'Container',
        defaultRequest: { cpu: '1', memory: '2Gi' },
        default: { cpu: '4', memory: '8Gi' },
      },
    ]);
  });

  it('denies all traffic by default, in both directions', () => {
    expect(find<NetworkPolicy>('NetworkPolicy', DEFAULT_DENY_POLICY).spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
  });

  it('allows DNS to kube-dns in kube-system over UDP and TCP', () => {
    const spec = find<NetworkPolicy>('NetworkPolicy', ALLOW_DNS_POLICY).spec!;
    expect(spec.policyTypes).toEqual(['Egress']);
    expect(spec.ingress).toBeUndefined();
    expect(spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
  });

  it('allows workload pods to reach each other within the namespace, and nothing else', () => {
    const spec = find<NetworkPolicy>('NetworkPolicy', ALLOW_SAME_WORKLOAD_POLICY).spec!;
    const workloads = { matchExpressions: [{ key: 'kentaur.io/workload', operator: 'Exists' }] };
    expect(spec).toEqual({
      podSelector: workloads,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: workloads }] }],
      egress: [{ to: [{ podSelector: workloads }] }],
    });
  });
});

describe('admittedPriorityClass', () => {
  it('is cluster-scoped, never the default, and never preempts', () => {
    const { object, force } = admittedPriorityClass();
    const pc = object as PriorityClass;
    expect(force).toBe(true);
    expect(pc.metadata?.namespace).toBeUndefined();
    expect(pc).toMatchObject({
      metadata: { name: 'kentaur-admitted' },
      value: 1000,
      preemptionPolicy: 'Never',
    });
    expect(pc.globalDefault).toBeUndefined(); // false, as the API server stores it (omitted)
  });
});

describe('acceleratorResourceNames', () => {
  const cases: [string, Parameters<typeof acceleratorResourceNames>[0], string[], string[]][] = [
    ['built-in list alone', { pools: [] }, [...BUILTIN_ACCELERATOR_RESOURCES], []],
    [
      'adds pool resources, once each',
      { pools: [pool('example.com/npu'), pool('example.com/npu'), pool('amd.com/gpu')] },
      ['example.com/npu'],
      [],
    ],
    [
      'leaves out names a quota would refuse',
      { pools: [pool(undefined), pool('cpu'), pool('kubernetes.io/batteries'), pool('x.kubernetes.io/y')] },
      [],
      ['cpu', 'kubernetes.io/batteries', 'x.kubernetes.io/y', ''],
    ],
    [
      "adds the vendor adapters' resources (partitions and MIG profiles)",
      { pools: [], registry: new VendorRegistry() },
      ['amd.com/cpx_nps4', 'nvidia.com/mig-1g.10gb'],
      [],
    ],
  ];
  it.each(cases)('%s', (_name, input, included, excluded) => {
    const names = acceleratorResourceNames(input);
    for (const r of [...BUILTIN_ACCELERATOR_RESOURCES, ...included]) expect(names).toContain(r);
    for (const r of excluded) expect(names).not.toContain(r);
    expect(names).toEqual([...new Set(names)].sort());
  });
});

describe('namespaceOwners', () => {
  const cases: [string, Tenant[], Record<string, string>][] = [
    ['one tenant, its namespaces', [tenant('a', ['a1', 'a2'])], { a1: 'a', a2: 'a' }],
    [
      'a shared namespace goes to the older tenant',
      [
        tenant('young', ['shared', 'y'], '2025-02-01T00:00:00Z'),
        tenant('old', ['shared'], '2025-01-01T00:00:00Z'),
      ],
      { shared: 'old', y: 'young' },
    ],
    ['same age: the lower name', [tenant('b', ['shared']), tenant('a', ['shared'])], { shared: 'a' }],
    [
      'a tenant being deleted owns nothing',
      [
        {
          ...tenant('gone', ['shared']),
          metadata: { name: 'gone', deletionTimestamp: '2025-03-01T00:00:00Z' },
        },
        tenant('b', ['shared'], '2025-04-01T00:00:00Z'),
      ] as Tenant[],
      { shared: 'b' },
    ],
  ];
  it.each(cases)('%s', (_name, tenants, expected) => {
    expect(Object.fromEntries(namespaceOwners(tenants))).toEqual(expected);
  });
});

describe('contains / isApplied', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal scalars', '0', '0', true],
    ['different scalars', '1', '0', false],
    ['extra keys on the server are fine', { a: 1, b: 2 }, { a: 1 }, true],
    ['a missing key is not', { a: 1 }, { a: 1, b: 2 }, false],
    ['arrays element by element', [{ a: 1, x: 0 }], [{ a: 1 }], true],
    ['arrays of another length', [{ a: 1 }, { a: 2 }], [{ a: 1 }], false],
    ['an object is not an array', { 0: 1 }, [1], false],
  ];
  it.each(cases)('contains: %s', (_name, actual, wanted, expected) => {
    expect(contains(actual, wanted)).toBe(expected);
  });

  const quota = kit()[1]!.object as ResourceQuota;
  const server = (patch: (q: ResourceQuota) => void) => {
    const q = structuredClone(quota);
    delete q.apiVersion;
    delete q.kind;
    q.metadata = { ...q.metadata, uid: 'u', resourceVersion: '7' };
    patch(q);
    return q;
  };
  const applied: [string, ResourceQuota | undefined, boolean][] = [
    ['not cached: apply', undefined, false],
    ['as applied (list items carry no kind): skip', server(() => undefined), true],
    [
      'another label added by someone: skip',
      server((q) => (q.metadata!.labels = { ...q.metadata!.labels, extra: '1' })),
      true,
    ],
    ['tenant label changed: apply', server((q) => (q.metadata!.labels!['kentaur.io/tenant'] = 'x')), false],
    ['a limit raised: apply', server((q) => (q.spec!.hard!['requests.amd.com/gpu'] = '8')), false],
    ['scope selector removed: apply', server((q) => delete q.spec!.scopeSelector), false],
  ];
  it.each(applied)('isApplied: %s', (_name, cached, expected) => {
    expect(isApplied(quota, cached)).toBe(expected);
  });
});

describe('yielding labels another manager holds', () => {
  it('reads the conflicting label keys from an apply conflict, and nothing else', () => {
    const causes = [
      { reason: 'FieldManagerConflict', field: '.metadata.labels.pod-security.kubernetes.io/enforce' },
      { reason: 'FieldManagerConflict', field: '.metadata.labels.team' },
      { reason: 'FieldManagerConflict', field: '.spec.finalizers' },
      { reason: 'FieldManagerConflict' },
    ];
    expect(conflictingLabels(causes)).toEqual(['pod-security.kubernetes.io/enforce', 'team']);
  });

  it('drops only those labels, leaving the kit object itself untouched', () => {
    const ns = kit()[0]!;
    const before = structuredClone(ns);
    const partial = withoutLabels(ns, ['pod-security.kubernetes.io/enforce']);
    expect(partial.object.metadata?.labels).not.toHaveProperty('pod-security.kubernetes.io/enforce');
    expect(partial.object.metadata?.labels).toMatchObject({
      'kentaur.io/tenant': 'acme',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(partial.object.metadata?.name).toBe('team-a');
    expect(partial.force).toBe(false);
    expect(ns).toEqual(before);
  });
});
