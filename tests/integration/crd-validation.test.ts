// The generated CRDs in the real API server: valid examples are accepted; invalid objects are
// rejected by the API server itself with the field path and a message that says how to fix it, and
// the local validator (used by the gateway before anything reaches the API server) agrees.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateResource, type KentaurKind } from '@kentaur/api';
import {
  AcceleratorPools,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type ResourceType,
  Sites,
  Tenants,
  Workloads,
} from '@kentaur/k8s-runtime';
import { createTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';

const types: Record<KentaurKind, ResourceType> = {
  Workload: Workloads,
  AcceleratorPool: AcceleratorPools,
  Tenant: Tenants,
  Site: Sites,
};
const examples = (file: string) =>
  parseAllDocuments(readFileSync(join(__dirname, '../../examples', file), 'utf8')).map(
    (d) => d.toJS() as KubeObject & { kind: KentaurKind },
  );

let n = 0;
const unique = (base: string) => `${base}-${++n}`;

const workload = (ns: string, spec: Record<string, unknown>, name = unique('w')) => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Workload' as const,
  metadata: { name, namespace: ns },
  spec: {
    kind: 'Batch',
    maxDuration: '1h',
    accelerators: { count: 8 },
    template: { image: 'registry.example/t:1' },
    ...spec,
  },
});
const tenant = (spec: Record<string, unknown>) => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Tenant' as const,
  metadata: { name: unique('t') },
  spec: {
    displayName: 'T',
    tier: 'sme',
    namespaces: ['tenant-t'],
    quota: { guaranteedCU: 1, limitCU: 2 },
    ...spec,
  },
});
const pool = (spec: Record<string, unknown>) => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'AcceleratorPool' as const,
  metadata: { name: unique('p') },
  spec: {
    site: 'dk-1',
    vendor: 'amd',
    model: 'MI300X',
    nodeSelector: { 'amd.com/gpu.product-name': 'AMD_Instinct_MI300X_OAM' },
    ...spec,
  },
});
const site = (spec: Record<string, unknown>) => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Site' as const,
  metadata: { name: unique('s') },
  spec,
});

type Invalid = [
  name: string,
  make: (ns: string) => KubeObject & { kind: KentaurKind },
  field: string,
  message: RegExp,
];

const invalid: Invalid[] = [
  [
    'workload name starting with a digit',
    (ns) => workload(ns, {}, '9lives'),
    'metadata.name',
    /starting with a letter/,
  ],
  [
    'workload name too long',
    (ns) => workload(ns, {}, `w${'x'.repeat(55)}`),
    'metadata.name',
    /at most 50 characters/,
  ],
  [
    'replicas 0',
    (ns) => workload(ns, { replicas: 0 }),
    'spec.replicas',
    /greater than or equal to 1|at least 1/,
  ],
  [
    'replicas above 256',
    (ns) => workload(ns, { replicas: 257 }),
    'spec.replicas',
    /less than or equal to 256|at most 256/,
  ],
  [
    'device count 0',
    (ns) => workload(ns, { accelerators: { count: 0 } }),
    'spec.accelerators.count',
    /greater than or equal to 1|at least 1/,
  ],
  ['unknown kind', (ns) => workload(ns, { kind: 'Cron' }), 'spec.kind', /supported values|must be one of/],
  [
    'unknown priority class',
    (ns) => workload(ns, { priorityClass: 'urgent' }),
    'spec.priorityClass',
    /supported values|must be one of/,
  ],
  [
    'zero minimum memory',
    (ns) => workload(ns, { accelerators: { count: 1, minMemoryGB: 0 } }),
    'spec.accelerators.minMemoryGB',
    /greater than 0/,
  ],
  [
    'unknown precision',
    (ns) => workload(ns, { accelerators: { count: 1, precisions: ['bf17'] } }),
    'spec.accelerators.precisions[0]',
    /supported values|must be one of/,
  ],
  [
    'upper-case vendor',
    (ns) => workload(ns, { accelerators: { count: 1, vendors: ['AMD'] } }),
    'spec.accelerators.vendors[0]',
    /lower-case letters/,
  ],
  [
    'too many vendors',
    (ns) =>
      workload(ns, { accelerators: { count: 1, vendors: Array.from({ length: 17 }, (_, i) => `v${i}`) } }),
    'spec.accelerators.vendors',
    /at most 16 items/,
  ],
  [
    'no image at all',
    (ns) => workload(ns, { template: { command: ['x'] } }),
    'spec.template',
    /needs an image/,
  ],
  [
    'image key that is no vendor',
    (ns) => workload(ns, { template: { images: { cuda: 'r/x:1' } } }),
    'spec.template.images',
    /keys must be vendor names/,
  ],
  [
    'image reference with a space',
    (ns) => workload(ns, { template: { image: 'r/x 1' } }),
    'spec.template.image',
    /no spaces/,
  ],
  [
    'device-selection env set by the tenant',
    (ns) =>
      workload(ns, { template: { image: 'r/x:1', env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }] } }),
    'spec.template.env[0].name',
    /set by Kentaur/,
  ],
  [
    'memory that is no quantity',
    (ns) => workload(ns, { template: { image: 'r/x:1', memory: 'lots' } }),
    'spec.template.memory',
    /Kubernetes quantity/,
  ],
  [
    'Batch without maxDuration',
    (ns) => workload(ns, { maxDuration: undefined }),
    'spec.maxDuration',
    /required for Batch/,
  ],
  [
    'maxDuration above 720h',
    (ns) => workload(ns, { maxDuration: '1000h' }),
    'spec.maxDuration',
    /at most 720h/,
  ],
  [
    'maxDuration in words',
    (ns) => workload(ns, { maxDuration: '6 hours' }),
    'spec.maxDuration',
    /duration such as 30m/,
  ],
  [
    'image for a vendor the workload does not allow',
    (ns) =>
      workload(ns, {
        accelerators: { count: 1, vendors: ['amd'] },
        template: { images: { nvidia: 'r/x:1' } },
      }),
    'spec.template.images',
    /does not allow/,
  ],
  [
    'tenant guaranteed above limit',
    () => tenant({ quota: { guaranteedCU: 90, limitCU: 80 } }),
    'spec.quota.guaranteedCU',
    /limitCU/,
  ],
  [
    'tenant with an unknown tier',
    () => tenant({ tier: 'vip' }),
    'spec.tier',
    /supported values|must be one of/,
  ],
  [
    'tenant namespace that is no DNS label',
    () => tenant({ namespaces: ['Tenant_A'] }),
    'spec.namespaces[0]',
    /lower-case letters/,
  ],
  ['pool evacuating without cordon', () => pool({ evacuate: true }), 'spec.evacuate', /cordoned: true/],
  [
    'pool with an empty node selector',
    () => pool({ nodeSelector: {} }),
    'spec.nodeSelector',
    /at least one label/,
  ],
  ['site with a lower-case country', () => site({ country: 'dk' }), 'spec.country', /ISO 3166-1/],
  [
    'site with a PUE below 1',
    () => site({ country: 'DK', pue: 0.9 }),
    'spec.pue',
    /greater than or equal to 1|at least 1/,
  ],
];

