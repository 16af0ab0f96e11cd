// The tenant reconciler's public API (wired into the controller's module by app.module.ts).
export { TenantReconciler } from './tenant.reconciler';
export {
  TENANTS_FIELD_MANAGER,
  TenantReconcilerCore,
  type TenantLogger,
  type TenantReconcilerOptions,
} from './tenant-reconciler-core';
export {
  ADMITTED_PRIORITY_CLASS,
  admittedPriorityClass,
  ALLOW_DNS_POLICY,
  ALLOW_SAME_WORKLOAD_POLICY,
  BUILTIN_ACCELERATOR_RESOURCES,
  CONTAINER_DEFAULTS,
  DEFAULT_DENY_POLICY,
  TENANT_LABEL,
  VENDOR_QUOTA,
} from './namespace-kit';
export { tenantStatus } from './tenant-status';
export { NetworkPolicies, PriorityClasses } from './resource-types';
