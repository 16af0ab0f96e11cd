// Pod Security corpus: every object Kentaur's controller renders for an admitted Workload
// (desiredObjects: an Indexed Job for Batch, a Deployment for Service, their Services), for every
// built-in vendor's pool of the sandbox, both allocation modes, and a corpus of workloads (named
// table cases plus seeded fast-check templates: gangs of 1–8, per-vendor images, env, command and
// args, cpu and memory up to their bounds), passes a server-side dry run in a namespace that
// enforces Pod Security "restricted". PSA only *warns* on Jobs and Deployments (enforce applies to
// Pods), so each Job/Deployment must come back without a PodSecurity warning, and a Pod built from
// each pod template is dry-run created too (the enforcing check). A privileged pod is the control.
import { request } from 'node:https';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import fc from 'fast-check';
import {
  BUILTIN_VENDORS,
  MAX_CPU,
  MAX_MEMORY,
  validateResource,
  type AcceleratorPool,
  type Workload,
  type WorkloadSpec,
} from '@kentaur/api';
import {
  Deployments,
  isAlreadyExists,
  Jobs,
  type KubeClient,
  loadKubeconfig,
  Nodes,
  Pods,
  type ResourceType,
  Services,
  Workloads,
} from '@kentaur/k8s-runtime';
import { discoverPools, VendorRegistry } from '@kentaur/vendors';
import { admittedPriorityClass, PriorityClasses } from '../../apps/controller/src/tenants';
import { discoveredPoolObject } from '../../apps/controller/src/pools/pool-state';
import { desiredObjects } from '../../apps/controller/src/workloads/workload-objects';
import { admittedTo } from '../support/admitted';
import { privilegedPod } from '../support/pods';
import { createTestNamespace, deleteTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { installCrds } from '../support/crds';

const restricted = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
};

/** Fixed: a failure names its case and reruns the same corpus. */
const SEED = 20261205;
const GENERATED = 40;

type Spec = WorkloadSpec;
const base = (over: Partial<Spec> = {}): Spec => ({
  kind: 'Batch',
  replicas: 1,
  maxDuration: '6h',
  accelerators: { count: 1 },
  template: { image: 'registry.example/acme/train:1.4' },
  ...over,
});

/** Named cases: each shape desiredObjects distinguishes, and the edges of every template field. */
const TABLE: [string, Spec][] = [
  ['one-replica Batch', base()],
  ['Batch gang of 8 (headless Service, rendezvous env)', base({ replicas: 8, accelerators: { count: 8 } })],
  ['Service, one replica (Deployment + Service)', base({ kind: 'Service', maxDuration: undefined })],
  [
    'Service, three replicas',
    base({ kind: 'Service', replicas: 3, maxDuration: undefined, accelerators: { count: 2 } }),
  ],
  [
    'per-vendor images only',
    base({
      template: {
        images: Object.fromEntries(BUILTIN_VENDORS.map((v) => [v, `registry.example/acme/train:1.4-${v}`])),
      },
    }),
  ],
  [
    'command, args, env, cpu and memory',
    base({
      template: {
        image: 'registry.example/acme/train:1.4',
        command: ['python', '-m', 'torch.distributed.run'],
        args: ['--nproc-per-node=8', 'train.py', '$(EPOCHS)', 'quote\'d "text"'],
        env: [
          { name: 'EPOCHS', value: '3' },
          { name: 'EMPTY' },
          { name: 'MASTER_ADDR', value: 'evil.example' },
        ],
        cpu: '32',
        memory: '512Gi',
      },
    }),
  ],
  [
    'cpu and memory at their bounds',
    base({ template: { image: 'registry.example/acme/x:1', cpu: MAX_CPU, memory: MAX_MEMORY } }),
  ],
  [
    'milli-cpu and a whole-number memory',
    base({ template: { image: 'r.example/x:1', cpu: '500m', memory: 1073741824 } }),
  ],
  ['Docker Hub short name', base({ template: { image: 'ubuntu:22.04' } })],
  ['digest-pinned image', base({ template: { image: `registry.example/acme/x@sha256:${'a'.repeat(64)}` } })],
];

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/).filter((n) => !n.endsWith('_VISIBLE_DEVICES'));
const quantityOf = (units: string[], max: number) =>
  fc.tuple(fc.integer({ min: 1, max }), fc.constantFrom(...units)).map(([n, u]) => `${n}${u}`);

