// Template escalation: a tenant cannot reach more than its admission through the Workload template.
// Against the real API server (Workload objects created directly, as with kubectl: CRD schema and
// CEL) and the local validator the gateway uses (libs/api validateResource):
//   - fields the template does not have (hostPath, hostNetwork, privileged, securityContext,
//     capabilities, volumes, resources, env valueFrom, …) are refused with strict field validation,
//     pruned without it, and never reach the pod the controller renders;
//   - device-selection env names (RESERVED_ENV, anything *_VISIBLE_DEVICES) are refused naming the
//     field, and dropped by the renderer should one ever get past validation;
//   - the rendered pod requests exactly the admitted number of the pool's vendor resource, and no
//     other vendor's;
//   - template.cpu and template.memory are bounded (1024 cores, 16Ti): "1e400" used to pass.
import type { Container, Node, Pod } from 'kubernetes-types/core/v1';
import {
  MAX_CPU,
  MAX_MEMORY,
  RESERVED_ENV,
  validateResource,
  type AcceleratorPool,
  type Workload,
} from '@kentaur/api';
import { isAlreadyExists, KubeApiError, type KubeClient, Nodes, Pods, Workloads } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { discoverPools, VendorRegistry } from '@kentaur/vendors';
import { discoveredPoolObject } from '../../apps/controller/src/pools/pool-state';
import {
  admittedPriorityClass,
  BUILTIN_ACCELERATOR_RESOURCES,
  PriorityClasses,
} from '../../apps/controller/src/tenants';
import { desiredObjects, objectNameOf } from '../../apps/controller/src/workloads/workload-objects';
import { admittedTo } from '../support/admitted';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';

const restricted = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};

/** Fields a tenant might try to add, each at its path below spec, with a value that would escalate. */
const SMUGGLED: [path: string, value: unknown][] = [
  ['template.hostPath', '/'],
  ['template.hostNetwork', true],
  ['template.hostPID', true],
  ['template.hostIPC', true],
  ['template.privileged', true],
  ['template.securityContext', { privileged: true, runAsUser: 0, allowPrivilegeEscalation: true }],
  ['template.capabilities', { add: ['SYS_ADMIN', 'NET_ADMIN'] }],
  ['template.volumes', [{ name: 'host', hostPath: { path: '/' } }]],
  ['template.volumeMounts', [{ name: 'host', mountPath: '/host' }]],
  ['template.resources', { limits: { 'nvidia.com/gpu': '64', 'amd.com/gpu': '8' } }],
  ['template.serviceAccountName', 'default'],
  ['template.automountServiceAccountToken', true],
  ['template.nodeName', 'kwok-nvidia-h100-0'],
  ['template.tolerations', [{ operator: 'Exists' }]],
  ['template.runtimeClassName', 'nvidia'],
  ['template.priorityClassName', 'system-node-critical'],
  ['template.env[0].valueFrom', { secretKeyRef: { name: 'other-tenant', key: 'token' } }],
  ['securityContext', { privileged: true }],
  ['hostNetwork', true],
  ['nodeSelector', { 'kubernetes.io/hostname': 'kwok-nvidia-h100-0' }],
  ['namespace', 'kube-system'],
];

/** Words that must never appear in a rendered pod: each would come only from a smuggled field. */
const NEVER_IN_POD =
  /hostPath|hostNetwork|hostPID|hostIPC|"privileged":true|SYS_ADMIN|NET_ADMIN|secretKeyRef|serviceAccountName|nodeName|system-node-critical|"runAsUser":0|"operator":"Exists","effect":(?!"NoSchedule")|kube-system|"allowPrivilegeEscalation":true/;

/** Sets `value` at a dotted path with `[i]` indices inside a copy of `obj`. */
function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return copy;
}

