import type { Container, EnvVar, PodSpec } from 'kubernetes-types/core/v1';
import { makeWorkload, type WorkloadBuilder } from '@kentaur/testing';
import { admissionObjectName } from '@kentaur/api';
import { VendorRegistry } from './registry';
import { shmSize } from './render-pod';
import type { PoolPlacement, RenderInput } from './vendor-adapter';

const registry = new VendorRegistry();

const POOLS: Record<string, PoolPlacement> = {
  nvidia: {
    name: 'dk-1-nvidia-h100',
    site: 'dk-1',
    vendor: 'nvidia',
    model: 'H100',
    nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
    allocation: 'devicePlugin',
    resourceName: 'nvidia.com/gpu',
    memoryGB: 80,
  },
  amd: {
    name: 'dk-1-amd-mi300x',
    site: 'dk-1',
    vendor: 'amd',
    model: 'MI300X',
    nodeSelector: { 'amd.com/gpu.product-name': 'AMD_Instinct_MI300X_OAM' },
    allocation: 'devicePlugin',
    resourceName: 'amd.com/gpu',
    memoryGB: 192,
  },
  gaudi: {
    name: 'dk-1-intel-gaudi3',
    site: 'dk-1',
    vendor: 'intel',
    model: 'Gaudi3',
    nodeSelector: { 'habana.ai/device.type': 'GAUDI3' },
    allocation: 'devicePlugin',
    resourceName: 'habana.ai/gaudi',
    memoryGB: 128,
  },
  intelGpu: {
    name: 'dk-1-intel-max1550',
    site: 'dk-1',
    vendor: 'intel',
    model: 'Max1550',
    nodeSelector: { 'gpu.intel.com/product': 'Max_1550' },
    allocation: 'devicePlugin',
    resourceName: 'gpu.intel.com/i915',
  },
  tenstorrent: {
    name: 'dk-1-tenstorrent-p150',
    site: 'dk-1',
    vendor: 'tenstorrent',
    model: 'p150',
    nodeSelector: { 'kentaur.io/accelerator-model': 'p150' },
    allocation: 'devicePlugin',
    resourceName: 'tenstorrent.com/chip',
    memoryGB: 32,
  },
};

function input(
  pool: PoolPlacement,
  workload: WorkloadBuilder = makeWorkload('train', 'team-a'),
  extra: Partial<RenderInput> = {},
): RenderInput {
  const w = workload.obj();
  return {
    workload: { name: w.metadata.name!, namespace: w.metadata.namespace!, spec: w.spec },
    objectName: admissionObjectName(w.metadata.name!, 1),
    pool,
    ...extra,
  };
}

function render(i: RenderInput): { spec: PodSpec; main: Container; env: Record<string, string | undefined> } {
  const spec = registry.adapter(i.pool.vendor).renderPodTemplate(i).spec!;
  const main = spec.containers[0]!;
  const env = Object.fromEntries((main.env ?? []).map((e: EnvVar) => [e.name, e.value]));
  return { spec, main, env };
}

