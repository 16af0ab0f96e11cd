// Benchmarks: `npx jest -c tests/bench/jest.bench.config.js [name]`, one file per library
// (tests/bench/<lib>.bench.ts). Same transform and package mapping as the unit project
// (../../jest.config.js), no sandbox, a long timeout, and files run one after another so one
// benchmark's garbage never runs on the same cores as another's timing.
'use strict';

const path = require('node:path');

module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  displayName: 'bench',
  testMatch: ['<rootDir>/tests/bench/**/*.bench.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: { '^@kentaur/([a-z0-9-]+)$': '<rootDir>/libs/$1/src' },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testEnvironment: 'node',
  testTimeout: 600000,
  maxWorkers: 1,
};
