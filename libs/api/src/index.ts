export * from './accelerator-pool';
export * from './crds';
export * from './fields';
export * from './schema';
export * from './site';
export * from './tenant';
export * from './validate';
export * from './workload';
