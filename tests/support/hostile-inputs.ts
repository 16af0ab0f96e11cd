// Generators of hostile GraphQL and Workload inputs for tests/chaos/hostile-input.test.ts: a valid
// workload spec, and one mutation that makes it invalid at a known field (or leaves it valid but
// strange). Spec paths are relative (`accelerators.count`); the test roots them (`input.spec.…`,
// `spec.…`).
import fc from 'fast-check';

/** What one generated case must do: be accepted, be refused naming `field`, or either. */
export type Verdict = 'valid' | 'invalid' | 'any';

export interface Mutation {
  /** Path of the field made invalid, relative to the spec (or `name`/`idempotencyKey` at the root). */
  field: string;
  verdict: Verdict;
  describe: string;
  apply(target: Record<string, unknown>): void;
}

/** A key the JSON encoder must keep as an own property (`__proto__` in a literal sets the prototype). */
export function ownKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function at(target: Record<string, unknown>, path: string): { parent: Record<string, unknown>; key: string } {
  const parts = path.split('.');
  let parent = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof parent[part] !== 'object' || parent[part] === null) parent[part] = {};
    parent = parent[part] as Record<string, unknown>;
  }
  return { parent, key: parts.at(-1)! };
}

const set =
  (path: string, value: unknown) =>
  (target: Record<string, unknown>): void => {
    const { parent, key } = at(target, path);
    ownKey(parent, key, value);
  };
const remove =
  (path: string) =>
  (target: Record<string, unknown>): void => {
    const { parent, key } = at(target, path);
    delete parent[key];
  };

const IMAGE = 'registry.example/acme/train:1.4';
export const VENDORS = ['amd', 'intel', 'nvidia', 'tenstorrent'] as const;

/** A valid spec in the GraphQL input's shape (images as a list); `toCrdSpec` gives the CRD's. */
export const validSpec = fc.record(
  {
    kind: fc.constantFrom('Batch', 'Service'),
    replicas: fc.integer({ min: 1, max: 4 }),
    maxDuration: fc.constantFrom('30m', '1h', '6h', '1h30m', '720h'),
    priorityClass: fc.constantFrom('standard', 'preemptible', 'public-interest'),
    accelerators: fc.record(
      {
        count: fc.integer({ min: 1, max: 8 }),
        class: fc.constantFrom('training', 'inference', 'any'),
        minMemoryGB: fc.constantFrom(16, 40, 80, 192),
        precisions: fc.subarray(['fp32', 'bf16', 'fp16', 'fp8'], { minLength: 1 }),
      },
      { requiredKeys: ['count'] },
    ),
    template: fc.record(
      {
        image: fc.constant(IMAGE),
        command: fc.array(fc.string({ maxLength: 64 }), { maxLength: 4 }),
        args: fc.array(fc.string({ unit: 'binary', maxLength: 64 }), { maxLength: 4 }),
        env: fc.array(
          fc.record({
            name: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/).filter((n) => !n.endsWith('_VISIBLE_DEVICES')),
            value: fc.string({ unit: 'grapheme', maxLength: 64 }),
          }),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: ['image'] },
    ),
    budgetEUR: fc.double({ min: 1, max: 1e6, noNaN: true }),
    placement: fc.record({ optimizeFor: fc.constantFrom('balanced', 'cost', 'energy', 'time') }),
  },
  { requiredKeys: ['kind', 'accelerators', 'template', 'maxDuration'] },
);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const validKey = (v: unknown) =>
  typeof v === 'string' && v.length >= 1 && v.length <= 256 && !/[\p{Cc}\p{Cf}]/u.test(v);

/** Bounds of the numeric fields (int: a GraphQL Int); null is valid where the field is optional. */
const NUMBER_FIELDS: Record<string, { min: number; max: number; int: boolean; optional: boolean }> = {
  'accelerators.count': { min: 1, max: 64, int: true, optional: false },
  replicas: { min: 1, max: 256, int: true, optional: true },
  'accelerators.minMemoryGB': { min: Number.MIN_VALUE, max: 4096, int: false, optional: true },
  budgetEUR: { min: Number.MIN_VALUE, max: 1e9, int: false, optional: true },
};

