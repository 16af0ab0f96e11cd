/** Where a kind lives in the API: enough to build its REST paths. */
export interface ResourceType {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const core = (kind: string, plural: string, namespaced = true): ResourceType => ({
  group: '',
  version: 'v1',
  kind,
  plural,
  namespaced,
});

export const Namespaces = core('Namespace', 'namespaces', false);
export const Nodes = core('Node', 'nodes', false);
export const Pods = core('Pod', 'pods');
export const Services = core('Service', 'services');
export const Secrets = core('Secret', 'secrets');
export const ConfigMaps = core('ConfigMap', 'configmaps');
export const Events = core('Event', 'events');
export const ServiceAccounts = core('ServiceAccount', 'serviceaccounts');
export const ResourceQuotas = core('ResourceQuota', 'resourcequotas');
export const LimitRanges = core('LimitRange', 'limitranges');
export const Jobs: ResourceType = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
};
export const Deployments: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
};
export const Leases: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};
export const CustomResourceDefinitions: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};

/** `apps/v1`, or `v1` for the core group: the apiVersion field of an object of this type. */
export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}