describe('renderPodTemplate per vendor', () => {
  interface Expected {
    taint: string;
    runtimeClassName?: string;
    env: Record<string, string>;
    absent: string[];
    supplementalGroups?: number[];
  }
  const cases: [string, PoolPlacement, Expected][] = [
    [
      'NVIDIA',
      POOLS.nvidia!,
      {
        taint: 'nvidia.com/gpu',
        runtimeClassName: 'nvidia',
        env: {
          KENTAUR_VENDOR: 'nvidia',
          KENTAUR_MODEL: 'H100',
          KENTAUR_DEVICES: '8',
          KENTAUR_VISIBLE_DEVICES_ENV: 'NVIDIA_VISIBLE_DEVICES',
          KENTAUR_TORCH_DEVICE: 'cuda',
          KENTAUR_DIST_BACKEND: 'nccl',
          NVIDIA_DRIVER_CAPABILITIES: 'compute,utility',
        },
        absent: [],
      },
    ],
    [
      'AMD',
      POOLS.amd!,
      {
        taint: 'amd.com/gpu',
        env: {
          KENTAUR_VENDOR: 'amd',
          KENTAUR_MODEL: 'MI300X',
          KENTAUR_TORCH_DEVICE: 'cuda',
          KENTAUR_DIST_BACKEND: 'nccl',
        },
        absent: ['KENTAUR_VISIBLE_DEVICES_ENV', 'NVIDIA_DRIVER_CAPABILITIES'],
        supplementalGroups: [44, 109],
      },
    ],
    [
      'Intel Gaudi',
      POOLS.gaudi!,
      {
        taint: 'habana.ai/gaudi',
        runtimeClassName: 'habana',
        env: {
          KENTAUR_VENDOR: 'intel',
          KENTAUR_MODEL: 'Gaudi3',
          KENTAUR_VISIBLE_DEVICES_ENV: 'HABANA_VISIBLE_DEVICES',
          KENTAUR_TORCH_DEVICE: 'hpu',
          KENTAUR_DIST_BACKEND: 'hccl',
        },
        absent: ['NVIDIA_DRIVER_CAPABILITIES'],
      },
    ],
    [
      'Intel Data Center GPU',
      POOLS.intelGpu!,
      {
        taint: 'gpu.intel.com/i915',
        env: {
          KENTAUR_VENDOR: 'intel',
          KENTAUR_MODEL: 'Max1550',
          KENTAUR_TORCH_DEVICE: 'xpu',
          KENTAUR_DIST_BACKEND: 'xccl',
        },
        absent: ['KENTAUR_VISIBLE_DEVICES_ENV'],
        supplementalGroups: [44, 109],
      },
    ],
    [
      'Tenstorrent',
      POOLS.tenstorrent!,
      {
        taint: 'tenstorrent.com/chip',
        env: { KENTAUR_VENDOR: 'tenstorrent', KENTAUR_MODEL: 'p150', KENTAUR_TORCH_DEVICE: 'ttnn' },
        absent: ['KENTAUR_DIST_BACKEND', 'KENTAUR_VISIBLE_DEVICES_ENV'],
      },
    ],
  ];

  const workload = () => makeWorkload('train', 'team-a').accelerators({ count: 8 }).cpu('32').memory('512Gi');

  it.each(cases)(
    '%s: limits, selector, toleration, runtime class, env and groups',
    (_name, pool, expected) => {
      const { spec, main, env } = render(input(pool, workload()));
      expect(main.resources).toEqual({
        limits: { [pool.resourceName]: '8', cpu: '32', memory: '512Gi' },
        requests: { cpu: '32', memory: '512Gi' },
      });
      expect(spec.nodeSelector).toEqual(pool.nodeSelector);
      expect(spec.tolerations).toEqual([{ key: expected.taint, operator: 'Exists', effect: 'NoSchedule' }]);
      expect(spec.runtimeClassName).toBe(expected.runtimeClassName);
      expect(env).toMatchObject(expected.env);
      for (const name of expected.absent) expect(env).not.toHaveProperty(name);
      expect(spec.securityContext?.supplementalGroups).toEqual(expected.supplementalGroups);
    },
  );

  it.each(cases)('%s: sets no device-selection variable, even when the tenant tries', (_name, pool) => {
    const w = workload().env({
      CUDA_VISIBLE_DEVICES: '0',
      ZE_AFFINITY_MASK: '0',
      MY_VISIBLE_DEVICES: '1',
      EPOCHS: '3',
    });
    const { main } = render(input(pool, w));
    const names = (main.env ?? []).map((e) => e.name);
    expect(names.filter((n) => n.endsWith('_VISIBLE_DEVICES') || n === 'ZE_AFFINITY_MASK')).toEqual([]);
    expect(names).toContain('EPOCHS');
  });

  it.each(cases)('%s: Pod Security restricted, no token, no service links, /dev/shm', (_name, pool) => {
    const { spec, main } = render(input(pool, workload()));
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(main.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.volumes).toEqual([{ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '256Gi' } }]);
    expect(main.volumeMounts).toEqual([{ name: 'dshm', mountPath: '/dev/shm' }]);
    expect(main.name).toBe('main');
  });
});