/** Valid Workload specs as a tenant could write them (only what the CRD admits). */
const specArb: fc.Arbitrary<Spec> = fc
  .record({
    kind: fc.constantFrom('Batch' as const, 'Service' as const),
    replicas: fc.integer({ min: 1, max: 8 }),
    count: fc.integer({ min: 1, max: 8 }),
    image: fc.option(
      fc.constantFrom('registry.example/acme/train:1.4', 'ubuntu:22.04', 'localhost:5000/team/x:dev'),
      { nil: undefined },
    ),
    images: fc.dictionary(fc.constantFrom(...BUILTIN_VENDORS), fc.constant('registry.example/acme/x:v'), {
      maxKeys: 4,
    }),
    command: fc.option(fc.array(printable, { maxLength: 4 }), { nil: undefined }),
    args: fc.option(fc.array(printable, { maxLength: 6 }), { nil: undefined }),
    env: fc.uniqueArray(fc.record({ name: envName, value: printable }), {
      maxLength: 6,
      selector: (e) => e.name,
    }),
    cpu: fc.option(fc.oneof(quantityOf(['', 'm'], 1024), fc.integer({ min: 1, max: 1024 })), {
      nil: undefined,
    }),
    memory: fc.option(quantityOf(['Mi', 'Gi', 'G'], 1024), { nil: undefined }),
  })
  .map((r) => {
    const images =
      r.image === undefined && Object.keys(r.images).length === 0 ? { amd: 'r.example/x:1' } : r.images;
    return {
      kind: r.kind,
      replicas: r.replicas,
      ...(r.kind === 'Batch' ? { maxDuration: '2h' } : {}),
      accelerators: { count: r.count },
      template: {
        ...(r.image !== undefined ? { image: r.image } : {}),
        ...(Object.keys(images).length ? { images } : {}),
        ...(r.command ? { command: r.command } : {}),
        ...(r.args ? { args: r.args } : {}),
        ...(r.env.length ? { env: r.env } : {}),
        ...(r.cpu !== undefined ? { cpu: r.cpu } : {}),
        ...(r.memory !== undefined ? { memory: r.memory } : {}),
      },
    };
  });

const GENERATED_CASES: [string, Spec][] = fc
  .sample(specArb, { seed: SEED, numRuns: GENERATED })
  .map((spec, i) => [`generated #${i} (seed ${SEED})`, spec]);

