// The gateway behind the fault proxy (issue #9, docs/reliability.md, scenario j): tenants submit
// over real HTTP with idempotency keys and retry whatever failed, as a client library would, while
// the gateway's own API traffic meets server errors, lost connections (also after the server
// acted), latency and broken watches. The controller runs beside it, talking to the API server
// directly. Afterwards: every key made exactly one Workload, no error answer leaked internals, no
// tenant ever listed another's workloads, and the invariant checker's usual verdict.
import type { Workload } from '@kentaur/api';
import type { RunningController } from '@kentaur/controller';
import { type KubeClient, Workloads, waitFor } from '@kentaur/k8s-runtime';
import { BASE_SEED, ChaosHarness, chaosSeeds, FULL, report, sleep } from '../support/chaos-harness';
import { createTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { Recorder } from '../support/cluster-recorder';
import { startTestController } from '../support/controller';
import { installCrds } from '../support/crds';
import { FaultProxy, type FaultRule } from '../support/fault-proxy';
import { aSpec, gql, SUBMIT, startTestGateway, type GqlResponse, type TestGateway } from '../support/gateway';
import type { InvariantScope } from '../support/invariants';
import { seededRandom } from '../support/random';

const SIZE = FULL
  ? { workloads: 60, seeds: 2, faultWindowMs: 20_000 }
  : { workloads: 20, seeds: 1, faultWindowMs: 5_000 };
const SEEDS = chaosSeeds(SIZE.seeds);
const FINISH_BOUND_MS = FULL ? 180_000 : 90_000;
const MAX_ATTEMPTS = 100;
/** Answers a client retries: the gateway could not reach the API server, or asked it to slow down. */
const RETRYABLE = new Set(['INTERNAL', 'UNAVAILABLE', 'RATE_LIMITED']);
/** What an error answer must never carry: addresses, stack frames, Kubernetes wording. */
const INTERNALS = [
  /127\.0\.0\.1/,
  /https?:\/\//,
  /\bat .+:\d+:\d+/,
  /kube-apiserver/i,
  /ECONN|EPIPE|socket/i,
];

const RULES: FaultRule[] = [
  { kind: 'latency', p: 0.4, ms: [20, 200] },
  { kind: '5xx', p: 0.1 },
  { kind: 'drop', p: 0.05 },
  { kind: 'drop-after', p: 0.15, methods: ['POST'] },
  { kind: 'watch-410', p: 0.2 },
  { kind: 'watch-cut', p: 0.4, ms: [200, 2000] },
  { kind: 'watch-error', p: 0.2, ms: [200, 2000] },
];

interface SubmitAnswer {
  submitWorkload: { created: boolean; workload: { id: string } };
}

describe('chaos: the gateway behind the fault proxy', () => {
  let client: KubeClient;
  let harness: ChaosHarness;
  let proxy: FaultProxy;

  beforeAll(async () => {
    client = testClient();
    harness = new ChaosHarness(client, FINISH_BOUND_MS);
    await installCrds(client);
    proxy = await FaultProxy.start({ upstreamKubeconfig: testKubeconfig(), seed: BASE_SEED });
  });
  afterAll(async () => {
    await proxy?.close();
    client?.close();
  });

  for (const seed of SEEDS)
    it(`(j) ~${SIZE.workloads} submissions with retries while the gateway's API traffic fails (seed ${seed})`, async () => {
      proxy.reset(seed);
      const random = seededRandom(seed ^ 0x6a7e);
      const system = harness.track(await createTestNamespace(client, 'chaos-system'));
      const tenantNs = await harness.twoTenants('cgw');
      let controller: RunningController | undefined;
      let gw: TestGateway | undefined;
      const recorders = new Map(tenantNs.map((ns) => [ns, new Recorder(ns)]));
      const violations: string[] = [];
      let reading = false;
      let cutter: NodeJS.Timeout | undefined;
      try {
        controller = await startTestController({
          namespace: system,
          identity: 'chaos-gateway',
          accountingIntervalMs: 1000,
        });
        gw = await startTestGateway({
          namespace: system,
          kubeconfig: proxy.kubeconfig,
          rateLimit: { burst: 1000, perSecond: 1000 },
        });
        const url = gw.gateway.url;
        const tokens = new Map<string, string>();
        for (const ns of tenantNs) tokens.set(ns, await gw.token({ tenant: ns }));
        await harness.poolsDiscovered();
        for (const ns of tenantNs)
          await waitFor(`tenant ${ns} known to the gateway`, async () => {
            const r = await gql<{ me: { tenant: { name: string } | null } }>(
              url,
              tokens.get(ns),
              '{ me { tenant { name } } }',
            );
            return r.data?.me?.tenant?.name === ns ? true : undefined;
          });
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

        /** An error answer must name a stable code and carry nothing of the gateway's internals. */
        const inspect = (what: string, r: Pick<GqlResponse, 'status' | 'errors'>) => {
          for (const e of r.errors ?? []) {
            const text = JSON.stringify(e);
            const leak = INTERNALS.find((p) => p.test(text));
            if (leak) violations.push(`${what}: error answer leaks ${leak}: ${text}`);
          }
          if (r.status >= 500 && !(r.errors ?? []).every((e) => e.extensions.code === 'INTERNAL'))
            violations.push(`${what}: HTTP ${r.status} without an INTERNAL error`);
        };

        // Tenants read their lists all along: never a workload of another namespace.
        reading = true;
        let reads = 0;
        const reader = (async () => {
          while (reading) {
            for (const ns of tenantNs) {
              const r = await gql<{ workloads: { edges: { node: { id: string } }[] } }>(
                url,
                tokens.get(ns),
                '{ workloads(first: 100) { edges { node { id } } } }',
              ).catch(() => undefined);
              if (!r) continue;
              reads++;
              inspect(`workloads of ${ns}`, r);
              for (const e of r.data?.workloads.edges ?? [])
                if (!e.node.id.startsWith(`${ns}/`))
                  violations.push(`tenant ${ns} listed ${e.node.id}, not its own`);
            }
            await sleep(300);
          }
        })();

        proxy.setRules(RULES);
        cutter = setInterval(() => {
          for (let k = proxy.cutWatches(); k > 0; k--) proxy.note('watch-cut');
        }, 2000);
        let retries = 0;
        const keys = new Map<string, Set<string>>(); // key → ids answered for it
        for (let i = 0; i < SIZE.workloads; i++) {
          const ns = tenantNs[Math.floor(random() * tenantNs.length)]!;
          const key = `${ns}-k${i}`;
          const input = {
            idempotencyKey: key,
            sandbox: { runFor: `${2 + Math.floor(random() * 3)}s` },
            spec: aSpec({
              accelerators: { count: 1 + Math.floor(random() * 2), vendors: ['amd', 'nvidia', 'intel'] },
            }),
          };
          for (let attempt = 0; ; attempt++) {
            const r = await gql<SubmitAnswer>(url, tokens.get(ns), SUBMIT, { input }).catch((e: Error) => ({
              status: 0,
              data: undefined,
              errors: undefined,
              body: e.message,
            }));
            inspect(`submit ${key}`, r);
            const answered = r.data?.submitWorkload?.workload.id;
            if (answered) {
              keys.set(key, (keys.get(key) ?? new Set()).add(answered));
              break;
            }
            const codes = (r.errors ?? []).map((e) => e.extensions.code);
            if (r.status !== 0 && !codes.every((c) => RETRYABLE.has(c))) {
              violations.push(`submit ${key}: refused with ${codes.join(',')} (${JSON.stringify(r.errors)})`);
              break;
            }
            // A submission makes ~4 API calls through the proxy, each failing ~30 % of the time: an
            // attempt succeeds about one time in six, so 100 attempts fail together ~1e-8 of the time.
            if (attempt >= MAX_ATTEMPTS) {
              violations.push(
                `submit ${key}: still failing after ${MAX_ATTEMPTS} retries; last answer HTTP ${r.status}: ${JSON.stringify(r.errors ?? r.body).slice(0, 300)}`,
              );
              break;
            }
            retries++;
            await sleep(200);
          }
        }
        await sleep(SIZE.faultWindowMs);
        clearInterval(cutter);
        proxy.setRules([]);
        const stoppedAt = Date.now();
        reading = false;
        await reader;

        // Every key: one id; every tenant namespace: exactly the workloads of its keys.
        for (const [key, ids] of keys)
          if (ids.size !== 1) violations.push(`key ${key} answered with ${[...ids].join(', ')}`);
        for (const ids of keys.values()) {
          const [ns, name] = [...ids][0]!.split('/');
          const w = await client.get<Workload>(Workloads, name!, ns).catch(() => undefined);
          if (!w) violations.push(`${ns}/${name} was answered but does not exist`);
          else submitted.set(`${ns}/${name}`, w.metadata.uid!);
        }
        const after = await harness.afterFaults(scope, stoppedAt);
        after.violations.unshift(...(await safety.stop()), ...violations);
        console.log(
          `chaos gateway: ${keys.size} keys, ${retries} retried submissions, ${reads} tenant list reads`,
        );
        const r = report(
          { scenario: 'gateway', seed, faults: proxy.countsText(), workloads: keys.size },
          after,
        );
        expect(r.violations).toEqual([]);
        expect(keys.size).toBe(SIZE.workloads);
      } finally {
        reading = false; // a failed scenario must not leave its readers and timers running
        clearInterval(cutter);
        for (const r of recorders.values()) await r.stop().catch(() => undefined);
        await gw?.stop();
        await controller?.stop();
        await harness.cleanUp();
      }
    });
});