describe('renderPodTemplate common behaviour', () => {
  it('uses the per-vendor image before the common one', () => {
    const w = makeWorkload('t', 'ns').image('reg/common:1').images({ amd: 'reg/rocm:1' });
    expect(render(input(POOLS.amd!, w)).main.image).toBe('reg/rocm:1');
    expect(render(input(POOLS.nvidia!, w)).main.image).toBe('reg/common:1');
  });

  it('throws naming spec.template.images.<vendor> when the vendor has no image', () => {
    const w = makeWorkload('t', 'ns').image(undefined).images({ nvidia: 'reg/cuda:1' });
    expect(() => render(input(POOLS.amd!, w))).toThrow(
      /ns\/t has no image for vendor amd: set spec\.template\.images\.amd/,
    );
  });

  it("passes command and args, and puts the tenant env after Kentaur's", () => {
    const w = makeWorkload('t', 'ns')
      .command('python', 'train.py')
      .args('--epochs', '3')
      .env({ EPOCHS: '3', KENTAUR_MODEL: 'fake' });
    const { main } = render(input(POOLS.nvidia!, w));
    expect(main.command).toEqual(['python', 'train.py']);
    expect(main.args).toEqual(['--epochs', '3']);
    const names = main.env!.map((e) => e.name);
    expect(names.at(-1)).toBe('EPOCHS');
    expect(main.env!.filter((e) => e.name === 'KENTAUR_MODEL')).toEqual([
      { name: 'KENTAUR_MODEL', value: 'H100' },
    ]);
  });

  it('adds rendezvous env for gangs of more than one replica', () => {
    const { main, env } = render(input(POOLS.nvidia!, makeWorkload('train', 'team-a').replicas(4)));
    expect(env).toMatchObject({
      KENTAUR_REPLICAS: '4',
      MASTER_ADDR: 'train-1-0.train.team-a.svc',
      MASTER_PORT: '29500',
    });
    // A later admission's replica 0 is another pod, under its own Job's name, in the same Service.
    const again = render(
      input(POOLS.nvidia!, makeWorkload('train', 'team-a').replicas(4), {
        objectName: admissionObjectName('train', 3),
      }),
    );
    expect(again.env.MASTER_ADDR).toBe('train-3-0.train.team-a.svc');
    expect(main.env!.find((e) => e.name === 'NODE_RANK')).toEqual({
      name: 'NODE_RANK',
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    });
    expect(render(input(POOLS.nvidia!, makeWorkload('train', 'team-a').replicas(4))).spec.subdomain).toBe(
      'train',
    );
    expect(render(input(POOLS.nvidia!, makeWorkload('train', 'team-a'))).spec).not.toHaveProperty(
      'subdomain',
    );
    const single = render(input(POOLS.nvidia!, makeWorkload('train', 'team-a'))).env;
    for (const name of ['KENTAUR_REPLICAS', 'MASTER_ADDR', 'MASTER_PORT', 'NODE_RANK'])
      expect(single).not.toHaveProperty(name);
  });

  it('requests only the devices when the template sets no cpu or memory, and sizes /dev/shm at 16Gi', () => {
    const { spec, main } = render(input(POOLS.amd!, makeWorkload('t', 'ns').accelerators({ count: 2 })));
    expect(main.resources).toEqual({ limits: { 'amd.com/gpu': '2' } });
    expect(spec.volumes![0]!.emptyDir!.sizeLimit).toBe('16Gi');
  });

  it('restarts Services, never Batch pods', () => {
    expect(render(input(POOLS.amd!, makeWorkload('t', 'ns').kind('Batch'))).spec.restartPolicy).toBe('Never');
    expect(render(input(POOLS.amd!, makeWorkload('t', 'ns').kind('Service'))).spec.restartPolicy).toBe(
      'Always',
    );
  });

  it('labels with workload, pool and vendor (over caller labels) and copies annotations', () => {
    const i = input(POOLS.gaudi!, makeWorkload('t', 'ns'), {
      labels: { 'kentaur.io/tenant': 'acme', 'kentaur.io/pool': 'spoofed' },
      annotations: { 'sandbox.kentaur.io/run-for': '30s' },
    });
    const template = registry.adapter('intel').renderPodTemplate(i);
    expect(template.metadata).toEqual({
      labels: {
        'kentaur.io/tenant': 'acme',
        'kentaur.io/workload': 't',
        'kentaur.io/pool': 'dk-1-intel-gaudi3',
        'kentaur.io/vendor': 'intel',
      },
      annotations: { 'sandbox.kentaur.io/run-for': '30s' },
    });
  });

  it('claims devices through DRA instead of extended resources for dra pools', () => {
    const pool = { ...POOLS.amd!, allocation: 'dra' as const };
    const { spec, main } = render(
      input(pool, makeWorkload('train', 'ns').accelerators({ count: 8 }).memory('64Gi')),
    );
    expect(main.resources).toEqual({
      limits: { memory: '64Gi' },
      requests: { memory: '64Gi' },
      claims: [{ name: 'accelerators' }],
    });
    expect(spec.resourceClaims).toEqual([
      { name: 'accelerators', resourceClaimTemplateName: 'train-accelerators' },
    ]);
    expect(spec.tolerations).toEqual([{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('is deterministic', () => {
    const i = input(POOLS.nvidia!, makeWorkload('t', 'ns').replicas(2).memory('1Gi'));
    expect(JSON.stringify(render(i).spec)).toBe(JSON.stringify(render(i).spec));
  });

  it('refuses a pool of another vendor', () => {
    expect(() => registry.adapter('nvidia').renderPodTemplate(input(POOLS.amd!))).toThrow(
      /nvidia adapter cannot render for pool dk-1-amd-mi300x/,
    );
  });
});

describe('renderResourceClaimTemplate', () => {
  const claim = (pool: PoolPlacement, w: WorkloadBuilder) =>
    registry.adapter(pool.vendor).renderResourceClaimTemplate(input({ ...pool, allocation: 'dra' }, w));
  const needs = (acc: Parameters<WorkloadBuilder['accelerators']>[0]) =>
    makeWorkload('train', 'team-a').accelerators(acc);

  it('names one ExactCount request after the workload', () => {
    expect(claim(POOLS.amd!, needs({ count: 8 }))).toEqual({
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaimTemplate',
      metadata: {
        name: 'train-accelerators',
        namespace: 'team-a',
        labels: {
          'kentaur.io/workload': 'train',
          'kentaur.io/pool': 'dk-1-amd-mi300x',
          'kentaur.io/vendor': 'amd',
        },
      },
      spec: {
        spec: {
          devices: {
            requests: [
              {
                name: 'accelerators',
                exactly: {
                  deviceClassName: 'gpu.amd.com',
                  allocationMode: 'ExactCount',
                  count: 8,
                  selectors: [
                    {
                      cel: {
                        expression:
                          "'type' in device.attributes['gpu.amd.com'] && device.attributes['gpu.amd.com'].type == 'amdgpu'",
                      },
                    },
                  ],
                },
              },
            ],
          },
        },
      },
    });
  });

  const nvMemory =
    "'memory' in device.capacity['gpu.nvidia.com'] && device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('80281Mi')) >= 0";
  const cases: [string, PoolPlacement, WorkloadBuilder, string, string[]][] = [
    [
      'NVIDIA: memory (80 GB class reaches an H100 at 79.6 GiB) and fp8 compute capability',
      POOLS.nvidia!,
      needs({ count: 8, minMemoryGB: 80, precisions: ['bf16', 'fp8'] }),
      'gpu.nvidia.com',
      [
        nvMemory,
        "'cudaComputeCapability' in device.attributes['gpu.nvidia.com'] && device.attributes['gpu.nvidia.com'].cudaComputeCapability.compareTo(semver('8.9.0')) >= 0",
      ],
    ],
    ['NVIDIA without needs: no selectors', POOLS.nvidia!, needs({ count: 1 }), 'gpu.nvidia.com', []],
    [
      'NVIDIA MIG pool uses the MIG DeviceClass',
      { ...POOLS.nvidia!, resourceName: 'nvidia.com/mig-3g.40gb' },
      needs({ count: 1 }),
      'mig.nvidia.com',
      [],
    ],
    [
      'AMD: whole GPUs with memory',
      POOLS.amd!,
      needs({ count: 8, minMemoryGB: 192 }),
      'gpu.amd.com',
      [
        "'type' in device.attributes['gpu.amd.com'] && device.attributes['gpu.amd.com'].type == 'amdgpu'",
        "'memory' in device.capacity['gpu.amd.com'] && device.capacity['gpu.amd.com'].memory.compareTo(quantity('192675Mi')) >= 0",
      ],
    ],
    [
      'Intel GPU: memory only when asked (capacity needs xpumd)',
      POOLS.intelGpu!,
      needs({ count: 2, minMemoryGB: 64 }),
      'gpu.intel.com',
      [
        "'memory' in device.capacity['gpu.intel.com'] && device.capacity['gpu.intel.com'].memory.compareTo(quantity('64225Mi')) >= 0",
      ],
    ],
    [
      'Gaudi: model and health',
      POOLS.gaudi!,
      needs({ count: 8 }),
      'gaudi.intel.com',
      [
        "'model' in device.attributes['gaudi.intel.com'] && device.attributes['gaudi.intel.com'].model == 'Gaudi3'",
        "'healthy' in device.attributes['gaudi.intel.com'] && device.attributes['gaudi.intel.com'].healthy",
      ],
    ],
    [
      'Tenstorrent: board name',
      POOLS.tenstorrent!,
      needs({ count: 4 }),
      'tenstorrent.com',
      [
        "'boardName' in device.attributes['tenstorrent.com'] && device.attributes['tenstorrent.com'].boardName == 'p150'",
      ],
    ],
    [
      'Tenstorrent of unknown model: any board',
      { ...POOLS.tenstorrent!, model: 'unknown' },
      needs({ count: 4 }),
      'tenstorrent.com',
      [],
    ],
  ];

  const table = cases.map(
    ([name, pool, w, deviceClassName, selectors]) => [name, pool, w, { deviceClassName, selectors }] as const,
  );
  it.each(table)('%s', (_name, pool, w, expected) => {
    const exactly = claim(pool, w).spec.spec.devices.requests[0]!.exactly;
    expect(exactly.deviceClassName).toBe(expected.deviceClassName);
    expect((exactly.selectors ?? []).map((s) => s.cel.expression)).toEqual(expected.selectors);
  });
});

describe('shmSize', () => {
  const cases: [string | number | undefined, string][] = [
    ['512Gi', '256Gi'],
    ['1Gi', '512Mi'],
    ['1.5Gi', '768Mi'],
    ['100G', '50G'],
    ['3', '2'],
    [2 ** 31, '1Gi'],
    ['1e9', '500M'],
    ['lots', '16Gi'],
    [undefined, '16Gi'],
  ];
  it.each(cases)('memory %p → /dev/shm %s', (memory, expected) => {
    expect(shmSize(memory)).toBe(expected);
  });
});