const causesOf = (e: unknown) =>
  e instanceof KubeApiError
    ? [e.status.message ?? '', ...e.causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`)].join('\n')
    : String(e);

describe('a tenant cannot escalate through the Workload template', () => {
  let client: KubeClient;
  let ns: string;
  let pools: AcceleratorPool[];
  let nodes: Node[];
  const registry = new VendorRegistry();
  let n = 0;

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    ns = await createTestNamespace(client, 'escalate', restricted);
    await client.create(PriorityClasses, admittedPriorityClass().object).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    nodes = (await client.listAll<Node>(Nodes)).items.filter((x) => x.metadata?.labels?.type === 'kwok');
    const devicePlugin = discoverPools(nodes, { registry, defaultSite: 'dk-1' }).pools.map(
      discoveredPoolObject,
    );
    pools = [
      ...devicePlugin,
      ...devicePlugin.map((p) => ({ ...p, spec: { ...p.spec, allocation: 'dra' as const } })),
    ];
  });
  afterAll(async () => {
    await deleteTestNamespace(client, ns);
    client.close();
  });

  /** A valid Workload as plain JSON (so that fields it does not have can be added). */
  const plain = (over: { replicas?: number; count?: number } = {}): Record<string, unknown> => {
    const w = makeWorkload(`esc-${++n}`, ns)
      .replicas(over.replicas ?? 1)
      .accelerators({ count: over.count ?? 2 })
      .image('registry.example/acme/train:1.4')
      .env({ EPOCHS: '3' })
      .cpu('8')
      .memory('64Gi')
      .obj();
    return JSON.parse(JSON.stringify(w)) as Record<string, unknown>;
  };

  /** Admitted to `pool` on its nodes (as the scheduler would write it), then rendered by the controller. */
  function render(w: Workload, pool: AcceleratorPool) {
    const admitted = admittedTo(w, pool, nodes);
    const objects = desiredObjects({ workload: admitted, tenant: 'acme', pool, registry, sandbox: false });
    const template = (objects.job ?? objects.deployment)!.spec!.template;
    return { admitted, objects, template };
  }

  describe('fields the template does not have', () => {
    it.each(SMUGGLED)(
      'spec.%s: refused by strict field validation and by the local validator',
      async (path, value) => {
        const obj = setPath(plain(), `spec.${path}`, value);
        const err = await client
          .create(Workloads, obj as never, { dryRun: true, fieldValidation: 'Strict' })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(KubeApiError);
        expect([400, 422]).toContain((err as KubeApiError).statusCode);
        expect(causesOf(err)).toContain(`unknown field "spec.${path}"`);
        expect(validateResource('Workload', obj)).toContainEqual({
          field: `spec.${path}`,
          message: 'unknown field; remove it (check the spelling)',
        });
      },
    );

    it('are pruned by the API server without strict validation, and never reach the rendered pod', async () => {
      let obj = plain();
      for (const [path, value] of SMUGGLED)
        if (path !== 'namespace') obj = setPath(obj, `spec.${path}`, value);
      // Created for real (kubectl's default of old was no strict validation): the schema prunes them.
      const stored = await client.create<Workload>(Workloads, obj as never);
      const spec = JSON.stringify(stored.spec);
      for (const [path] of SMUGGLED)
        expect(spec).not.toContain(
          `"${path
            .split('.')
            .at(-1)!
            .replace(/\[\d+\]/, '')}"`,
        );
      for (const pool of pools) {
        const { template } = render(stored, pool);
        const json = JSON.stringify(template);
        const podSpec = template.spec!;
        expect({
          host: [podSpec.hostNetwork, podSpec.hostPID, podSpec.hostIPC],
          account: [podSpec.serviceAccountName, podSpec.automountServiceAccountToken, podSpec.nodeName],
          volumes: podSpec.volumes?.map((v) => Object.keys(v).sort().join('+')),
          tolerations: podSpec.tolerations?.every((t) => Boolean(t.key) && t.effect === 'NoSchedule'),
          securityContext: podSpec.containers[0]!.securityContext,
        }).toEqual({
          host: [undefined, undefined, undefined],
          account: [undefined, false, undefined],
          volumes: ['emptyDir+name'],
          tolerations: true,
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            runAsNonRoot: true,
            seccompProfile: { type: 'RuntimeDefault' },
          },
        });
        expect({ pool: pool.metadata.name, smuggled: NEVER_IN_POD.exec(json)?.[0] }).toEqual({
          pool: pool.metadata.name,
          smuggled: undefined,
        });
        const pod: Pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { ...template.metadata, name: `${stored.metadata.name}-0`, namespace: ns },
          spec: template.spec,
        };
        await client.create(Pods, pod, { dryRun: true, fieldValidation: 'Strict' });
      }
    });

    it('the pod check can fail: the same words in a hand-made pod are found', () => {
      const pod = {
        spec: {
          hostNetwork: true,
          containers: [{ securityContext: { privileged: true } }],
          volumes: [{ hostPath: { path: '/' } }],
        },
      };
      expect(NEVER_IN_POD.test(JSON.stringify(pod))).toBe(true);
    });
  });

  describe('device-selection environment variables', () => {
    const names = [...RESERVED_ENV, 'GPU_VISIBLE_DEVICES', 'NEURON_RT_VISIBLE_DEVICES', 'X_VISIBLE_DEVICES'];

    it.each(names)(
      '%s: refused by the API server and the local validator, naming the field and the fix',
      async (name) => {
        const obj = setPath(plain(), 'spec.template.env', [
          { name: 'EPOCHS', value: '3' },
          { name, value: 'all' },
        ]);
        const err = await client.create(Workloads, obj as never, { dryRun: true }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(KubeApiError);
        expect((err as KubeApiError).statusCode).toBe(422);
        const cause = (err as KubeApiError).causes.find((c) => c.field === 'spec.template.env[1].name');
        expect(cause?.message).toMatch(/set by Kentaur from the admitted devices.*remove it/);
        expect(validateResource('Workload', obj)).toContainEqual({
          field: 'spec.template.env[1].name',
          message: expect.stringMatching(/set by Kentaur.*remove it/),
        });
      },
    );

    it('are dropped by the renderer should one get past validation (an object stored before the rule)', () => {
      const w = plain() as unknown as Workload;
      w.spec.template.env = names.map((name) => ({ name, value: 'all' }));
      for (const pool of pools) {
        const env = render(w, pool).template.spec!.containers[0]!.env ?? [];
        expect(env.filter((e) => names.includes(e.name))).toEqual([]);
      }
    });
  });

  describe('vendor resources', () => {
    const vendorResources = (c: Container) =>
      [...Object.entries(c.resources?.limits ?? {}), ...Object.entries(c.resources?.requests ?? {})].filter(
        ([k]) => k.includes('/'),
      );

    it.each([
      [1, 1],
      [1, 8],
      [3, 2],
      [8, 8],
    ])(
      "%i replica(s) of %i devices: each pod requests exactly the admitted count of its pool's resource",
      (replicas, count) => {
        const obj = setPath(plain({ replicas, count }), 'spec.template.resources', {
          limits: { 'nvidia.com/gpu': '64' },
        });
        const w = obj as unknown as Workload;
        for (const pool of pools) {
          const { admitted, objects, template } = render(w, pool);
          const spec = template.spec!;
          expect(spec.initContainers ?? []).toEqual([]);
          expect(spec.containers).toHaveLength(1);
          const main = spec.containers[0]!;
          const admittedDevices = admitted.status!.admission!.placement!.reduce(
            (sum, p) => sum + p.devices,
            0,
          );
          if (pool.spec.allocation === 'dra') {
            // Devices come from the ResourceClaimTemplate of `count` devices; no extended resource at all.
            expect(vendorResources(main)).toEqual([]);
            const claim = registry.adapter(pool.spec.vendor).renderResourceClaimTemplate({
              workload: { name: admitted.metadata.name!, namespace: ns, spec: admitted.spec },
              objectName: objectNameOf(admitted),
              pool: {
                ...pool.spec,
                name: pool.metadata.name!,
                allocation: 'dra',
                resourceName: pool.spec.resourceName ?? '',
              },
            });
            expect(claim.spec.spec.devices.requests.map((r) => r.exactly?.count)).toEqual([count]);
          } else {
            // Only the pool's own resource, in limits, equal to the admitted count per replica.
            expect(vendorResources(main)).toEqual([[pool.spec.resourceName, String(count)]]);
            expect(BUILTIN_ACCELERATOR_RESOURCES).toContain(pool.spec.resourceName);
          }
          const parallel = objects.job ? objects.job.spec!.parallelism : objects.deployment!.spec!.replicas;
          expect(parallel! * count).toBe(admittedDevices);
          expect(main.env).toContainEqual({ name: 'KENTAUR_DEVICES', value: String(count) });
        }
      },
    );
  });

  describe('cpu and memory are bounded', () => {
    const withTemplate = (fields: Record<string, unknown>) => {
      const obj = plain();
      const spec = obj.spec as { template: Record<string, unknown> };
      spec.template = { image: 'registry.example/acme/train:1.4', ...fields };
      return obj;
    };

    it.each([
      ['cpu', '1e400', /at most 1024, such as "32"/],
      ['cpu', '1025', /at most 1024/],
      ['cpu', 1025, /at most 1024/],
      ['cpu', '1024001m', /at most 1024/],
      ['cpu', '0', /greater than 0/],
      ['memory', '1e400', /at most 16Ti, such as "512Gi"/],
      ['memory', '17Ti', /at most 16Ti/],
      ['memory', '1E', /at most 16Ti/],
      ['memory', 17592186044417, /at most 16Ti/],
    ])('template.%s %j: refused by the API server and the local validator', async (field, value, message) => {
      const obj = withTemplate({ [field]: value });
      const err = await client.create(Workloads, obj as never, { dryRun: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).statusCode).toBe(422);
      const cause = (err as KubeApiError).causes.find((c) => c.field === `spec.template.${field}`);
      expect(cause?.message).toMatch(message);
      expect(validateResource('Workload', obj)).toContainEqual({
        field: `spec.template.${field}`,
        message: expect.stringMatching(message),
      });
    });

    it.each([
      ['cpu', MAX_CPU],
      ['cpu', 1024],
      ['cpu', '250m'],
      ['memory', MAX_MEMORY],
      ['memory', '17592186044416'],
      ['memory', '1e12'],
    ])('template.%s %j: accepted by both', async (field, value) => {
      const obj = withTemplate({ [field]: value });
      await client.create(Workloads, obj as never, { dryRun: true });
      expect(validateResource('Workload', obj)).toEqual([]);
    });
  });
});