function numberVerdict(field: string, value: unknown): Verdict {
  const bounds = NUMBER_FIELDS[field]!;
  if (value === null) return bounds.optional ? 'valid' : 'invalid';
  if (typeof value !== 'number' || (bounds.int && !Number.isInteger(value))) return 'invalid';
  return value >= bounds.min && value <= bounds.max ? 'valid' : 'invalid';
}

/** Numbers and number-like text that no count, size or price may be. */
const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, -2147483648, 2147483648, 1e21, Number.MAX_SAFE_INTEGER, 1.5, -0.5),
  fc.constantFrom('1e400', '-1e400', 'NaN', 'Infinity', '0x10', '', '1', ' 1'),
  fc.constantFrom(null, true, [], {}, [1]),
);
/** Strings that no name, image, duration or enum value may be. */
const hostileText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'a b',
    '../../etc/passwd',
    'A_B',
    '\u0000',
    'x\r\nInjected: 1',
    '${HOME}',
    '\u202e',
    '__proto__',
    'constructor',
    '1e400',
    'ǅ',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }).map((s) => `${s} \u0000`),
  fc.integer({ min: 600, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(7, true, {}, ['a']),
);
/** Keys an attacker adds to any object. */
const extraKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'namespace', 'privileged', 'x');

const OBJECTS = ['', 'accelerators', 'template', 'placement'] as const;
const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);

/** One mutation making a valid spec invalid at a known field, in the GraphQL input's shape. */
export const invalidSpecMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('accelerators.count', 'replicas', 'accelerators.minMemoryGB', 'budgetEUR'),
      hostileNumber,
    )
    .map(([field, value]) => ({
      field,
      verdict: numberVerdict(field, value),
      describe: `${field} = ${JSON.stringify(value)}`,
      apply: set(field, value),
    })),
  fc
    .tuple(
      fc.constantFrom(
        'kind',
        'maxDuration',
        'priorityClass',
        'template.image',
        'accelerators.class',
        'placement.optimizeFor',
      ),
      hostileText,
    )
    .map(([field, value]) => ({
      field,
      // A bare lower-case word ("constructor", "1e400") is a valid image reference.
      verdict:
        field === 'template.image' && typeof value === 'string' && /^[a-z0-9]+$/.test(value)
          ? ('any' as const)
          : ('invalid' as const),
      describe: `${field} = ${JSON.stringify(value).slice(0, 60)}`,
      apply: set(field, value),
    })),
  fc
    .tuple(
      fc.constantFrom('accelerators.vendors', 'accelerators.precisions', 'placement.sites'),
      hostileText.filter((v) => typeof v === 'string' && v !== 'ǅ'),
    )
    .map(([field, value]) => ({
      field,
      // Sites are not checked against the fleet: any DNS label is a valid (if unknown) site.
      verdict:
        field === 'placement.sites' && typeof value === 'string' && DNS_LABEL.test(value)
          ? ('any' as const)
          : ('invalid' as const),
      describe: `${field} = [${JSON.stringify(value).slice(0, 60)}]`,
      apply: set(field, [value]),
    })),
  fc
    .constantFrom(
      { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
      { name: '1ABC', value: 'x' },
      { name: 'A=B', value: 'x' },
      { name: 'É', value: 'x' },
      { name: 'A', value: 'x'.repeat(5000) },
      { name: 'A', value: 7 },
      { name: 'A' },
    )
    .map((env) => ({
      field: 'template.env',
      verdict: 'invalid' as const,
      describe: `template.env = [${JSON.stringify(env).slice(0, 60)}]`,
      apply: set('template.env', [env]),
    })),
  fc
    .constantFrom('kind', 'accelerators', 'template', 'accelerators.count', 'maxDuration', 'template.image')
    .map((field) => ({
      field,
      // A Service needs no maxDuration.
      verdict: field === 'maxDuration' ? ('any' as const) : ('invalid' as const),
      describe: `${field} missing`,
      apply: remove(field),
    })),
  fc
    .tuple(fc.constantFrom(...OBJECTS), extraKey, fc.jsonValue({ maxDepth: 2 }))
    .map(([parent, key, value]) => ({
      field: parent,
      verdict: 'invalid' as const,
      describe: `extra field ${join(parent, key)}`,
      apply: (target: Record<string, unknown>) =>
        ownKey(parent ? at(target, `${parent}.x`).parent : target, key, value),
    })),
  fc.constantFrom('accelerators', 'template').map((field) => ({
    field,
    verdict: 'invalid' as const,
    describe: `${field} is a list`,
    apply: set(field, [{ count: 1 }]),
  })),
);

