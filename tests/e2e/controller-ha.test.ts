// High availability of the controller, end to end on the sandbox: real controller processes
// (`kentaur controller`, the build output) campaign for one Lease; the leader is killed with SIGKILL
// in the middle of the work. Whatever happens to the controllers, every Workload must be admitted
// exactly once (status.attempts === 1, one Job and one pod for it, ever), none may be lost (all end
// Succeeded), and the pods running on a node must never ask for more devices than it has.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { admissionObjectName, type AcceleratorPool, type Tenant, type Workload } from '@kentaur/api';
import {
  AcceleratorPools,
  Jobs,
  type KubeClient,
  Leases,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import { openLedger, type Ledger } from '@kentaur/ledger';
import { makeWorkload } from '@kentaur/testing';
import {
  createTestNamespace,
  deleteTestNamespacesAndWait,
  testClient,
  testKubeconfig,
} from '../support/cluster';
import { Recorder } from '../support/cluster-recorder';
import {
  type ControllerProcess,
  killAllControllerProcesses,
  killHard,
  startControllerProcess as startProcess,
} from '../support/controller-process';
import { installCrds } from '../support/crds';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { floorToSecond, podDeviceHours } from '../support/pods';
import { createTenant } from '../support/tenants';

const LEASE = 'kentaur-controller';
const POOLS = ['dk-1-amd-mi300x', 'dk-1-nvidia-h100', 'dk-1-intel-gaudi3'];
const VENDORS = ['amd', 'nvidia', 'intel'];
const WORKLOAD_LABEL = 'kentaur.io/workload';
const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);
const LOG_DIR = join(tmpdir(), `kentaur-controller-ha-${process.pid}`);
/** The PostgreSQL ledger every controller process of this file shares. */
let postgres: PostgresServer | undefined;
let ledgerUrl = '';
let ledger: Ledger | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Controller processes (tests/support/controller-process.ts) and the recorder of what happened on
// the cluster (tests/support/cluster-recorder.ts), shared with the chaos suite
// ---------------------------------------------------------------------------------------------

