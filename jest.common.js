// What every Jest configuration of the repository shares (jest.config.js, tests/bench/jest.bench.config.js):
// the swc transform, the ESM-only packages it compiles (ADR 4), and the mapping of @kentaur/* to sources.
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
const esmOnly = ['@nestjs', 'content-disposition', 'mercurius', 'quick-lru', 'jose'];

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
  // dist: build output; .kentaur: sandboxes (etcd's *.snap files are not Jest snapshots).
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.kentaur/'],
};

module.exports = { common };
