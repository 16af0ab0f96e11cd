/** Labels Kentaur puts on the objects it creates for a Workload; selectors and caches read them. */
export const WORKLOAD_LABEL = 'kentaur.io/workload';
export const TENANT_LABEL = 'kentaur.io/tenant';
export const POOL_LABEL = 'kentaur.io/pool';
/** Which admission of the workload an object belongs to (status.attempts); earlier attempts' objects are stale. */
export const ATTEMPT_LABEL = 'kentaur.io/attempt';
/** PriorityClass of every pod Kentaur renders; the tenant namespaces' device quota exempts only it (ADR 6). */
export const ADMITTED_PRIORITY_CLASS = 'kentaur-admitted';
