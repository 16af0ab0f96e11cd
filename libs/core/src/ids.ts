/**
 * Distinct names for things that are all strings at runtime: a pool name passed where a node name
 * is expected is a type error, not a misplacement. The controller brands names once, when it builds
 * the snapshot; the scheduler never invents names.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type PoolName = Brand<string, 'PoolName'>;
export type NodeName = Brand<string, 'NodeName'>;
export type SiteName = Brand<string, 'SiteName'>;
export type TenantName = Brand<string, 'TenantName'>;
/** `namespace/name` of a Workload object. */
export type WorkloadKey = Brand<string, 'WorkloadKey'>;

export const poolName = (name: string) => name as PoolName;
export const nodeName = (name: string) => name as NodeName;
export const siteName = (name: string) => name as SiteName;
export const tenantName = (name: string) => name as TenantName;
export const workloadKey = (key: string) => key as WorkloadKey;

/** Milliseconds since the Unix epoch; the scheduler reads no clock, `config.now` is one of these. */
export type EpochMs = number;
