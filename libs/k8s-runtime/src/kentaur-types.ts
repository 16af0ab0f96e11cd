import type { ResourceType } from './resource-types';

const kentaur = (kind: string, plural: string, namespaced: boolean): ResourceType => ({
  group: 'kentaur.io',
  version: 'v1alpha1',
  kind,
  plural,
  namespaced,
});

export const Workloads = kentaur('Workload', 'workloads', true);
export const AcceleratorPools = kentaur('AcceleratorPool', 'acceleratorpools', false);
export const Tenants = kentaur('Tenant', 'tenants', false);
export const Sites = kentaur('Site', 'sites', false);
