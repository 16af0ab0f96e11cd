#!/usr/bin/env node
// `npm run bench -- <core|e2e|gateway|memory|all> [--smoke]`: runs benchmarks one after another (never two
// at once: they would share the cores), each writing bench-results/<name>.json. `core` needs no
// cluster; the others start a sandbox (as the integration tests do; `e2e` and `memory` with the bench
// fleet of 1,150 nodes unless KENTAUR_TEST_FLEET names another). --smoke: small sizes on the
// default fleet, for a quick check that a benchmark still runs (npm test runs these too).
// A full run appends a summary of its figures to docs/benchmarks.md.
'use strict';

const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const { appendSummary } = require('./summary.js');

// In the order `all` runs them: the short ones first, so their figures are written even when the
// long end-to-end run is stopped.
const BENCHES = {
  core: { config: 'jest.bench.config.js', env: 'CORE_BENCH_SMOKE' },
  gateway: { config: 'jest.bench-sandbox.config.js', env: 'BENCH_SMOKE' },
  // KENTAUR_TEST_FLEET=deploy/sandbox/fleets/gigafactory.yaml: the 15,050-node fleet (its node Leases
  // last 600 s, so that KWOK keeps up on a small machine; docs/benchmarks.md).
  memory: {
    config: 'jest.bench-sandbox.config.js',
    env: 'BENCH_SMOKE',
    fleet: join(__dirname, '../../deploy/sandbox/fleets/bench.yaml'),
  },
  e2e: {
    config: 'jest.bench-sandbox.config.js',
    env: 'BENCH_SMOKE',
    fleet: join(__dirname, '../../deploy/sandbox/fleets/bench.yaml'),
  },
};

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const names = args.filter((a) => !a.startsWith('--'));
const wanted = names.length === 0 || names.includes('all') ? Object.keys(BENCHES) : names;
const unknown = wanted.filter((n) => !BENCHES[n]);
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}, all\n`,
  );
  process.exit(2);
}

// The controller and the gateway are measured as their build output (processes of their own): the
// build is brought up to date first (tsc -b: seconds when nothing changed).
if (wanted.some((n) => n !== 'core')) {
  process.stdout.write('bench: building (npm run build)\n');
  const build = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit', cwd: join(__dirname, '../..') });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const jest = join(__dirname, '../../node_modules/.bin/jest');
let failed = 0;
for (const name of wanted) {
  const b = BENCHES[name];
  process.stdout.write(`\n== bench ${name}${smoke ? ' (smoke)' : ''} [${new Date().toISOString()}]\n`);
  const env = { ...process.env, ...(smoke ? { [b.env]: '1' } : {}) };
  if (b.fleet && !smoke && !env.KENTAUR_TEST_FLEET) env.KENTAUR_TEST_FLEET = b.fleet;
  // The e2e benchmark's CPU profile of kube-apiserver needs the sandbox to serve /debug/pprof.
  if (name === 'e2e' && env.BENCH_E2E_APISERVER_PROFILE) env.KENTAUR_TEST_APISERVER_PROFILING = '1';
  const r = spawnSync(jest, ['-c', join(__dirname, b.config), `tests/bench/${name}.bench.ts`], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) failed++;
  else if (!smoke) appendSummary(name);
}
process.exit(failed > 0 ? 1 : 0);
