import { ADMITTED_PRIORITY_CLASS } from '@kentaur/api';
import type { LimitRange, Namespace, ResourceQuota } from 'kubernetes-types/core/v1';
import type { NetworkPolicy, NetworkPolicyPeer } from 'kubernetes-types/networking/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { AcceleratorPool, Tenant } from '@kentaur/api';
import {
  apiVersionOf,
  type KubeObject,
  LimitRanges,
  Namespaces,
  ResourceQuotas,
  type ResourceType,
} from '@kentaur/k8s-runtime';
import type { VendorRegistry } from '@kentaur/vendors';
import { TENANT_LABEL, WORKLOAD_LABEL } from '@kentaur/api';
import { NetworkPolicies, PriorityClasses } from './resource-types';

// The namespace kit: what every namespace of a tenant gets so that it is safe by default: Pod
// Security "restricted", no accelerator devices except through Kentaur, container defaults and
// default-deny networking. Pure: the reconciler applies what these functions return.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kentaur';
export { TENANT_LABEL };

/**
 * Kentaur-rendered pods carry `priorityClassName: kentaur-admitted`; the vendor quota of a kit
 * namespace covers every pod WITHOUT it, so devices can only be had through an admission.
 */
export { ADMITTED_PRIORITY_CLASS };
export const VENDOR_QUOTA = 'kentaur-vendor-resources';
export const CONTAINER_DEFAULTS = 'kentaur-defaults';
export const DEFAULT_DENY_POLICY = 'kentaur-default-deny';
export const ALLOW_DNS_POLICY = 'kentaur-allow-dns';
export const ALLOW_SAME_WORKLOAD_POLICY = 'kentaur-allow-same-workload';

/** Device resources of the built-in vendors' device plugins, quota'd even before a pool shows them. */
export const BUILTIN_ACCELERATOR_RESOURCES: readonly string[] = [
  'nvidia.com/gpu',
  'amd.com/gpu',
  'gpu.intel.com/i915',
  'gpu.intel.com/xe',
  'habana.ai/gaudi',
  'tenstorrent.com/chip',
];

/**
 * Defaults for containers that state no cpu or memory (a LimitRange fills in only what is missing).
 * Kentaur-rendered pods get them too when the Workload's template leaves cpu or memory unset. A
 * container that states a request above the default limit but no limit of its own is refused:
 * state both, or neither.
 */
export interface ContainerDefaults {
  request: { cpu: string; memory: string };
  limit: { cpu: string; memory: string };
}

export const DEFAULT_CONTAINER_RESOURCES: ContainerDefaults = {
  request: { cpu: '1', memory: '2Gi' },
  limit: { cpu: '4', memory: '8Gi' },
};

/**
 * One object to apply. `force` is true only for objects Kentaur owns by name: a Namespace may have
 * been created and labelled by someone else, and an admin's explicit label wins over Kentaur's.
 */
export interface KitObject {
  readonly type: ResourceType;
  readonly object: KubeObject;
  readonly force: boolean;
}

export interface NamespaceKitInput {
  tenant: Pick<Tenant, 'metadata'>;
  namespace: string;
  /** Extended resource names to quota at zero (see acceleratorResourceNames). */
  resourceNames: readonly string[];
  containerDefaults?: ContainerDefaults;
}

/** The kit of one tenant namespace, in the order it is applied (the Namespace first). */
export function namespaceKit(input: NamespaceKitInput): KitObject[] {
  const tenant = input.tenant.metadata.name!;
  const { namespace } = input;
  return [
    { type: Namespaces, object: namespaceObject(tenant, namespace), force: false },
    { type: ResourceQuotas, object: vendorQuota(tenant, namespace, input.resourceNames), force: true },
    {
      type: LimitRanges,
      object: containerDefaults(tenant, namespace, input.containerDefaults ?? DEFAULT_CONTAINER_RESOURCES),
      force: true,
    },
    ...networkPolicies(tenant, namespace).map((object) => ({ type: NetworkPolicies, object, force: true })),
  ];
}

export function kitLabels(tenant: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [TENANT_LABEL]: tenant };
}

function meta(type: ResourceType, name: string, tenant: string, namespace?: string) {
  return {
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    metadata: { name, ...(namespace ? { namespace } : {}), labels: kitLabels(tenant) },
  };
}

/**
 * Only the labels Kentaur needs on the Namespace: not `app.kubernetes.io/managed-by`, because the
 * namespace may be someone else's (Helm claims namespaces with managed-by: Helm, and the two values
 * would conflict) and Kentaur never deletes it.
 */
export function namespaceObject(tenant: string, name: string): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        [TENANT_LABEL]: tenant,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  };
}

/**
 * Zero devices for every pod that Kentaur did not admit. Extended resources can only be quota'd as
 * `requests.<name>` (their requests always equal their limits). The scope selector leaves out pods of
 * the `kentaur-admitted` PriorityClass: the quota cannot tell who creates a pod (Jobs' pods are created
 * by the job controller, not by Kentaur), but it can tell a pod's priority class.
 */
export function vendorQuota(
  tenant: string,
  namespace: string,
  resourceNames: readonly string[],
): ResourceQuota {
  const hard = Object.fromEntries(resourceNames.map((r) => [`requests.${r}`, '0']));
  return {
    ...meta(ResourceQuotas, VENDOR_QUOTA, tenant, namespace),
    spec: {
      hard,
      scopeSelector: {
        matchExpressions: [
          { scopeName: 'PriorityClass', operator: 'NotIn', values: [ADMITTED_PRIORITY_CLASS] },
        ],
      },
    },
  } as ResourceQuota;
}

