export * from './builders';
export * from './cycle';
export * from './simulate';
