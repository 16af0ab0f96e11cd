export * from './client';
export * from './errors';
export * from './kubeconfig';
export * from './resource-types';
export * from './wait';
export * from './kentaur-types';
