export * from './node.builder';
export * from './workload.builder';
