import {
  BUILTIN_VENDORS,
  dnsLabel,
  isPlainObject,
  POOL_CLASSES,
  PRECISIONS,
  RESERVED_ENV,
  s,
  type FieldError,
  type Precision,
} from '@kentaur/api';
import type { PoolClass } from '../catalog';

/** A model of a configured vendor; figures the operator does not know stay unset. */
export interface GenericModelConfig {
  name: string;
  memoryGB?: number;
  boardPowerW?: number;
  /** 1 CU = 1 PFLOP/s dense BF16. */
  computeUnits?: number;
  precisions?: Precision[];
  classes?: PoolClass[];
}

/**
 * A vendor added by configuration (Helm values), with no code: e.g. a European RISC-V accelerator
 * whose device plugin advertises `example.eu/npu`. Everything rendering needs is data here.
 */
export interface GenericVendorConfig {
  /** DNS-1123 label, not one of the built-in vendors. */
  vendor: string;
  /** Extended resource the device plugin advertises (`<domain>/<name>`). */
  resourceName: string;
  /** Labels that identify the vendor's nodes (all must match). */
  nodeSelector: Record<string, string>;
  /** Node label whose value names the model. */
  modelLabel?: string;
  /** Model for nodes that do not name one. */
  defaultModel?: string;
  /** Taint key on the vendor's nodes; default resourceName. */
  taintKey?: string;
  runtimeClassName?: string;
  env?: Record<string, string>;
  /** The variable the vendor's device plugin fills with the allocated devices (reported, never set). */
  visibleDevicesEnv?: string;
  torchDevice?: string;
  distBackend?: string;
  /** DRA DeviceClass, for pools with allocation: dra. */
  deviceClassName?: string;
  /** Groups owning the device nodes on the host. */
  supplementalGroups?: number[];
  models?: GenericModelConfig[];
}

/** Extended resources the built-in adapters own; a configured vendor may not take them over. */
export const BUILTIN_RESOURCES: readonly string[] = [
  'nvidia.com/gpu',
  'nvidia.com/gpu.shared',
  'amd.com/gpu',
  'gpu.intel.com/xe',
  'gpu.intel.com/i915',
  'habana.ai/gaudi',
  'tenstorrent.com/chip',
];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A qualified name such as a label key or taint key: optional `<dns-subdomain>/` prefix, then ≤ 63 chars. */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  return prefixOk && name.length <= 63 && NAME_PART.test(name);
}

function isExtendedResource(name: string): boolean {
  const [domain, resource, ...rest] = name.split('/');
  return rest.length === 0 && !!domain && !!resource && DNS_SUBDOMAIN.test(domain) && isQualifiedName(name);
}

// These schemas validate configuration locally and never become a CRD, so their rules need no CEL twin.
const qualifiedName = (what: string, example: string) =>
  s.string({ maxLength: 317, minLength: 1 }).rule({
    cel: 'true',
    message: `must be a ${what} such as ${example}: an optional DNS prefix and '/', then letters, digits, '-', '_' or '.'`,
    check: isQualifiedName,
  });

const modelSchema = s.object({
  name: s.string({ maxLength: 64, minLength: 1 }),
  memoryGB: s.optional(s.number({ minimum: 0, exclusiveMinimum: true, maximum: 4096 })),
  boardPowerW: s.optional(s.number({ minimum: 0, exclusiveMinimum: true, maximum: 10000 })),
  computeUnits: s.optional(s.number({ minimum: 0, exclusiveMinimum: true, maximum: 1000 })),
  precisions: s.optional(s.array(s.enum(PRECISIONS), { maxItems: PRECISIONS.length, listType: 'set' })),
  classes: s.optional(s.array(s.enum(POOL_CLASSES), { maxItems: 2, minItems: 1, listType: 'set' })),
});