describe('CRD validation in the API server', () => {
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    ns = await createTestNamespace(client, 'crd');
  });
  afterAll(() => client.close());

  it('accepts every example in examples/', async () => {
    for (const file of [
      'site.yaml',
      'tenant.yaml',
      'accelerator-pool.yaml',
      'workload-batch.yaml',
      'workload-service.yaml',
    ]) {
      for (const obj of examples(file)) {
        // Cluster-scoped names are shared by every test file (the controller discovers dk-1-* pools).
        const namespaced = types[obj.kind].namespaced;
        const name = namespaced ? obj.metadata!.name : unique(obj.metadata!.name!);
        const created = await client.create(types[obj.kind], {
          ...obj,
          metadata: { ...obj.metadata, name, namespace: namespaced ? ns : undefined },
        });
        expect(created.metadata?.uid).toBeDefined();
      }
    }
  });

  it('fills in defaults', async () => {
    const w = await client.create<KubeObject & { spec: { replicas: number; priorityClass: string } }>(
      Workloads,
      workload(ns, {}) as never,
    );
    expect(w.spec.replicas).toBe(1);
    expect(w.spec.priorityClass).toBe('standard');
  });

  it(`has at least 15 invalid cases (${invalid.length})`, () =>
    expect(invalid.length).toBeGreaterThanOrEqual(15));

  it.each(invalid)('rejects %s', async (_name, make, field, message) => {
    const obj = make(ns);
    const err = await client.create(types[obj.kind], obj).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    const apiErr = err as KubeApiError;
    expect(apiErr.statusCode).toBe(422);
    // The API server reports root-level rules (metadata.name) without a field; their message names it.
    const causes = apiErr.causes.map((c) => ({ field: c.field ?? '', message: c.message ?? '' }));
    const matching = causes.filter(
      (c) => (c.field === field || c.message.includes(field)) && message.test(c.message),
    );
    expect({ causes, matching: matching.length > 0 }).toEqual({ causes, matching: true });

    // The local validator rejects the same object at the same field.
    const local = validateResource(obj.kind, obj);
    expect(local.map((e) => e.field)).toContain(field);
  });

  it('refuses to change spec.accelerators after admission', async () => {
    const w = await client.create<KubeObject & { spec: Record<string, unknown> }>(
      Workloads,
      workload(ns, {}),
    );
    const name = w.metadata!.name!;
    await client.patch(
      Workloads,
      name,
      { status: { phase: 'Admitted', admission: { pool: 'dk-1-amd-mi300x', vendor: 'amd' } } },
      { namespace: ns, subresource: 'status' },
    );
    const err = await client
      .patch(Workloads, name, { spec: { accelerators: { count: 4 } } }, { namespace: ns })
      .then(
        () => undefined,
        (e: unknown) => e as KubeApiError,
      );
    expect(err?.statusCode).toBe(422);
    expect(err?.message).toMatch(/cannot change once the workload is admitted/);
    // Other fields stay editable, e.g. cancelling.
    const cancelled = await client.patch<KubeObject & { spec: { cancel?: boolean } }>(
      Workloads,
      name,
      { spec: { cancel: true } },
      { namespace: ns },
    );
    expect(cancelled.spec.cancel).toBe(true);
  });
});
