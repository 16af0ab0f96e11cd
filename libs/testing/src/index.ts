export * from './node.builder';
export * from './workload.builder';
export * from './pool.builder';