export function containerDefaults(tenant: string, namespace: string, d: ContainerDefaults): LimitRange {
  return {
    ...meta(LimitRanges, CONTAINER_DEFAULTS, tenant, namespace),
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: d.request.cpu, memory: d.request.memory },
          default: { cpu: d.limit.cpu, memory: d.limit.memory },
        },
      ],
    },
  } as LimitRange;
}

/**
 * Pods of Kentaur workloads: matches any workload, not only the same one. A NetworkPolicy cannot
 * say "the same label value as the selected pod", so "same workload" would take one policy per
 * workload (created and removed with it). One policy for all is the trade-off: the workloads of one
 * namespace (one tenant) may reach each other, which gang rendezvous needs anyway, while pods that
 * are not Kentaur workloads and everything outside the namespace stay denied.
 */
const anyWorkload = { matchExpressions: [{ key: WORKLOAD_LABEL, operator: 'Exists' }] };

/** Cluster DNS, by the labels kube-dns and CoreDNS deployments carry in kube-system. */
const clusterDns: NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

/**
 * Default deny in both directions, then only DNS and traffic between workload pods. Egress to the
 * internet (datasets, model hubs) and ingress to Service workloads from outside the namespace are
 * denied too: opening them is a per-installation decision (an extra policy by the admin).
 */
export function networkPolicies(tenant: string, namespace: string): NetworkPolicy[] {
  const policy = (name: string, spec: NetworkPolicy['spec']): NetworkPolicy =>
    ({ ...meta(NetworkPolicies, name, tenant, namespace), spec }) as NetworkPolicy;
  return [
    policy(DEFAULT_DENY_POLICY, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy(ALLOW_DNS_POLICY, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [clusterDns],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    }),
    policy(ALLOW_SAME_WORKLOAD_POLICY, {
      podSelector: anyWorkload,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: anyWorkload }] }],
      egress: [{ to: [{ podSelector: anyWorkload }] }],
    }),
  ];
}

/**
 * The cluster-scoped PriorityClass of Kentaur-rendered pods; never the global default (other pods
 * must not get it). preemptionPolicy Never: Kentaur's own admission decides preemption;
 * kube-scheduler must not evict other pods for them.
 */
export function admittedPriorityClass(): KitObject {
  const object: PriorityClass = {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: ADMITTED_PRIORITY_CLASS, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    value: 1000,
    // globalDefault stays unset, which is false: the API server omits a false value, and a field set
    // here that never comes back would make every resync see a difference and apply again.
    preemptionPolicy: 'Never',
    description:
      'Pods Kentaur admitted. Tenant namespaces quota accelerator devices at zero for every other pod.',
  };
  return { type: PriorityClasses, object, force: true };
}

/**
 * `example.com/name`, outside kubernetes.io: the form of an extended resource. A name the API server
 * would refuse in a quota would make the whole quota fail, so anything else is left out.
 */
const EXTENDED_RESOURCE =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function isExtendedResource(name: string): boolean {
  const domain = name.split('/')[0]!;
  return EXTENDED_RESOURCE.test(name) && domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

/**
 * Every device resource a tenant could ask for directly: the built-in list, every resource the
 * vendor adapters know (partitions and MIG profiles included), and every pool's resourceName (pools
 * of configured vendors). Sorted, so the quota does not change with cache order.
 */
export function acceleratorResourceNames(o: {
  pools: readonly Pick<AcceleratorPool, 'spec'>[];
  registry?: Pick<VendorRegistry, 'vendors' | 'adapter'>;
}): string[] {
  const fromRegistry = o.registry?.vendors().flatMap((v) => o.registry!.adapter(v).resourceNames) ?? [];
  const fromPools = o.pools.map((p) => p.spec.resourceName ?? '');
  const all = [...BUILTIN_ACCELERATOR_RESOURCES, ...fromRegistry, ...fromPools];
  return [...new Set(all.filter(isExtendedResource))].sort();
}

/**
 * Which tenant each namespace belongs to. Two tenants listing one namespace would make Kentaur
 * relabel it back and forth; the older tenant keeps it (then the lower name) and the other is told.
 */
export function namespaceOwners(tenants: readonly Pick<Tenant, 'metadata' | 'spec'>[]): Map<string, string> {
  const ordered = [...tenants].sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      a.metadata.name!.localeCompare(b.metadata.name!),
  );
  const owners = new Map<string, string>();
  for (const t of ordered) {
    if (t.metadata.deletionTimestamp) continue;
    for (const ns of t.spec.namespaces) if (!owners.has(ns)) owners.set(ns, t.metadata.name!);
  }
  return owners;
}

// contains/isApplied moved to @kentaur/k8s-runtime (pools use them too); re-exported for this module.
export { contains, isApplied } from '@kentaur/k8s-runtime';

const LABEL_FIELD = '.metadata.labels.';

/** Label keys a server-side apply conflict names (its causes' fields read `.metadata.labels.<key>`). */
export function conflictingLabels(causes: readonly { field?: string }[]): string[] {
  return causes
    .map((c) => c.field ?? '')
    .filter((f) => f.startsWith(LABEL_FIELD))
    .map((f) => f.slice(LABEL_FIELD.length));
}

/** The kit object without some of its labels (those another manager holds with other values). */
export function withoutLabels(k: KitObject, keys: readonly string[]): KitObject {
  const labels = Object.fromEntries(
    Object.entries(k.object.metadata?.labels ?? {}).filter(([key]) => !keys.includes(key)),
  );
  return { ...k, object: { ...k.object, metadata: { ...k.object.metadata, labels } } };
}
