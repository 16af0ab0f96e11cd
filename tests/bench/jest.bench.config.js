// Benchmarks: `npx jest -c tests/bench/jest.bench.config.js [name]`, one file per library
// (tests/bench/<lib>.bench.ts). Same transform and package mapping as the unit project
// (../../jest.config.js), no sandbox, a long timeout, and files run one after another so one
// benchmark's garbage never runs on the same cores as another's timing.
'use strict';

const path = require('node:path');

// The same transform and package mapping as the test projects.
const { common } = require('../../jest.common.js');

module.exports = {
  ...common,
  rootDir: path.resolve(__dirname, '../..'),
  displayName: 'bench',
  testMatch: ['<rootDir>/tests/bench/**/*.bench.ts'],
  testTimeout: 600000,
  maxWorkers: 1,
};