/** Strange but possibly valid: any verdict is right, as long as it is consistent and clean. */
export const oddSpecMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 4096 }).map((arg) => ({
    field: 'template.args',
    verdict: 'any' as const,
    describe: `an argument of ${arg.length} code points`,
    apply: set('template.args', [arg]),
  })),
  fc
    .tuple(fc.constantFrom('template.cpu', 'template.memory'), fc.oneof(hostileText, hostileNumber))
    .map(([field, value]) => ({
      field,
      verdict: 'any' as const,
      describe: `${field} = ${JSON.stringify(value).slice(0, 60)}`,
      apply: set(field, value),
    })),
  fc.array(fc.constantFrom(...VENDORS, 'acme', 'NVIDIA', 'amd'), { minLength: 1, maxLength: 6 }).map((v) => ({
    field: 'accelerators.vendors',
    verdict: 'any' as const,
    describe: `vendors ${JSON.stringify(v)}`,
    apply: set('accelerators.vendors', v),
  })),
);

/** Root-level fields of SubmitWorkloadInput. */
export const invalidRootMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('name', 'idempotencyKey'),
      fc.oneof(
        hostileText.filter((v) => v !== '__proto__' && v !== 'constructor' && v !== 'ǅ'),
        fc.constantFrom('retry\u0000', 'k'.repeat(300), '9lives', 'UPPER', 'a'.repeat(51), ''),
      ),
    )
    // A hostile idempotency key that is only long or odd (not control, not empty) can be valid.
    .map(([field, value]) => ({
      field,
      verdict: field === 'idempotencyKey' && validKey(value) ? ('any' as const) : ('invalid' as const),
      describe: `${field} = ${JSON.stringify(value).slice(0, 60)}`,
      apply: set(field, value),
    })),
  fc.tuple(extraKey, fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => ({
    field: '',
    verdict: 'invalid' as const,
    describe: `extra field ${key} on the input`,
    apply: (target: Record<string, unknown>) => ownKey(target, key, value),
  })),
  fc
    .constantFrom({ runFor: 'forever' }, { runFor: '1s', exitCode: 300 }, { exitCode: 1 }, 'x')
    .map((sandbox) => ({
      field: 'sandbox',
      verdict: 'invalid' as const,
      describe: `sandbox = ${JSON.stringify(sandbox)}`,
      apply: set('sandbox', sandbox),
    })),
);

/** The CRD's spec from the GraphQL input's spec (they differ only in images, a map in the CRD). */
export function toCrdSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const template = spec.template as Record<string, unknown> | undefined;
  if (!template || !Array.isArray(template.images)) return spec;
  const images = Object.fromEntries(
    (template.images as { vendor: string; image: string }[]).map((i) => [i.vendor, i.image]),
  );
  return { ...spec, template: { ...template, images } };
}

/** Deep copy that keeps own `__proto__` keys (structuredClone and spreads would not). */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Whether an error's field is about the mutated one: the same, an enclosing object (graphql names
 * the object when a field is missing or unknown), or a part of it (`template.env[0].name`).
 */
export function sameField(reported: string, expected: string): boolean {
  if (reported === expected) return true;
  const within = (inner: string, outer: string) =>
    inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  return within(expected, reported) || within(reported, expected);
}
