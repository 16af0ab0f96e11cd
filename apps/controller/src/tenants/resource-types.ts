import type { ResourceType } from '@kentaur/k8s-runtime';

// Kinds only the tenant kit writes; kept here until another part of Kentaur needs them too.

export const NetworkPolicies: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  namespaced: true,
};

export const PriorityClasses: ResourceType = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  namespaced: false,
};
