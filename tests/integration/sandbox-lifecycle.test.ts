// The sandbox never leaks processes: `down` stops everything it started, and a sandbox owned by a
// process that dies (even by SIGKILL, as when a test run is killed) is stopped by its watchdog.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  isAlive,
  readState,
  SandboxLayout,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
  waitFor,
} from '../support/sandbox-api';

const repo = resolve(__dirname, '../..');
const tinyFleet = join(repo, 'tests/fixtures/fleets/tiny.yaml');

describe('sandbox lifecycle', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(repo, '.kentaur', 'lifecycle-'));
  });
  afterEach(async () => {
    await sandboxDown(new SandboxLayout(dir));
    rmSync(dir, { recursive: true, force: true });
  });

  it('up, status and down: every started process is stopped', async () => {
    const layout = new SandboxLayout(dir);
    // Owned by this test process, so even a killed run cannot leak it.
    const info = await sandboxUp({ layout, fleetFile: tinyFleet, ownerPid: process.pid });
    expect(info.nodes).toBe(2);
    const status = await sandboxStatus(layout);
    expect(status.healthy).toBe(true);
    expect(status.components.map((c) => c.component)).toEqual([
      'watchdog',
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    const pids = status.components.map((c) => c.pid);

    const stopped = await sandboxDown(layout);
    expect(stopped.map((p) => p.pid).sort()).toEqual([...pids].sort());
    expect(pids.filter(isAlive)).toEqual([]);
    expect((await sandboxStatus(layout)).running).toBe(false);
  });

  it('is stopped by its watchdog when the owning process is killed with SIGKILL', async () => {
    // The owner: a separate Node process that starts a sandbox it owns and then hangs.
    const script = `
      const s = require(${JSON.stringify(join(repo, 'libs/sandbox/dist'))});
      s.sandboxUp({ layout: new s.SandboxLayout(${JSON.stringify(dir)}), fleetFile: ${JSON.stringify(tinyFleet)}, ownerPid: process.pid })
        .then(() => { process.stdout.write('ready\\n'); setInterval(() => {}, 1000); }, (e) => { console.error(e); process.exit(1); });`;
    const owner = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok, fail) => {
      owner.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && ok());
      owner.on('exit', (code) => fail(new Error(`owner exited with ${code} before the sandbox was ready`)));
    });
    const state = readState(new SandboxLayout(dir).state)!;
    const pids = state.processes.map((p) => p.pid);
    expect(state.processes.map((p) => p.component)).toContain('watchdog');
    expect(pids.every(isAlive)).toBe(true);

    owner.kill('SIGKILL');
    await waitFor(
      'every sandbox process to be gone',
      () => Promise.resolve(pids.some(isAlive) ? undefined : true),
      {
        timeoutMs: 30_000,
      },
    );
    expect(existsSync(new SandboxLayout(dir).state)).toBe(false);
  });
});
