// One sandbox per test run, shared by the integration and e2e projects. Jest runs each project's
// global setup in this same process, so a reference count on globalThis makes the second a no-op;
// the last global teardown stops the sandbox. The sandbox is owned by this process: its watchdog
// stops it even if the run is killed with SIGKILL.
//
// KENTAUR_TEST_KUBECONFIG=<file> runs the suites against an existing cluster instead (e.g. kind);
// such a cluster is never stopped by the tests.
import { join, resolve } from 'node:path';
import { SandboxLayout, sandboxUp } from '@kentaur/sandbox';
import { sharedState } from './shared-state';

export default async function globalSetup(): Promise<void> {
  const shared = sharedState();
  if (shared.refs > 0) {
    shared.refs++;
    return;
  }
  if (process.env.KENTAUR_TEST_KUBECONFIG) {
    Object.assign(shared, { refs: 1, layout: undefined });
    return;
  }
  const root = resolve(__dirname, '../..');
  const layout = new SandboxLayout(join(root, '.kentaur', `test-sandbox-${process.pid}`));
  const started = Date.now();
  const info = await sandboxUp({
    layout,
    ownerPid: process.pid,
    fleetFile: process.env.KENTAUR_TEST_FLEET,
    // A benchmark's CPU profile of the API server (BENCH_E2E_APISERVER_PROFILE, tests/bench/run.js).
    apiServerProfiling: process.env.KENTAUR_TEST_APISERVER_PROFILING === '1',
    log: (m) => process.stderr.write(`[test sandbox] ${m}\n`),
  });
  process.stderr.write(
    `[test sandbox] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${info.server}\n`,
  );
  // Workers are forked after global setup and inherit this environment.
  process.env.KENTAUR_TEST_KUBECONFIG = info.kubeconfig;
  // Fault tests restart its kube-apiserver and etcd through the state file (restartComponent).
  process.env.KENTAUR_TEST_SANDBOX_STATE = layout.state;
  Object.assign(shared, { refs: 1, layout });
}