/** A dry-run create that returns the API server's warnings (the KubeClient drops them). */
function dryRunCreate(
  path: string,
  body: unknown,
): Promise<{ status: number; warnings: string[]; body: string }> {
  const c = loadKubeconfig(testKubeconfig());
  const url = new URL(`${path}?dryRun=All&fieldValidation=Strict`, c.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: c.caData,
        cert: c.certData,
        key: c.keyData,
        headers: {
          'content-type': 'application/json',
          ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const raw = res.headers.warning;
          const warnings = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
          resolve({ status: res.statusCode ?? 0, warnings, body: text });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('Pod Security "restricted" for everything the controller renders', () => {
  let client: KubeClient;
  let ns: string;
  let pools: AcceleratorPool[];
  let nodes: Node[];
  const registry = new VendorRegistry();

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    ns = await createTestNamespace(client, 'psa', restricted);
    // Rendered pods name Kentaur's PriorityClass; the Priority admission plugin refuses unknown ones.
    await client.create(PriorityClasses, admittedPriorityClass().object).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    nodes = (await client.listAll<Node>(Nodes)).items.filter((n) => n.metadata?.labels?.type === 'kwok');
    const discovered = discoverPools(nodes, { registry, defaultSite: 'dk-1' }).pools;
    const devicePlugin = discovered.map(discoveredPoolObject);
    const dra = devicePlugin.map((p) => ({
      ...p,
      metadata: { ...p.metadata, name: `${p.metadata.name}-dra` },
      spec: { ...p.spec, allocation: 'dra' as const },
    }));
    pools = [...devicePlugin, ...dra];
  });
  afterAll(async () => {
    await deleteTestNamespace(client, ns);
    client.close();
  });

  it('the namespace really enforces "restricted": a privileged pod is refused (the control)', async () => {
    const privileged = privilegedPod('privileged', ns);
    await expect(client.create(Pods, privileged, { dryRun: true })).rejects.toThrow(
      /violates PodSecurity "restricted/,
    );
    // ... and a Job with that template comes back with a PodSecurity warning, which the corpus
    // below requires to be absent: the warning check can fail too.
    const job = await dryRunCreate(client.path(Jobs, { namespace: ns }), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'privileged', namespace: ns },
      spec: { template: { spec: { ...privileged.spec, restartPolicy: 'Never' } } },
    });
    expect(job.status).toBe(201);
    expect(job.warnings.join('\n')).toMatch(/would violate PodSecurity/);
  });

  it('covers every built-in vendor, with both allocation modes', () => {
    const vendors = new Set(pools.map((p) => p.spec.vendor));
    for (const v of BUILTIN_VENDORS) expect(vendors).toContain(v);
    expect(pools.some((p) => p.spec.allocation === 'dra')).toBe(true);
  });

  it(`generates ${GENERATED} admissible templates from seed ${SEED}`, () => {
    for (const [name, spec] of [...TABLE, ...GENERATED_CASES])
      expect({ name, errors: validateResource('Workload', workloadOf(name, spec, 'x')) }).toEqual({
        name,
        errors: [],
      });
  });

  function workloadOf(caseName: string, spec: Spec, namespace: string): Workload {
    const name = `w-${caseName.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 40).replace(/-+$/, '');
    return { apiVersion: 'kentaur.io/v1alpha1', kind: 'Workload', metadata: { name, namespace }, spec };
  }

  /**
   * The Workload as the API server stores it (defaults filled in), admitted to `pool` with a
   * placement on its nodes, rendered by the controller's desiredObjects.
   */
  async function render(caseName: string, spec: Spec, pool: AcceleratorPool) {
    const w = workloadOf(caseName, spec, ns);
    const stored = await client.create<Workload>(Workloads, w, { dryRun: true, fieldValidation: 'Strict' });
    const admitted = admittedTo({ ...stored, metadata: { ...stored.metadata, uid: undefined } }, pool, nodes);
    return desiredObjects({ workload: admitted, tenant: 'acme', pool, registry, sandbox: false });
  }

  /** Dry-runs the workload resource (no PodSecurity warning allowed) and a Pod of its template. */
  async function admitAll(label: string, objects: ReturnType<typeof desiredObjects>) {
    const failures: string[] = [];
    const workload: Job | Deployment = objects.job ?? objects.deployment!;
    const type: ResourceType = objects.job ? Jobs : Deployments;
    // Exactly as rendered, owner reference included (it names a Workload that was only dry-run created).
    const res = await dryRunCreate(client.path(type, { namespace: ns }), workload);
    if (res.status !== 201) failures.push(`${label}: ${workload.kind} refused: ${res.body.slice(0, 400)}`);
    const psa = res.warnings.filter((w) => /PodSecurity/.test(w));
    if (psa.length) failures.push(`${label}: ${workload.kind} warned: ${psa.join('; ')}`);
    for (const svc of objects.services)
      await client
        .create(Services, svc, { dryRun: true, fieldValidation: 'Strict' })
        .catch((e: Error) => failures.push(`${label}: Service refused: ${e.message}`));
    const template = workload.spec!.template;
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name: `${workload.metadata!.name}-0`, namespace: ns },
      spec: template.spec,
    };
    await client
      .create(Pods, pod, { dryRun: true, fieldValidation: 'Strict' })
      .catch((e: Error) => failures.push(`${label}: Pod refused: ${e.message}`));
    return failures;
  }

  it.each([...TABLE, ...GENERATED_CASES])(
    '%s: every vendor pool, both allocation modes',
    async (caseName, spec) => {
      const failures: string[] = [];
      let rendered = 0;
      for (const pool of pools) {
        // A per-vendor-images-only workload has nothing for the other vendors: it is never admitted there.
        if (!spec.template.image && !spec.template.images?.[pool.spec.vendor]) continue;
        const objects = await render(caseName, spec, pool);
        expect(Boolean(objects.job)).toBe(spec.kind === 'Batch');
        expect(Boolean(objects.deployment)).toBe(spec.kind === 'Service');
        failures.push(...(await admitAll(`${caseName} on ${pool.metadata.name}`, objects)));
        rendered++;
      }
      expect(rendered).toBeGreaterThan(0);
      expect(failures).toEqual([]);
    },
  );
});
