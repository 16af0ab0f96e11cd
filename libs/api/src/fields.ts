import { isPlainObject, s, Schema, type FieldError, type JSONSchemaProps } from './schema';

/** The vendors Kentaur ships adapters for. More can be declared by configuration (generic adapter). */
export const BUILTIN_VENDORS = ['nvidia', 'amd', 'intel', 'tenstorrent'] as const;
export type BuiltinVendor = (typeof BUILTIN_VENDORS)[number];
export type VendorName = string;

export const PRIORITY_CLASSES = ['emergency', 'public-interest', 'standard', 'preemptible'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];
export const WORKLOAD_CLASSES = ['training', 'inference', 'any'] as const;
export const POOL_CLASSES = ['training', 'inference'] as const;
export const PRECISIONS = ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'fp6', 'fp4', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];
export const TIERS = ['public-interest', 'research', 'public-sector', 'sme', 'commercial'] as const;
export type Tier = (typeof TIERS)[number];
export const OPTIMIZE_FOR = ['balanced', 'cost', 'energy', 'time'] as const;
export const WORKLOAD_PHASES = [
  'Pending',
  'Queued',
  'Admitted',
  'Running',
  'Succeeded',
  'Failed',
  'Preempted',
  'Cancelled',
] as const;
export type WorkloadPhase = (typeof WORKLOAD_PHASES)[number];

// Regular expressions shared by CEL (RE2) and JavaScript: written so both read them the same way.
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS1035_LABEL = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
const QUANTITY = '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$';
// A container image reference as distribution/reference (containerd, Docker) parses it: an optional
// registry host (and port), lower-case repository path components, an optional tag and digest. A
// reference the runtime would refuse (`A_B`, `a//b`, `x:`) is refused here, naming the field, instead
// of failing every pod later with InvalidImageName. The same text is an RE2 (CEL) and a JS pattern.
const IMAGE_HOST =
  '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?';
const IMAGE_PATH = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_TAG = ':[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}';
const IMAGE_DIGEST = '@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE = `^(?:${IMAGE_HOST}/)?${IMAGE_PATH}(?:/${IMAGE_PATH})*(?:${IMAGE_TAG})?(?:${IMAGE_DIGEST})?$`;
const C_IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_]*$';
const COUNTRY = '^[A-Z]{2}$';

const re = (pattern: string) => new RegExp(pattern);
const celString = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const celList = (values: readonly string[]) => `[${values.map(celString).join(', ')}]`;

/** A DNS-1123 label: names of vendors, sites, namespaces, tenants. */
export function dnsLabel(what: string, maxLength = 63) {
  return s.string({ maxLength, minLength: 1 }).rule({
    cel: `self.matches(${celString(DNS1123_LABEL)})`,
    message: `must be a valid ${what}: lower-case letters, digits and '-', starting and ending with a letter or digit`,
    check: (v) => re(DNS1123_LABEL).test(v),
  });
}

/** Parses a Go/Kubernetes duration ("6h", "1h30m", "90s") to seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!re(DURATION).test(text)) return undefined;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/** A duration string with an upper bound, e.g. maxDuration: 6h. */
export function duration(max: string) {
  const maxSeconds = parseDuration(max)!;
  return s.string({ maxLength: 32, minLength: 1 }).rule({
    cel: `self.matches(${celString(DURATION)}) && duration(self) > duration('0s') && duration(self) <= duration(${celString(max)})`,
    message: `must be a duration such as 30m, 6h or 1h30m, greater than 0 and at most ${max}`,
    check: (v) => {
      const secs = parseDuration(v);
      return secs !== undefined && secs > 0 && secs <= maxSeconds;
    },
  });
}

const QUANTITY_SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The value of a Kubernetes quantity ("500m" → 0.5, "2Gi" → 2147483648, "1e400" → Infinity), or
 * undefined when the text is not one. A double: exact enough to compare against a bound.
 */
export function quantityValue(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v.length > 32 || !re(QUANTITY).test(v)) return undefined;
  const m = /^([0-9.]+)(?:[eE]([-+]?[0-9]+)|([a-zA-Z]+))?$/.exec(v)!;
  const factor = m[2] !== undefined ? 10 ** Number(m[2]) : m[3] ? QUANTITY_SUFFIX[m[3]]! : 1;
  return Number(m[1]) * factor;
}

