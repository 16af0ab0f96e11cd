// Fault injection, end to end on the sandbox (issue #9, checklist R2/R3/R6/R9 of
// docs/reliability.md). The controller talks to the real kube-apiserver through the fault proxy
// (tests/support/fault-proxy.ts) while tenants submit workloads directly; after the faults stop,
// the invariant checker (tests/support/invariants.ts) reads the API server and the ledger.
// Safety invariants (no pool, node or tenant over capacity or limit) are also sampled every second
// while the faults run.
//
// Size: reduced by default (inside `npm test`); KENTAUR_CHAOS=full (`npm run test:chaos`) runs more
// workloads, more seeds and longer fault windows. KENTAUR_CHAOS_SEED=<n> replays one seed.
// Each scenario prints one line:
//   chaos <scenario> seed=<n>: faults=<k by kind> workloads=<n> violations=<n> recovery=<ms>
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workload } from '@kentaur/api';
import type { RunningController } from '@kentaur/controller';
import type { KubeClient } from '@kentaur/k8s-runtime';
import { openLedger, type Ledger } from '@kentaur/ledger';
import {
  BASE_SEED,
  ChaosHarness,
  chaosSeeds,
  FULL,
  report,
  type ScenarioResult,
  sleep,
} from '../support/chaos-harness';
import { createTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { Recorder } from '../support/cluster-recorder';
import { startTestController } from '../support/controller';
import {
  type ControllerProcess,
  killAllControllerProcesses,
  killHard,
  startControllerProcess,
} from '../support/controller-process';
import { installCrds } from '../support/crds';
import { FaultProxy, type FaultRule, type RequestInfo } from '../support/fault-proxy';
import { seededRandom } from '../support/random';
import type { InvariantScope } from '../support/invariants';
import { startPostgres, type PostgresServer } from '../support/postgres';

const SIZE = FULL
  ? { workloads: 60, seeds: 3, faultWindowMs: 30_000, kills: 8, submitGapMs: 250 }
  : { workloads: 20, seeds: 1, faultWindowMs: 6_000, kills: 3, submitGapMs: 150 };
const SEEDS = chaosSeeds(SIZE.seeds);
/** All the (short) work must have finished within this after the faults stopped. */
const FINISH_BOUND_MS = FULL ? 180_000 : 90_000;
const LOG_DIR = join(tmpdir(), `kentaur-chaos-${process.pid}`);

/** The faults of each proxy scenario: what the controller's API traffic meets. */
const SCENARIO_RULES: Record<'conflict-5xx-latency' | 'watch' | 'throttle', FaultRule[]> = {
  // (a) optimistic-concurrency storms on every write, server errors, slow answers, lost connections
  // (before the server acted, and after: the write landed but the controller never heard).
  'conflict-5xx-latency': [
    { kind: 'latency', p: 0.5, ms: [20, 250] },
    { kind: 'conflict', p: 0.3 },
    { kind: 'drop-after', p: 0.05, methods: ['POST', 'PUT', 'PATCH', 'DELETE'] },
    { kind: '5xx', p: 0.08 },
    { kind: 'drop', p: 0.03 },
  ],
  // (b) every watch in danger: cut mid-stream, refused with 410 Gone, ended by an ERROR event.
  watch: [
    { kind: 'watch-410', p: 0.2 },
    { kind: 'watch-cut', p: 0.4, ms: [200, 2500] },
    { kind: 'watch-error', p: 0.4, ms: [200, 2500] },
  ],
  // (c) API priority and fairness pushing back: 429 with Retry-After on a third of the requests.
  throttle: [{ kind: '429', p: 0.3, retryAfterSeconds: 1 }],
};

describe('chaos: faults on the controller, then the invariants', () => {
  let client: KubeClient;
  let proxy: FaultProxy;
  let harness: ChaosHarness;

  beforeAll(async () => {
    client = testClient();
    harness = new ChaosHarness(client, FINISH_BOUND_MS);
    await installCrds(client);
    proxy = await FaultProxy.start({ upstreamKubeconfig: testKubeconfig(), seed: BASE_SEED });
  });
  afterAll(async () => {
    killAllControllerProcesses();
    await proxy?.close();
    client?.close();
  });

  /** Scenarios (a)–(c): the controller in this process, all its API traffic through the proxy. */
  async function proxyScenario(name: keyof typeof SCENARIO_RULES, seed: number): Promise<ScenarioResult> {
    proxy.reset(seed);
    const system = harness.track(await createTestNamespace(client, 'chaos-system'));
    const tenantNs = await harness.twoTenants(`c${name.slice(0, 3)}`);
    let controller: RunningController | undefined;
    const recorders = new Map(tenantNs.map((ns) => [ns, new Recorder(ns)]));
    let cutter: NodeJS.Timeout | undefined;
    try {
      controller = await startTestController({
        namespace: system,
        identity: `chaos-${name}`,
        kubeconfig: proxy.kubeconfig,
        accountingIntervalMs: 1000,
        schedulingResyncMs: 2000,
      });
      await harness.poolsDiscovered();
      for (const r of recorders.values()) await r.start();
      const submitted = new Map<string, string>();
      const scope: InvariantScope = {
        client,
        tenants: tenantNs,
        submitted,
        ledger: controller.ledger,
        recorders,
      };
      const safety = harness.sampleSafety(scope);
      proxy.setRules(SCENARIO_RULES[name]);
      // Watches opened before the rules apply would never meet them: cut all open watches now and
      // then, so each reopened watch draws its fault (and the informers back off, as they would).
      cutter =
        name === 'watch'
          ? setInterval(() => {
              for (let k = proxy.cutWatches(); k > 0; k--) proxy.note('watch-cut');
            }, 2000)
          : undefined;
      const ws = harness.workloadMix(seed, tenantNs, SIZE.workloads);
      await harness.submitAll(ws, submitted, SIZE.submitGapMs);
      await sleep(SIZE.faultWindowMs);
      clearInterval(cutter);
      proxy.setRules([]);
      const stoppedAt = Date.now();
      const after = await harness.afterFaults(scope, stoppedAt);
      after.violations.unshift(...(await safety.stop()));
      return report({ scenario: name, seed, faults: proxy.countsText(), workloads: ws.length }, after);
    } finally {
      clearInterval(cutter); // also when the scenario failed midway
      proxy.setRules([]);
      for (const r of recorders.values()) await r.stop().catch(() => undefined);
      await controller?.stop();
      await harness.cleanUp();
    }
  }

  for (const seed of SEEDS) {
    it(`(a) conflict storm, 5xx, latency and dropped connections on ~${SIZE.workloads} submissions (seed ${seed})`, async () => {
      const r = await proxyScenario('conflict-5xx-latency', seed);
      expect(r.violations).toEqual([]);
    });

    it(`(b) watches cut, answered 410 Gone or ended by ERROR events (seed ${seed})`, async () => {
      const r = await proxyScenario('watch', seed);
      expect(r.violations).toEqual([]);
    });

    it(`(c) 429 with Retry-After on a third of the requests (seed ${seed})`, async () => {
      const r = await proxyScenario('throttle', seed);
      expect(r.violations).toEqual([]);
    });

    it(`(d) SIGKILL of the controller process at chosen points of its cycle, restarted each time (seed ${seed})`, async () => {
      const r = await sigkillScenario(seed);
      expect(r.violations).toEqual([]);
    });
  }

  /**
   * Where in a cycle a kill lands: right after the server accepted the write, before the controller
   * hears the answer. reserve: the pool reservation committed, the admission not yet written;
   * admit: the admission committed, its Job not yet created; create: the Job created, the phase not
   * yet written; phase: a phase written; any: whatever write comes next.
   */
  const KILL_POINTS: Record<string, (r: RequestInfo) => boolean> = {
    reserve: (r) => r.method === 'PUT' && /\/acceleratorpools\/[^/]+\/status$/.test(r.path),
    admit: (r) =>
      r.method === 'PUT' &&
      /\/workloads\/[^/]+\/status$/.test(r.path) &&
      (r.body as Workload | undefined)?.status?.phase === 'Admitted',
    create: (r) => r.method === 'POST' && /\/jobs$/.test(r.path),
    phase: (r) =>
      r.method === 'PUT' &&
      /\/workloads\/[^/]+\/status$/.test(r.path) &&
      ['Running', 'Succeeded'].includes((r.body as Workload | undefined)?.status?.phase ?? ''),
    any: (r) => r.method !== 'GET',
  };

  /** Scenario (d): `kentaur controller` processes on a shared PostgreSQL ledger, killed and restarted. */
  async function sigkillScenario(seed: number): Promise<ScenarioResult> {
    proxy.reset(seed);
    const random = seededRandom(seed ^ 0x4b111);
    let postgres: PostgresServer | undefined;
    let ledger: Ledger | undefined;
    let proc: ControllerProcess | undefined;
    const recorders = new Map<string, Recorder>();
    const lease = harness.track(await createTestNamespace(client, 'chaos-lease'));
    const tenantNs = await harness.twoTenants('ckill');
    try {
      postgres = await startPostgres();
      const ledgerUrl = await postgres.createDatabase();
      ledger = await openLedger({ url: ledgerUrl });
      // The same identity after each restart, as a restarted pod of a StatefulSet: it renews its own
      // Lease at once instead of waiting 15 s for it to expire (controller-ha covers that wait).
      const start = () =>
        startControllerProcess({
          identity: 'chaos-kill',
          leaseNamespace: lease,
          kubeconfig: proxy.kubeconfig,
          logDir: LOG_DIR,
          ledgerUrl,
        });
      proc = await start();
      await harness.poolsDiscovered();
      for (const ns of tenantNs) {
        const r = new Recorder(ns);
        await r.start();
        recorders.set(ns, r);
      }
      const submitted = new Map<string, string>();
      const scope: InvariantScope = { client, tenants: tenantNs, submitted, ledger, recorders };
      const safety = harness.sampleSafety(scope);
      proxy.setRules([{ kind: 'latency', p: 0.3, ms: [10, 100] }]);
      const ws = harness.workloadMix(seed, tenantNs, SIZE.workloads);
      const submitting = harness.submitAll(ws, submitted, SIZE.submitGapMs);
      const points = Object.keys(KILL_POINTS);
      const kills: string[] = [];
      for (let k = 0; k < SIZE.kills; k++) {
        const point = points[Math.floor(random() * points.length)]!;
        const skip = Math.floor(random() * 3); // the 1st, 2nd or 3rd such write
        const victim = proc;
        let seen = 0;
        const killed = new Promise<boolean>((resolve) => {
          proxy.setTap(async (req, status) => {
            if (status >= 300 || !KILL_POINTS[point]!(req) || seen++ < skip) return;
            proxy.setTap(undefined);
            await killHard(victim); // before the answer goes back: the write landed, unheard
            resolve(true);
          });
          // A point that does not come (no more such writes): kill at a random moment instead.
          setTimeout(() => resolve(false), 8000);
        });
        const atPoint = await killed;
        proxy.setTap(undefined);
        if (!atPoint) await killHard(victim);
        const what = atPoint ? point : 'timer';
        proxy.note(`sigkill-${what}`);
        kills.push(what);
        await sleep(Math.floor(random() * 500));
        proc = await start();
      }
      await submitting;
      proxy.setRules([]);
      const stoppedAt = Date.now();
      const after = await harness.afterFaults(scope, stoppedAt);
      after.violations.unshift(...(await safety.stop()));
      const result = report(
        { scenario: 'sigkill', seed, faults: proxy.countsText(), workloads: ws.length },
        after,
      );
      if (after.violations.length)
        console.log(
          `chaos sigkill: kills at ${kills.join(', ')}; last controller log ${proc.logFile}:\n${proc.tail(20)}`,
        );
      return result;
    } finally {
      proxy.setTap(undefined);
      if (proc) await killHard(proc);
      for (const r of recorders.values()) await r.stop().catch(() => undefined);
      await ledger?.close();
      await postgres?.stop();
      await harness.cleanUp();
    }
  }
});
