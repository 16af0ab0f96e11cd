import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from './fields';
import { validateResource, type KentaurKind } from './validate';

const examplesDir = join(__dirname, '..', '..', '..', 'examples');

const workload = (spec: Record<string, unknown>, name = 'train') => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Workload',
  metadata: { name, namespace: 'tenant-acme' },
  spec: {
    kind: 'Batch',
    maxDuration: '1h',
    accelerators: { count: 8 },
    template: { image: 'r.example/t:1' },
    ...spec,
  },
});

describe('validateResource', () => {
  it.each([
    'ubuntu',
    'ubuntu:22.04',
    'rocm/pytorch:latest',
    'nvcr.io/nvidia/pytorch:24.05-py3',
    'localhost:5000/team/train:1',
    'Registry.Example:443/team/train_v2__x:1.4-rc.1',
    `registry.example/x@sha256:${'a'.repeat(64)}`,
    `registry.example/x:1@sha256:${'b'.repeat(64)}`,
  ])('accepts the image reference %s', (image) => {
    expect(validateResource('Workload', workload({ template: { image } }))).toEqual([]);
  });

  it('accepts every example in examples/', () => {
    for (const file of [
      'workload-batch.yaml',
      'workload-service.yaml',
      'tenant.yaml',
      'accelerator-pool.yaml',
      'site.yaml',
    ]) {
      for (const doc of parseAllDocuments(readFileSync(join(examplesDir, file), 'utf8'))) {
        const obj = doc.toJS() as { kind: KentaurKind };
        expect({ file, errors: validateResource(obj.kind, obj) }).toEqual({ file, errors: [] });
      }
    }
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['name starting with a digit', workload({}, '9lives'), 'metadata.name', /starting with a letter/],
    ['replicas 0', workload({ replicas: 0 }), 'spec.replicas', /at least 1/],
    [
      'count above the maximum',
      workload({ accelerators: { count: 65 } }),
      'spec.accelerators.count',
      /at most 64/,
    ],
    [
      'unknown priority class',
      workload({ priorityClass: 'urgent' }),
      'spec.priorityClass',
      /must be one of emergency/,
    ],
    [
      'negative memory',
      workload({ accelerators: { count: 1, minMemoryGB: -1 } }),
      'spec.accelerators.minMemoryGB',
      /greater than 0/,
    ],
    [
      'unknown precision',
      workload({ accelerators: { count: 1, precisions: ['bf17'] } }),
      'spec.accelerators.precisions[0]',
      /must be one of/,
    ],
    [
      'duplicate vendor',
      workload({ accelerators: { count: 1, vendors: ['amd', 'amd'] } }),
      'spec.accelerators.vendors[1]',
      /duplicate/,
    ],
    [
      'upper-case vendor',
      workload({ accelerators: { count: 1, vendors: ['AMD'] } }),
      'spec.accelerators.vendors[0]',
      /lower-case/,
    ],
    ['no image', workload({ template: {} }), 'spec.template', /needs an image/],
    [
      'image key not a vendor',
      workload({ template: { images: { cuda: 'r/x:1' } } }),
      'spec.template.images',
      /keys must be vendor names/,
    ],
    ['image with a space', workload({ template: { image: 'r/x 1' } }), 'spec.template.image', /no spaces/],
    // Container runtimes refuse these (InvalidImageName): upper case or '_' first in a repository path,
    // an empty path component, an empty tag, a digest too short.
    ['image A_B', workload({ template: { image: 'A_B' } }), 'spec.template.image', /lower-case repository/],
    [
      'upper-case repository',
      workload({ template: { image: 'registry.example/Team/x:1' } }),
      'spec.template.image',
      /lower-case/,
    ],
    [
      'empty path component',
      workload({ template: { image: 'registry.example//x' } }),
      'spec.template.image',
      /image reference/,
    ],
    ['empty tag', workload({ template: { image: 'registry.example/x:' } }), 'spec.template.image', /:tag/],
    [
      'short digest',
      workload({ template: { image: 'registry.example/x@sha256:abc' } }),
      'spec.template.image',
      /@digest/,
    ],
    [
      'reserved env',
      workload({ template: { image: 'r/x:1', env: [{ name: 'ROCR_VISIBLE_DEVICES', value: '0' }] } }),
      'spec.template.env[0].name',
      /set by Kentaur/,
    ],
    [
      'bad quantity',
      workload({ template: { image: 'r/x:1', memory: 'lots' } }),
      'spec.template.memory',
      /quantity/,
    ],
    [
      'batch without maxDuration',
      workload({ maxDuration: undefined }),
      'spec.maxDuration',
      /required for Batch/,
    ],
    [
      'cpu of 1e400 cores',
      workload({ template: { image: 'r/x:1', cpu: '1e400' } }),
      'spec.template.cpu',
      /at most 1024/,
    ],
    [
      'cpu above 1024 cores',
      workload({ template: { image: 'r/x:1', cpu: 1025 } }),
      'spec.template.cpu',
      /at most 1024/,
    ],
    [
      'memory above 16Ti',
      workload({ template: { image: 'r/x:1', memory: '17Ti' } }),
      'spec.template.memory',
      /at most 16Ti, such as "512Gi"/,
    ],
    ['zero cpu', workload({ template: { image: 'r/x:1', cpu: '0' } }), 'spec.template.cpu', /greater than 0/],
    [
      'tenant-set device env by suffix',
      workload({ template: { image: 'r/x:1', env: [{ name: 'GPU_VISIBLE_DEVICES', value: '0' }] } }),
      'spec.template.env[0].name',
      /set by Kentaur/,
    ],
    ['duration too long', workload({ maxDuration: '1000h' }), 'spec.maxDuration', /at most 720h/],
    ['malformed duration', workload({ maxDuration: '6 hours' }), 'spec.maxDuration', /duration such as/],
    ['unknown field', workload({ replica: 2 }), 'spec.replica', /unknown field/],
    [
      'image for a disallowed vendor',
      workload({ accelerators: { count: 1, vendors: ['amd'] }, template: { images: { nvidia: 'r/x:1' } } }),
      'spec.template.images',
      /does not allow/,
    ],
  ];

  it.each(invalid)('rejects %s at %s', (_name, obj, field, message) => {
    const errors = validateResource('Workload', obj);
    expect(errors).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it.each([
    ['cpu', '1024'],
    ['cpu', '500m'],
    ['cpu', 1024],
    ['cpu', '1.5'],
    ['memory', '16Ti'],
    ['memory', '512Gi'],
    ['memory', '17592186044416'],
    ['memory', '1e12'],
  ])('accepts %s %j (within the bound)', (field, value) => {
    expect(validateResource('Workload', workload({ template: { image: 'r/x:1', [field]: value } }))).toEqual(
      [],
    );
  });

  it('checks the entries of a tenant image allow-list', () => {
    const tenant = (imageRegistries: unknown) => ({
      metadata: { name: 'acme' },
      spec: {
        displayName: 'A',
        tier: 'sme',
        namespaces: ['t'],
        quota: { guaranteedCU: 1, limitCU: 2 },
        imageRegistries,
      },
    });
    expect(validateResource('Tenant', tenant(['registry.example/acme/', 'docker.io/library/']))).toEqual([]);
    for (const bad of ['registry.example/acme', 'acme/', 'https://registry.example/', 'Registry.example/'])
      expect(validateResource('Tenant', tenant([bad]))).toEqual([
        { field: 'spec.imageRegistries[0]', message: expect.stringMatching(/ending with "\/"/) },
      ]);
    expect(validateResource('Tenant', tenant([]))).toEqual([
      { field: 'spec.imageRegistries', message: expect.stringMatching(/at least 1/) },
    ]);
  });

  it('rejects a tenant whose guaranteed quota exceeds its limit', () => {
    const tenant = {
      metadata: { name: 'acme' },
      spec: { displayName: 'A', tier: 'sme', namespaces: ['t'], quota: { guaranteedCU: 90, limitCU: 80 } },
    };
    expect(validateResource('Tenant', tenant)).toEqual([
      { field: 'spec.quota.guaranteedCU', message: expect.stringMatching(/limitCU/) },
    ]);
  });

  it('rejects evacuation of a pool that is not cordoned', () => {
    const pool = {
      metadata: { name: 'p' },
      spec: { site: 'dk-1', vendor: 'amd', model: 'MI300X', nodeSelector: { a: 'b' }, evacuate: true },
    };
    expect(validateResource('AcceleratorPool', pool)).toEqual([
      { field: 'spec.evacuate', message: expect.stringMatching(/cordoned/) },
    ]);
  });

  it('rejects a lower-case country code', () => {
    expect(validateResource('Site', { metadata: { name: 'dk-1' }, spec: { country: 'dk' } })).toEqual([
      { field: 'spec.country', message: expect.stringMatching(/ISO 3166-1/) },
    ]);
  });

  it('accepts image keys of configured vendors', () => {
    const obj = workload({ template: { images: { dare: 'r/x:1' } } });
    expect(validateResource('Workload', obj)).not.toEqual([]);
    expect(validateResource('Workload', obj, { vendors: ['dare'] })).toEqual([]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['6h', 21600],
    ['1h30m', 5400],
    ['90s', 90],
    ['1.5h', 5400],
    ['250ms', 0.25],
  ])('%s is %d seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));
  it.each(['', '6', 'h', '6 h', '-1h', '1d'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
