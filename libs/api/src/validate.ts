import { AcceleratorPoolSpecSchema } from './accelerator-pool';
import { BUILTIN_VENDORS, DNS1035_LABEL, DNS1123_LABEL, isPlainObject } from './fields';
import type { FieldError, Schema } from './schema';
import { SiteSpecSchema } from './site';
import { TenantSpecSchema } from './tenant';
import { workloadSpecSchema } from './workload';

export type KentaurKind = 'Workload' | 'AcceleratorPool' | 'Tenant' | 'Site';

function nameErrors(kind: KentaurKind, name: unknown): FieldError[] {
  const [pattern, max] = kind === 'Workload' ? [DNS1035_LABEL, 50] : [DNS1123_LABEL, 63];
  if (typeof name === 'string' && name.length <= max && new RegExp(pattern).test(name)) return [];
  const why = kind === 'Workload' ? ', starting with a letter' : '';
  return [
    {
      field: 'metadata.name',
      message: `must be at most ${max} characters of lower-case letters, digits and '-'${why}`,
    },
  ];
}

/**
 * Validates an object of one of Kentaur's kinds with the same rules as its CRD, locally: every error
 * with its field path and how to fix it. An empty list means the API server will accept the spec.
 */
export function validateResource(
  kind: KentaurKind,
  obj: unknown,
  opts: { vendors?: readonly string[] } = {},
): FieldError[] {
  if (!isPlainObject(obj)) return [{ field: '', message: `must be a ${kind} object` }];
  const vendors = [...new Set([...BUILTIN_VENDORS, ...(opts.vendors ?? [])])];
  const schemas: Record<KentaurKind, Schema<unknown>> = {
    Workload: workloadSpecSchema(vendors),
    AcceleratorPool: AcceleratorPoolSpecSchema,
    Tenant: TenantSpecSchema,
    Site: SiteSpecSchema,
  };
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : {};
  const errors = nameErrors(kind, metadata.name);
  if (obj.spec === undefined) errors.push({ field: 'spec', message: 'required' });
  else schemas[kind].validate(obj.spec, 'spec', errors);
  return errors;
}