const configSchema = s.object({
  vendor: dnsLabel('vendor name', 32).rule({
    cel: 'true',
    message: `is a built-in vendor (${BUILTIN_VENDORS.join(', ')}); choose another name for a configured vendor`,
    check: (v) => !(BUILTIN_VENDORS as readonly string[]).includes(v),
  }),
  resourceName: s.string({ maxLength: 317, minLength: 1 }).rule({
    cel: 'true',
    message: 'must be an extended resource name <domain>/<name>, e.g. example.eu/npu',
    check: isExtendedResource,
  }),
  nodeSelector: s.map(s.string({ maxLength: 63 }), { maxProperties: 16 }),
  modelLabel: s.optional(qualifiedName('label key', 'example.eu/npu.model')),
  defaultModel: s.optional(s.string({ maxLength: 64, minLength: 1 })),
  taintKey: s.optional(qualifiedName('taint key', 'example.eu/npu')),
  runtimeClassName: s.optional(dnsLabel('RuntimeClass name')),
  env: s.optional(s.map(s.string({ maxLength: 4096 }), { maxProperties: 32 })),
  visibleDevicesEnv: s.optional(s.string({ maxLength: 128, minLength: 1 })),
  torchDevice: s.optional(s.string({ maxLength: 32, minLength: 1 })),
  distBackend: s.optional(s.string({ maxLength: 32, minLength: 1 })),
  deviceClassName: s.optional(s.string({ maxLength: 253, minLength: 1 })),
  supplementalGroups: s.optional(s.array(s.int({ minimum: 1, maximum: 2147483647 }), { maxItems: 16 })),
  models: s.optional(s.array(modelSchema, { maxItems: 64 })),
});

const at = (path: string, field: string) => (path ? `${path}.${field}` : field);

function selectorErrors(config: GenericVendorConfig, path: string): FieldError[] {
  const field = at(path, 'nodeSelector');
  const keys = Object.keys(config.nodeSelector);
  if (!keys.length) {
    const example = "{feature.node.kubernetes.io/pci-1200_<vendor id>.present: 'true'}";
    return [
      { field, message: `must name at least one label that identifies the vendor's nodes, e.g. ${example}` },
    ];
  }
  return keys
    .filter((k) => !isQualifiedName(k))
    .map((k) => ({
      field: `${field}[${k}]`,
      message: 'is not a valid label key; use e.g. example.eu/npu.present',
    }));
}

function envErrors(config: GenericVendorConfig, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of Object.keys(config.env ?? {})) {
    const field = `${at(path, 'env')}[${name}]`;
    if (!C_IDENTIFIER.test(name))
      errors.push({ field, message: 'must be an environment variable name: letters, digits and _' });
    else if ((RESERVED_ENV as readonly string[]).includes(name) || name.endsWith('_VISIBLE_DEVICES')) {
      errors.push({
        field,
        message:
          'selects devices, which only the device plugin may do; remove it (name it in visibleDevicesEnv instead)',
      });
    }
  }
  const visible = config.visibleDevicesEnv;
  if (visible !== undefined && !C_IDENTIFIER.test(visible)) {
    errors.push({
      field: at(path, 'visibleDevicesEnv'),
      message: 'must be an environment variable name such as NPU_VISIBLE_DEVICES',
    });
  }
  return errors;
}

function resourceErrors(config: GenericVendorConfig, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (BUILTIN_RESOURCES.includes(config.resourceName)) {
    errors.push({
      field: at(path, 'resourceName'),
      message: 'belongs to a built-in vendor adapter; a configured vendor needs its own resource',
    });
  }
  if (config.deviceClassName !== undefined && !DNS_SUBDOMAIN.test(config.deviceClassName)) {
    errors.push({
      field: at(path, 'deviceClassName'),
      message: 'must be a DeviceClass name (DNS subdomain), e.g. npu.example.eu',
    });
  }
  return errors;
}

function modelErrors(config: GenericVendorConfig, path: string): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  (config.models ?? []).forEach((m, i) => {
    const key = m.name.toLowerCase();
    if (seen.has(key))
      errors.push({
        field: `${at(path, 'models')}[${i}].name`,
        message: `"${m.name}" is listed twice; list each model once`,
      });
    seen.add(key);
  });
  return errors;
}

/**
 * Validates a configured vendor (e.g. one entry of the Helm values' generic vendors). Every error
 * names its field (under `path`) and how to fix it; `config` is set only when there are none.
 */
export function parseGenericVendorConfig(
  raw: unknown,
  path = '',
): { config?: GenericVendorConfig; errors: FieldError[] } {
  if (!isPlainObject(raw))
    return {
      errors: [{ field: path, message: 'must be an object with vendor, resourceName and nodeSelector' }],
    };
  const errors: FieldError[] = [];
  configSchema.validate(raw, path, errors);
  if (errors.length) return { errors };
  const config = structuredClone(raw) as unknown as GenericVendorConfig;
  const more = [
    ...selectorErrors(config, path),
    ...envErrors(config, path),
    ...resourceErrors(config, path),
    ...modelErrors(config, path),
  ];
  return more.length ? { errors: more } : { config, errors: [] };
}
