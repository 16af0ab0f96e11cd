import { inputProblems, specProblems, toInputField } from './input-checks';
import type { SubmitWorkloadInput, WorkloadSpecInput } from './workload.inputs';

const VENDORS = ['amd', 'intel', 'nvidia', 'tenstorrent'];

function spec(
  o: { vendors?: string[]; images?: { vendor: string; image: string }[] } = {},
): WorkloadSpecInput {
  return {
    kind: 'Batch',
    maxDuration: '1h',
    accelerators: { count: 1, ...(o.vendors ? { vendors: o.vendors } : {}) },
    template: o.images ? { images: o.images } : { image: 'registry.example/train:1' },
  };
}

const img = (vendor: string) => ({ vendor, image: `registry.example/train-${vendor}:1` });

function input(o: Partial<SubmitWorkloadInput> = {}): SubmitWorkloadInput {
  return { spec: spec(), ...o };
}

const fieldsOf = (problems: readonly { field: string }[]) => problems.map((p) => p.field);

describe('toInputField', () => {
  it.each([
    { name: 'the name', crd: 'metadata.name', root: undefined, field: 'input.name' },
    { name: 'the whole object', crd: '', root: undefined, field: 'input.spec' },
    { name: 'the spec itself', crd: 'spec', root: undefined, field: 'input.spec' },
    { name: 'a spec field', crd: 'spec.template.image', root: undefined, field: 'input.spec.template.image' },
    { name: 'a CEL fieldPath', crd: '.spec.maxDuration', root: undefined, field: 'input.spec.maxDuration' },
    {
      name: 'an array element',
      crd: 'spec.accelerators.vendors[0]',
      root: undefined,
      field: 'input.spec.accelerators.vendors[0]',
    },
    { name: 'another root', crd: 'spec.replicas', root: 'quote', field: 'quote.spec.replicas' },
  ])('$name: $crd → $field', ({ crd, root, field }) => {
    expect(toInputField(crd, root)).toBe(field);
  });
});

describe('specProblems', () => {
  it.each([
    { name: 'no vendor list and one image', spec: spec(), fields: [] },
    { name: 'known vendors', spec: spec({ vendors: ['amd', 'nvidia'] }), fields: [] },
    {
      name: 'an unknown vendor',
      spec: spec({ vendors: ['amd', 'acme'] }),
      fields: ['input.spec.accelerators.vendors[1]'],
    },
    {
      name: 'two unknown vendors',
      spec: spec({ vendors: ['acme', 'nvidia', 'NVIDIA'] }),
      fields: ['input.spec.accelerators.vendors[0]', 'input.spec.accelerators.vendors[2]'],
    },
    { name: 'one image per known vendor', spec: spec({ images: [img('amd'), img('intel')] }), fields: [] },
    {
      name: 'an image for an unknown vendor',
      spec: spec({ images: [img('amd'), img('acme')] }),
      fields: ['input.spec.template.images[1].vendor'],
    },
    {
      name: 'two images for one vendor',
      spec: spec({ images: [img('amd'), img('nvidia'), img('amd')] }),
      fields: ['input.spec.template.images[2].vendor'],
    },
    {
      name: 'an unknown vendor twice is reported as unknown each time',
      spec: spec({ images: [img('acme'), img('acme')] }),
      fields: ['input.spec.template.images[0].vendor', 'input.spec.template.images[1].vendor'],
    },
  ])('$name', ({ spec: s, fields }) => {
    expect(fieldsOf(specProblems(s, VENDORS, 'input.spec'))).toEqual(fields);
  });

  it('names the unknown vendor and the known ones', () => {
    const [problem] = specProblems(spec({ vendors: ['acme'] }), VENDORS, 'input.spec');
    expect(problem?.message).toBe('unknown vendor "acme" (known vendors: amd, intel, nvidia, tenstorrent)');
  });

  it('says to keep one image per vendor', () => {
    const [problem] = specProblems(spec({ images: [img('amd'), img('amd')] }), VENDORS, 'input.spec');
    expect(problem?.message).toBe('vendor "amd" has two images: keep one entry per vendor');
  });

  it('puts problems under the given root', () => {
    expect(fieldsOf(specProblems(spec({ vendors: ['acme'] }), VENDORS, 'spec'))).toEqual([
      'spec.accelerators.vendors[0]',
    ]);
  });
});

