// Jest projects:
//   unit         pure code, no cluster; beside the code as *.spec.ts
//   integration  against the real API server of the sandbox (tests/integration)
//   e2e          the whole loop on the sandbox (tests/e2e)
// integration and e2e share ONE sandbox per run, started by the global setup and torn down at the end.
'use strict';

const swc = [
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
];

// NestJS 12 ships as ES modules only; Node >= 20.19 require()s them at run time, but Jest's module
// system does not, so swc compiles them to CommonJS in tests. List every ESM-only package here.
const esmOnly = ['@nestjs'];

// Tests import the libraries by package name; map them to their sources so no build is needed.
const moduleNameMapper = {
  '^@kentaur/(controller|gateway|cli)$': '<rootDir>/apps/$1/src',
  '^@kentaur/([a-z0-9-]+)/testing$': '<rootDir>/libs/$1/src/testing',
  '^@kentaur/([a-z0-9-]+)$': '<rootDir>/libs/$1/src',
};

const common = {
  rootDir: __dirname,
  transform: { '^.+\\.[jt]s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper,
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

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
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,apps}/*/src/**/*.spec.ts', '<rootDir>/tests/unit/**/*.spec.ts'],
    },
    sandboxProject('integration', 'integration'),
    sandboxProject('e2e', 'e2e'),
  ],
};
