import { AcceleratorPoolSpecSchema } from './accelerator-pool';
import { BUILTIN_VENDORS, DNS1035_LABEL, DNS1123_LABEL, celString, WORKLOAD_PHASES } from './fields';
import type { CelRule, JSONSchemaProps, Schema } from './schema';
import { SiteSpecSchema } from './site';
import { TenantSpecSchema } from './tenant';
import { workloadSpecSchema } from './workload';

export const GROUP = 'kentaur.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  priority?: number;
  description?: string;
}

interface KindDefinition {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  spec: Schema<unknown>;
  status: JSONSchemaProps;
  rootRules: CelRule[];
  columns: PrinterColumn[];
  description: string;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Status is written by the controller only; declared fields are the ones CEL rules and columns read. */
const openStatus = (properties: Record<string, JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties,
});

const nameRule = (pattern: string, maxLength: number, why: string): CelRule => ({
  rule: `self.metadata.name.size() <= ${maxLength} && self.metadata.name.matches(${celString(pattern)})`,
  // A root rule cannot point fieldPath at metadata (the API server refuses it), so the message names it.
  message: `metadata.name: must be at most ${maxLength} characters of lower-case letters, digits and '-', ${why}`,
});

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function workloadKind(vendors: readonly string[]): KindDefinition {
  return {
    kind: 'Workload',
    plural: 'workloads',
    shortNames: ['wl'],
    scope: 'Namespaced',
    description:
      'A vendor-neutral AI workload of one tenant: admitted by Kentaur onto an accelerator pool of any allowed vendor.',
    spec: workloadSpecSchema(vendors),
    status: openStatus({
      phase: { type: 'string', enum: [...WORKLOAD_PHASES] },
      admission: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    }),
    rootRules: [
      nameRule(
        DNS1035_LABEL,
        50,
        'starting with a letter: it names the Job, Deployment and Service created for the workload',
      ),
      {
        rule: '!has(oldSelf.status) || !has(oldSelf.status.admission) || (self.spec.accelerators == oldSelf.spec.accelerators && self.spec.template == oldSelf.spec.template)',
        message:
          'spec.accelerators and spec.template cannot change once the workload is admitted; cancel it and submit a new one',
      },
    ],
    columns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Vendor', type: 'string', jsonPath: '.status.admission.vendor' },
      { name: 'Pool', type: 'string', jsonPath: '.status.admission.pool' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      {
        name: 'Devices',
        type: 'integer',
        jsonPath: '.spec.accelerators.count',
        description: 'per replica',
      },
      { name: 'Reason', type: 'string', jsonPath: '.status.queue.reason', priority: 1 },
      age,
    ],
  };
}

function poolKind(): KindDefinition {
  return {
    kind: 'AcceleratorPool',
    plural: 'acceleratorpools',
    shortNames: ['ap', 'pools'],
    scope: 'Cluster',
    description: 'A set of identical accelerator nodes: one site, one vendor, one model.',
    spec: AcceleratorPoolSpecSchema,
    status: openStatus(),
    rootRules: [nameRule(DNS1123_LABEL, 63, 'e.g. dk-1-amd-mi300x')],
    columns: [
      { name: 'Site', type: 'string', jsonPath: '.spec.site' },
      { name: 'Vendor', type: 'string', jsonPath: '.spec.vendor' },
      { name: 'Model', type: 'string', jsonPath: '.spec.model' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.nodesReady' },
      { name: 'Allocated', type: 'integer', jsonPath: '.status.devices.allocated' },
      { name: 'Capacity', type: 'integer', jsonPath: '.status.devices.capacity' },
      { name: 'Cordoned', type: 'boolean', jsonPath: '.spec.cordoned' },
      age,
    ],
  };
}

function tenantKind(): KindDefinition {
  return {
    kind: 'Tenant',
    plural: 'tenants',
    shortNames: ['tn'],
    scope: 'Cluster',
    description:
      'An organisation using the factory: its tier, namespaces, quota in compute units and budget.',
    spec: TenantSpecSchema,
    status: openStatus(),
    rootRules: [nameRule(DNS1123_LABEL, 63, 'e.g. acme')],
    columns: [
      { name: 'Tier', type: 'string', jsonPath: '.spec.tier' },
      { name: 'Usage CU', type: 'number', jsonPath: '.status.usageCU' },
      { name: 'Guaranteed CU', type: 'number', jsonPath: '.spec.quota.guaranteedCU' },
      { name: 'Limit CU', type: 'number', jsonPath: '.spec.quota.limitCU' },
      age,
    ],
  };
}

function siteKind(): KindDefinition {
  return {
    kind: 'Site',
    plural: 'sites',
    shortNames: ['kst'],
    scope: 'Cluster',
    description:
      'A location with its own cluster (or this one), facility overhead and grid carbon intensity.',
    spec: SiteSpecSchema,
    status: openStatus(),
    rootRules: [nameRule(DNS1123_LABEL, 63, 'e.g. dk-1')],
    columns: [
      { name: 'Country', type: 'string', jsonPath: '.spec.country' },
      { name: 'PUE', type: 'number', jsonPath: '.spec.pue' },
      { name: 'gCO2e/kWh', type: 'number', jsonPath: '.spec.gridCarbonGramsPerKWh' },
      age,
    ],
  };
}

/** The definitions of the four kinds. `vendors` limits per-vendor image keys (built-in + configured). */
export function kindDefinitions(vendors: readonly string[] = BUILTIN_VENDORS): KindDefinition[] {
  return [workloadKind(vendors), poolKind(), tenantKind(), siteKind()];
}

function crdFor(def: KindDefinition): CustomResourceDefinition {
  const singular = def.kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'kentaur' } },
    spec: {
      group: GROUP,
      scope: def.scope,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular,
        shortNames: def.shortNames,
        categories: ['kentaur'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: def.spec.openapi(),
                status: def.status,
              },
              'x-kubernetes-validations': def.rootRules,
            },
          },
        },
      ],
    },
  };
}

/** The CRDs of kentaur.io, generated from the schemas; `vendors` adds configured vendors' image keys. */
export function customResourceDefinitions(
  opts: { vendors?: readonly string[] } = {},
): CustomResourceDefinition[] {
  const vendors = [...new Set([...BUILTIN_VENDORS, ...(opts.vendors ?? [])])];
  return kindDefinitions(vendors).map(crdFor);
}
