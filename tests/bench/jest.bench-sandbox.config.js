// Benchmarks that need a cluster (tests/bench/gateway.bench.ts): the bench configuration plus the
// test sandbox of the integration suites (started for the run, or KENTAUR_TEST_KUBECONFIG).
'use strict';

const base = require('./jest.bench.config.js');

module.exports = {
  ...base,
  displayName: 'bench (sandbox)',
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
};
