// Jest projects:
//   unit         pure code, no cluster; beside the code as *.spec.ts
//   integration  against the real API server of the sandbox (tests/integration)
//   e2e          the whole loop on the sandbox (tests/e2e)
//   chaos        faults injected into the controller's API traffic and process, then invariants
//                (tests/chaos); reduced here, KENTAUR_CHAOS=full for `npm run test:chaos`
//   bench        the benchmarks (tests/bench) at smoke sizes, so they never rot; `npm run bench`
//                runs them full size and reports
// integration, e2e, chaos and bench share ONE sandbox per run, started by the global setup and torn down at the end.
'use strict';

const { common } = require('./jest.common.js');

// testTimeout is a global option (ignored inside a project), so each project sets its own in a setup file.
const sandboxProject = (name, dir) => ({
  ...common,
  displayName: name,
  testMatch: [`<rootDir>/tests/${dir}/**/*.test.ts`],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFilesAfterEnv: [`<rootDir>/tests/support/timeouts.${dir}.ts`],
  slowTestThreshold: 30,
});

module.exports = {
  // One worker: integration and e2e files share one sandbox, and e2e files each run a controller;
  // two files at once would put two leaders (in different lease namespaces) on one cluster.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,apps}/*/src/**/*.spec.ts', '<rootDir>/tests/unit/**/*.spec.ts'],
    },
    sandboxProject('integration', 'integration'),
    sandboxProject('e2e', 'e2e'),
    sandboxProject('chaos', 'chaos'),
    {
      ...sandboxProject('bench', 'bench'),
      testMatch: ['<rootDir>/tests/bench/**/*.bench.ts'],
      setupFiles: ['<rootDir>/tests/support/bench-smoke.ts'],
    },
  ],
};