/**
 * A Kubernetes resource quantity, as a string ("32", "512Gi", "500m") or a whole number, greater
 * than 0 and at most `max` (a quantity, e.g. "1024" or "16Ti"): an unbounded size ("1e400") would
 * be admitted and then refused by the API server when the pod is created, or request a node that
 * cannot exist.
 */
export class QuantitySchema extends Schema<string | number> {
  private readonly maxValue: number;
  private readonly message: string;

  constructor(private readonly o: { max: string; example: string }) {
    super();
    this.maxValue = quantityValue(o.max)!;
    this.message = `must be a Kubernetes quantity greater than 0 and at most ${o.max}, such as "${o.example}"`;
  }

  openapi(): JSONSchemaProps {
    const max = celString(this.o.max);
    return this.withCommon({
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      // The format test comes first so that quantity() only ever sees a quantity (the CEL
      // quantity library of Kubernetes >= 1.29 compares them exactly, suffixes included).
      'x-kubernetes-validations': [
        {
          rule:
            `type(self) == int ? (self > 0 && quantity(string(self)).compareTo(quantity(${max})) <= 0) : ` +
            `(self.size() <= 32 && self.matches(${celString(QUANTITY)}) && isQuantity(self) && ` +
            `quantity(self).isGreaterThan(quantity('0')) && quantity(self).compareTo(quantity(${max})) <= 0)`,
          message: this.message,
        },
      ],
    });
  }

  protected checkType(v: unknown, path: string, errors: FieldError[]): v is string | number {
    const value =
      (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string' ? quantityValue(v) : undefined;
    const ok = value !== undefined && value > 0 && value <= this.maxValue;
    if (!ok) errors.push({ field: path, message: this.message });
    return ok;
  }
}

/** A quantity with an upper bound; `example` is shown in the error message. */
export const quantity = (o: { max: string; example: string }) => new QuantitySchema(o);

export function image() {
  return s.string({ maxLength: 512, minLength: 1 }).rule({
    cel: `self.matches(${celString(IMAGE)})`,
    message:
      'must be a container image reference such as registry.example/team/train:1.4: an optional registry host, a lower-case repository path, an optional :tag and @digest, no spaces',
    check: (v) => re(IMAGE).test(v),
  });
}

export function countryCode() {
  return s.string({ maxLength: 2, minLength: 2 }).rule({
    cel: `self.matches(${celString(COUNTRY)})`,
    message: 'must be an ISO 3166-1 alpha-2 country code in capitals, e.g. DK',
    check: (v) => re(COUNTRY).test(v),
  });
}

/**
 * Environment variables that select devices are set by the vendor adapter from what was admitted;
 * a tenant setting them could reach devices it was not given.
 */
export const RESERVED_ENV = [
  'NVIDIA_VISIBLE_DEVICES',
  'CUDA_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'HIP_VISIBLE_DEVICES',
  'ZE_AFFINITY_MASK',
  'ONEAPI_DEVICE_SELECTOR',
  'HABANA_VISIBLE_DEVICES',
  'HABANA_VISIBLE_MODULES',
  'HL_VISIBLE_DEVICES',
  'TT_VISIBLE_DEVICES',
] as const;

export function envVar() {
  return s
    .object({
      name: s.string({ maxLength: 128, minLength: 1 }).rule({
        cel: `self.matches(${celString(C_IDENTIFIER)})`,
        message: 'must be an environment variable name: letters, digits and _, not starting with a digit',
        check: (v) => re(C_IDENTIFIER).test(v),
      }),
      value: s.optional(s.string({ maxLength: 4096 })),
    })
    .rule({
      cel: `!(self.name in ${celList(RESERVED_ENV)}) && !self.name.endsWith('_VISIBLE_DEVICES')`,
      fieldPath: '.name',
      message:
        'is set by Kentaur from the admitted devices (device-selection variables cannot be set by a workload); remove it',
      check: (v) =>
        !(RESERVED_ENV as readonly string[]).includes(v.name) && !v.name.endsWith('_VISIBLE_DEVICES'),
    });
}

/** Keys of a map limited to a list (e.g. per-vendor images keyed by known vendors). */
export function keysIn<T>(values: readonly string[], what: string) {
  return {
    cel: `self.all(k, k in ${celList(values)})`,
    message: `keys must be ${what}: ${values.join(', ')}`,
    check: (v: Record<string, T>) => Object.keys(v).every((k) => values.includes(k)),
  };
}

export { celList, celString, isPlainObject };
