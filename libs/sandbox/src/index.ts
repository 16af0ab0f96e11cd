export * from './binaries';
export * from './components';
export * from './fleet';
export * from './layout';
export * from './processes';
export * from './sandbox';
export * from './crds';
export * from './restart';