describe('inputProblems', () => {
  const production = { sandbox: false, knownVendors: VENDORS };
  const sandbox = { sandbox: true, knownVendors: VENDORS };

  it.each([
    { name: 'no key', key: undefined, ok: true },
    { name: 'a null key', key: null, ok: true },
    { name: 'a UUID', key: '3f1c7a52-9a4e-4c1b-8d1e-0c6f2f8b7a10', ok: true },
    { name: 'one character', key: 'k', ok: true },
    { name: '256 characters', key: 'k'.repeat(256), ok: true },
    { name: 'non-ASCII printable text', key: 'läuft-über-nacht', ok: true },
    { name: 'an empty key', key: '', ok: false },
    { name: '257 characters', key: 'k'.repeat(257), ok: false },
    { name: 'a newline', key: 'a\nb', ok: false },
    { name: 'a NUL', key: 'a\u0000', ok: false },
    { name: 'DEL', key: 'a\u007f', ok: false },
    { name: 'a C1 control', key: 'a\u0085', ok: false },
    { name: 'a right-to-left override (format character)', key: 'a\u202eb', ok: false },
    { name: 'a zero-width space (format character)', key: 'a\u200bb', ok: false },
  ])('idempotencyKey: $name', ({ key, ok }) => {
    const problems = inputProblems(input({ idempotencyKey: key as string | undefined }), production);
    expect(fieldsOf(problems)).toEqual(ok ? [] : ['input.idempotencyKey']);
  });

  it('refuses a sandbox run on a production gateway', () => {
    expect(inputProblems(input({ sandbox: { runFor: '30s' } }), production)).toEqual([
      { field: 'input.sandbox', message: 'is accepted only by a sandbox gateway; remove it' },
    ]);
  });

  it.each([
    { name: 'seconds', runFor: '30s', ok: true },
    { name: 'zero', runFor: '0s', ok: true },
    { name: 'milliseconds', runFor: '1500ms', ok: true },
    { name: 'combined units', runFor: '1h30m', ok: true },
    { name: 'exactly the limit', runFor: '720h', ok: true },
    { name: 'the limit in minutes', runFor: '43200m', ok: true },
    { name: 'one second over the limit', runFor: '720h1s', ok: false },
    { name: 'over the limit', runFor: '721h', ok: false },
    { name: 'empty', runFor: '', ok: false },
    { name: 'no unit', runFor: '30', ok: false },
    { name: 'a fraction', runFor: '1.5h', ok: false },
    { name: 'a day unit', runFor: '1d', ok: false },
    { name: 'negative', runFor: '-30s', ok: false },
    { name: 'spaces', runFor: '30 s', ok: false },
    { name: 'longer than 32 characters', runFor: '1s'.repeat(17), ok: false },
  ])('sandbox runFor: $name', ({ runFor, ok }) => {
    expect(fieldsOf(inputProblems(input({ sandbox: { runFor } }), sandbox))).toEqual(
      ok ? [] : ['input.sandbox.runFor'],
    );
  });

  it.each([
    { name: 'absent', exitCode: undefined, ok: true },
    { name: 'null', exitCode: null, ok: true },
    { name: 'zero', exitCode: 0, ok: true },
    { name: '255', exitCode: 255, ok: true },
    { name: 'negative', exitCode: -1, ok: false },
    { name: '256', exitCode: 256, ok: false },
  ])('sandbox exitCode: $name', ({ exitCode, ok }) => {
    const run = { runFor: '30s', exitCode: exitCode as number | undefined };
    expect(fieldsOf(inputProblems(input({ sandbox: run }), sandbox))).toEqual(
      ok ? [] : ['input.sandbox.exitCode'],
    );
  });

  it('reports every problem at once: spec first, then key, then sandbox', () => {
    const problems = inputProblems(
      {
        idempotencyKey: '',
        spec: spec({ vendors: ['acme'] }),
        sandbox: { runFor: 'forever', exitCode: 300 },
      },
      sandbox,
    );
    expect(fieldsOf(problems)).toEqual([
      'input.spec.accelerators.vendors[0]',
      'input.idempotencyKey',
      'input.sandbox.runFor',
      'input.sandbox.exitCode',
    ]);
  });
});