/** Starts `kentaur controller` against the sandbox, on this file's shared PostgreSQL ledger. */
function startControllerProcess(
  identity: string,
  leaseNamespace: string,
  extraArgs: string[] = [],
): Promise<ControllerProcess> {
  return startProcess({
    identity,
    leaseNamespace,
    extraArgs,
    kubeconfig: testKubeconfig(),
    logDir: LOG_DIR,
    ledgerUrl,
  });
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describe('e2e: controller high availability (separate processes, SIGKILL)', () => {
  let client: KubeClient;
  let procs: ControllerProcess[] = [];
  let recorder: Recorder | undefined;
  let namespaces: string[] = [];
  let tenants: string[] = [];

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    postgres = await startPostgres();
    ledgerUrl = await postgres.createDatabase();
    ledger = await openLedger({ url: ledgerUrl });
  });
  afterEach(async () => {
    // Never leave a controller running, whatever the outcome of the test.
    await Promise.all(procs.map(killHard));
    procs = [];
    await recorder?.stop();
    recorder = undefined;
    await deleteTestNamespacesAndWait(client, namespaces);
    for (const t of tenants) await client.delete(Tenants, t).catch(() => undefined);
    namespaces = [];
    tenants = [];
  });
  afterAll(async () => {
    killAllControllerProcesses();
    client?.close();
    await ledger?.close();
    await postgres?.stop();
  });

  async function tenant(
    name: string,
    quota: { guaranteedCU: number; limitCU: number },
    tier: Tenant['spec']['tier'] = 'sme',
    allowEmergency = false,
  ) {
    const ns = await createTenant(client, { name, quota, tier, allowEmergency });
    namespaces.push(ns);
    tenants.push(ns);
    return ns;
  }

  async function leaseNamespace(): Promise<string> {
    const ns = await createTestNamespace(client, 'ha-lease');
    namespaces.push(ns);
    return ns;
  }

  async function start(
    identity: string,
    leaseNs: string,
    extraArgs: string[] = [],
  ): Promise<ControllerProcess> {
    const p = await startControllerProcess(identity, leaseNs, extraArgs);
    procs.push(p);
    return p;
  }

  const holderOf = async (leaseNs: string) =>
    (await client.get<Lease>(Leases, LEASE, leaseNs).catch(() => undefined))?.spec?.holderIdentity ||
    undefined;

  const waitForHolder = (leaseNs: string, ok: (holder: string) => boolean, what: string, timeoutMs: number) =>
    waitFor(
      `Lease ${leaseNs}/${LEASE}: ${what}`,
      async () => {
        const h = await holderOf(leaseNs);
        return h && ok(h) ? h : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );

  /** The pools of the three vendors exist and nothing holds devices in them (other files' work is gone). */
  async function poolsIdle(): Promise<void> {
    for (const pool of POOLS) {
      await waitFor(
        `${pool} discovered and idle`,
        async () => {
          const p = await client.get<AcceleratorPool>(AcceleratorPools, pool).catch(() => undefined);
          const d = p?.status?.devices;
          return d && d.capacity > 0 && d.allocated === 0 ? p : undefined;
        },
        { timeoutMs: 90_000 },
      );
    }
  }

  /** ~Small Batch workloads: 1 replica × 1–2 devices, any of three vendors, done after `runFor(i)` s. */
  function workloads(
    ns: string,
    count: number,
    runFor: (i: number) => number,
    devices = (i: number) => 1 + (i % 2),
  ): Workload[] {
    return Array.from({ length: count }, (_, i) => {
      const name = `w-${String(i).padStart(2, '0')}`;
      const w = makeWorkload(name, ns)
        .kind('Batch')
        .replicas(1)
        .accelerators({ count: devices(i), vendors: VENDORS })
        .image('registry.example/ha/job:1')
        .maxDuration('1h')
        .obj();
      w.metadata.annotations = { 'sandbox.kentaur.io/run-for': `${runFor(i)}s` };
      return w;
    });
  }

  const submit = (w: Workload) => client.create(Workloads, w);

  /** Submits one workload every `gapMs`, in the background. */
  async function submitStaggered(ws: Workload[], gapMs: number): Promise<void> {
    for (const w of ws) {
      await submit(w);
      await sleep(gapMs);
    }
  }

  const listWorkloads = async (ns: string) =>
    (await client.list<Workload>(Workloads, { namespace: ns })).items;

  /** Phase counts, for the log and failure messages: {"Admitted": 3, "Queued": 2, ...}. */
  const phases = (ws: Workload[]) =>
    ws.reduce<Record<string, number>>((acc, w) => {
      const p = w.status?.phase ?? '(none)';
      acc[p] = (acc[p] ?? 0) + 1;
      return acc;
    }, {});

  async function allFinished(ns: string, count: number, timeoutMs: number): Promise<Workload[]> {
    let last: Workload[] = [];
    try {
      return await waitFor(
        `all ${count} workloads of ${ns} finished`,
        async () => {
          last = await listWorkloads(ns);
          return last.length === count && last.every((w) => TERMINAL.has(w.status?.phase ?? ''))
            ? last
            : undefined;
        },
        { timeoutMs, intervalMs: 500 },
      );
    } catch (e) {
      const seen = last.map((w) => `${w.metadata.name}: ${w.status?.phase} attempts=${w.status?.attempts}`);
      throw new Error(
        `${(e as Error).message}; phases ${JSON.stringify(phases(last))}:\n${seen.join('\n')}\n` +
          procs.map((p) => `--- ${p.identity} (${p.logFile}):\n${p.tail(15)}`).join('\n'),
        { cause: e },
      );
    }
  }

  /**
   * The ledger the replicas shared counts each workload's admission exactly once: its intervals
   * tile [admittedAt, Finished) (in whole seconds, as pods' times are) with no gap and no overlap,
   * and add up to the device-time its pods really ran — whichever replica wrote them, before or
   * after a SIGKILL.
   */
  async function expectLedgerExactlyOnce(ns: string): Promise<void> {
    for (const w of await listWorkloads(ns)) {
      const admittedAt = floorToSecond(Date.parse(w.status!.admission!.admittedAt));
      const end = floorToSecond(
        Date.parse(w.status!.conditions!.find((c) => c.type === 'Finished')!.lastTransitionTime),
      );
      const intervals = await waitFor(
        `${w.metadata.name} accounted to its end`,
        async () => {
          const list = await ledger!.intervalsOf(w.metadata.uid!);
          return list.at(-1)?.endMs === end ? list : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(intervals[0]!.startMs).toBe(admittedAt);
      for (let k = 1; k < intervals.length; k++) expect(intervals[k]!.startMs).toBe(intervals[k - 1]!.endMs);
      const deviceHours = intervals.reduce((a, x) => a + x.deviceHours, 0);
      const ran = await podDeviceHours(client, w);
      expect(ran).toBeGreaterThan(0);
      expect(Math.abs(deviceHours - ran)).toBeLessThanOrEqual(0.01 * ran); // the bar: 1 %
      expect(deviceHours).toBeCloseTo(ran, 9); // and in fact exact: both read the pods' seconds
    }
  }

  /**
   * Exactly once, nothing lost: every workload Succeeded with attempts 1 (and never more), it has
   * one Job now (attempt 1), and only one Job and one pod were ever created for it; no node was
   * ever asked for more devices than it has.
   */
  async function expectExactlyOnce(ns: string, names: string[]): Promise<void> {
    await recorder!.stop();
    const rec = recorder!;
    recorder = undefined;
    const final = new Map((await listWorkloads(ns)).map((w) => [w.metadata.name!, w]));
    const summary = [];
    for (const name of names) {
      const jobs = (
        await client.list<Job>(Jobs, { namespace: ns, labelSelector: `${WORKLOAD_LABEL}=${name}` })
      ).items;
      summary.push({
        name,
        phase: final.get(name)?.status?.phase,
        attempts: final.get(name)?.status?.attempts,
        maxAttemptsSeen: rec.maxAttempts.get(name),
        jobsNow: jobs.map((j) => `${j.metadata?.name}@attempt=${j.metadata?.labels?.['kentaur.io/attempt']}`),
        jobsEverCreated: rec.jobUids.get(name)?.size ?? 0,
        podsEverCreated: rec.podUids.get(name)?.size ?? 0,
      });
    }
    expect(summary).toEqual(
      names.map((name) => ({
        name,
        phase: 'Succeeded',
        attempts: 1,
        maxAttemptsSeen: 1,
        jobsNow: [`${admissionObjectName(name, 1)}@attempt=1`],
        jobsEverCreated: 1,
        podsEverCreated: 1,
      })),
    );
    expect(rec.samples).toBeGreaterThan(10); // the node check did look
    expect(rec.overallocations).toEqual([]);
  }

  async function startRecording(ns: string): Promise<void> {
    recorder = new Recorder(ns);
    await recorder.start();
  }

  /** Waits until at least `n` workloads have been admitted (status.attempts set). */
  const admittedAtLeast = (ns: string, n: number) =>
    waitFor(
      `${n} workloads of ${ns} admitted`,
      async () => {
        const ws = await listWorkloads(ns);
        return ws.filter((w) => (w.status?.attempts ?? 0) >= 1).length >= n ? ws : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );

  it('two replicas at once: one leader, every workload admitted exactly once', async () => {
    const t0 = Date.now();
    const leaseNs = await leaseNamespace();
    const [a, b] = await Promise.all([start('ha-a', leaseNs), start('ha-b', leaseNs)]);
    await waitForHolder(leaseNs, () => true, 'held', 60_000);
    await poolsIdle();
    const ns = await tenant('ha-two', { guaranteedCU: 60, limitCU: 120 }, 'commercial');
    await startRecording(ns);
    const ws = workloads(ns, 12, (i) => 3 + (i % 3));
    await Promise.all(ws.map(submit));
    const t1 = Date.now();
    await allFinished(ns, ws.length, 120_000);
    const holder = await holderOf(leaseNs);
    console.log(
      `[controller-ha] two replicas: leader ${holder}; 12 workloads done ${((Date.now() - t1) / 1000).toFixed(1)} s after submission; test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    await expectExactlyOnce(
      ns,
      ws.map((w) => w.metadata.name!),
    );
    await expectLedgerExactlyOnce(ns);
    expect([a.identity, b.identity]).toContain(holder);
    // Both replicas are still alive: the follower did not crash or exit.
    expect([a.child.exitCode, b.child.exitCode]).toEqual([null, null]);
  }, 180_000);

  it('SIGKILL of the leader mid-stream: the other replica takes over, nothing lost or duplicated', async () => {
    const t0 = Date.now();
    const leaseNs = await leaseNamespace();
    const both = await Promise.all([start('ha-a', leaseNs), start('ha-b', leaseNs)]);
    const first = await waitForHolder(leaseNs, () => true, 'held', 60_000);
    await poolsIdle();
    const ns = await tenant('ha-kill', { guaranteedCU: 60, limitCU: 120 }, 'commercial');
    await startRecording(ns);
    const ws = workloads(ns, 12, (i) => 8 + (i % 3));
    const submitting = submitStaggered(ws, 300);
    const atKill = await admittedAtLeast(ns, 3);
    const leader = await holderOf(leaseNs);
    const victim = both.find((p) => p.identity === leader)!;
    const survivor = both.find((p) => p.identity !== leader)!;
    expect(victim).toBeDefined();
    await killHard(victim);
    const killedAt = Date.now();
    const took = await waitForHolder(
      leaseNs,
      (h) => h === survivor.identity,
      `taken by ${survivor.identity}`,
      30_000,
    );
    const failoverS = (Date.now() - killedAt) / 1000;
    await submitting;
    await allFinished(ns, ws.length, 150_000);
    console.log(
      `[controller-ha] SIGKILL leader: first leader ${first}, killed ${leader} with ${atKill.length} submitted ${JSON.stringify(phases(atKill))}; ${took} took the Lease after ${failoverS.toFixed(1)} s; all done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill; test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    await expectExactlyOnce(
      ns,
      ws.map((w) => w.metadata.name!),
    );
    await expectLedgerExactlyOnce(ns);
    expect(await holderOf(leaseNs)).toBe(survivor.identity);
    expect(survivor.child.exitCode).toBeNull();
  }, 180_000);

  it('SIGKILL and restart of a single controller: a new identity takes over once the Lease expires', async () => {
    const t0 = Date.now();
    const leaseNs = await leaseNamespace();
    const old = await start('ha-solo-1', leaseNs);
    await waitForHolder(leaseNs, (h) => h === old.identity, `held by ${old.identity}`, 60_000);
    await poolsIdle();
    const ns = await tenant('ha-restart', { guaranteedCU: 60, limitCU: 120 }, 'commercial');
    await startRecording(ns);
    const ws = workloads(ns, 12, (i) => 6 + (i % 3));
    const submitting = submitStaggered(ws, 300);
    const atKill = await admittedAtLeast(ns, 3);
    await killHard(old);
    const killedAt = Date.now();
    await submitting; // the rest arrive while no controller runs: they must wait, not be lost
    const orphaned = await listWorkloads(ns);
    expect(orphaned.filter((w) => !TERMINAL.has(w.status?.phase ?? '')).length).toBeGreaterThan(0);
    const fresh = await start('ha-solo-2', leaseNs);
    const tookAfter = await waitForHolder(
      leaseNs,
      (h) => h === fresh.identity,
      `taken by ${fresh.identity}`,
      45_000,
    ).then(() => (Date.now() - killedAt) / 1000);
    await allFinished(ns, ws.length, 150_000);
    console.log(
      `[controller-ha] restart: killed ${old.identity} with ${JSON.stringify(phases(atKill))}; ${fresh.identity} took the Lease ${tookAfter.toFixed(1)} s after the kill; all done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill; test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    await expectExactlyOnce(
      ns,
      ws.map((w) => w.metadata.name!),
    );
    await expectLedgerExactlyOnce(ns);
    expect(fresh.child.exitCode).toBeNull();
  }, 180_000);

  // Without leader election both replicas schedule at once: only the reservations in the pools
  // (compare-and-swap, ADR 5) keep them from filling the same devices with different workloads.
  it('two active schedulers without leader election never over-allocate a node', async () => {
    const t0 = Date.now();
    const leaseNs = await leaseNamespace();
    const noElection = ['--no-leader-election'];
    const [a, b] = await Promise.all([
      start('ha-x', leaseNs, noElection),
      start('ha-y', leaseNs, noElection),
    ]);
    await poolsIdle();
    const ns = await tenant('ha-active', { guaranteedCU: 120, limitCU: 240 }, 'commercial');
    await startRecording(ns);
    // 24 workloads of 4 devices (96) for 48 devices: they queue, and both schedulers compete for each freed node.
    const ws = workloads(
      ns,
      24,
      (i) => 3 + (i % 3),
      () => 4,
    );
    await Promise.all(ws.map(submit));
    await allFinished(ns, ws.length, 170_000);
    console.log(
      `[controller-ha] two active schedulers: 24 workloads done; test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    await expectExactlyOnce(
      ns,
      ws.map((w) => w.metadata.name!),
    );
    await expectLedgerExactlyOnce(ns);
    expect([a.child.exitCode, b.child.exitCode]).toEqual([null, null]);
  }, 200_000);
});
