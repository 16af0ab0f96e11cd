// What every chaos scenario does around its faults (tests/chaos/*.test.ts, docs/reliability.md):
// two tenants, a seeded stream of short Batch workloads submitted straight to the API server, the
// safety invariants sampled every second while the faults run, then convergence (recovery measured),
// completion and the full invariant check, and one summary line per scenario.
import type { AcceleratorPool, Workload } from '@kentaur/api';
import {
  AcceleratorPools,
  isAlreadyExists,
  KubeApiError,
  type KubeClient,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { deleteTestNamespacesAndWait } from './cluster';
import { checkInvariants, checkSafety, type InvariantScope, unsettled } from './invariants';
import { seededRandom } from './random';
import { createTenant } from './tenants';

export const FULL = process.env.KENTAUR_CHAOS === 'full';
export const BASE_SEED = Number(process.env.KENTAUR_CHAOS_SEED ?? 20_261_122);
/** The seeds each scenario runs with: one reduced, `count` full, or the one KENTAUR_CHAOS_SEED names. */
export function chaosSeeds(count: number): number[] {
  return process.env.KENTAUR_CHAOS_SEED
    ? [BASE_SEED]
    : Array.from({ length: count }, (_, i) => BASE_SEED + i);
}
/** After the faults stop, the controller must converge within this (all work settled)... */
export const CONVERGE_BOUND_MS = 60_000;
const POOLS = ['dk-1-amd-mi300x', 'dk-1-nvidia-h100', 'dk-1-intel-gaudi3'];
const VENDORS = ['amd', 'nvidia', 'intel'];
const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ScenarioResult {
  summary: string;
  violations: string[];
  recoveryMs: number;
}

export interface AfterFaults {
  recoveryMs: number;
  violations: string[];
}

/** Namespaces and tenants of one test file, and the steps its scenarios share. */
export class ChaosHarness {
  private readonly namespaces: string[] = [];
  private readonly tenants: string[] = [];
  /** Safety samplers still running: a scenario that failed midway never stopped its own. */
  private readonly samplers = new Set<() => Promise<string[]>>();

  constructor(
    readonly client: KubeClient,
    /** ...and all the (short) work must have finished within this after the faults stopped. */
    readonly finishBoundMs: number,
  ) {}

  /** A namespace to delete at cleanUp (lease or system namespaces). */
  track(namespace: string): string {
    this.namespaces.push(namespace);
    return namespace;
  }

  async cleanUp(): Promise<void> {
    for (const stop of [...this.samplers]) await stop();
    await deleteTestNamespacesAndWait(this.client, this.namespaces.splice(0));
    for (const t of this.tenants.splice(0)) await this.client.delete(Tenants, t).catch(() => undefined);
  }

  /** Two tenants: a small one whose limit makes work queue (and must hold), and a bigger one. */
  async twoTenants(tag: string): Promise<string[]> {
    const small = await createTenant(this.client, {
      name: `${tag}-s`,
      quota: { guaranteedCU: 2, limitCU: 6 },
    });
    const big = await createTenant(this.client, {
      name: `${tag}-b`,
      quota: { guaranteedCU: 10, limitCU: 30 },
      tier: 'commercial',
    });
    this.namespaces.push(small, big);
    this.tenants.push(small, big);
    return [small, big];
  }

  async poolsDiscovered(): Promise<void> {
    for (const pool of POOLS)
      await waitFor(
        `${pool} discovered`,
        async () => {
          const p = await this.client.get<AcceleratorPool>(AcceleratorPools, pool).catch(() => undefined);
          return (p?.status?.devices?.capacity ?? 0) > 0 ? p : undefined;
        },
        { timeoutMs: 60_000 },
      );
  }

  /**
   * The seeded workload mix: 1 replica of 1–2 devices on any of three vendors, 2–4 s of run time.
   * `prefix` keeps the names of several batches of one scenario apart.
   */
  workloadMix(seed: number, tenantNs: string[], count: number, prefix = 'w'): Workload[] {
    const random = seededRandom(seed ^ 0x5eed);
    return Array.from({ length: count }, (_, i) => {
      const ns = tenantNs[Math.floor(random() * tenantNs.length)]!;
      const w = makeWorkload(`${prefix}-${String(i).padStart(3, '0')}`, ns)
        .kind('Batch')
        .replicas(1)
        .accelerators({ count: 1 + Math.floor(random() * 2), vendors: VENDORS })
        .image('registry.example/chaos/job:1')
        .maxDuration('1h')
        .obj();
      w.metadata.annotations = { 'sandbox.kentaur.io/run-for': `${2 + Math.floor(random() * 3)}s` };
      return w;
    });
  }

  /**
   * Submits each workload (directly, not through any proxy) and records the UID it got. A create
   * that fails for want of an API server (restarted by the scenario) is retried until it answers:
   * a tenant's client would retry too. An AlreadyExists after such a retry means the first create
   * landed unheard; the object's UID is then read back.
   */
  async submitAll(ws: Workload[], submitted: Map<string, string>, gapMs: number): Promise<void> {
    for (const w of ws) {
      const key = `${w.metadata.namespace}/${w.metadata.name}`;
      submitted.set(key, await this.createOnce(w));
      await sleep(gapMs);
    }
  }

  private async createOnce(w: Workload): Promise<string> {
    const deadline = Date.now() + 60_000;
    for (let tried = false; ; tried = true) {
      try {
        return (await this.client.create<Workload>(Workloads, w)).metadata.uid!;
      } catch (e) {
        if (tried && isAlreadyExists(e)) {
          const got = await this.client.get<Workload>(Workloads, w.metadata.name!, w.metadata.namespace);
          return got.metadata.uid!;
        }
        // No answer at all (connection refused or reset), or a server error: the API server (or
        // its CRD paths, after a restart) is not back yet.
        const status = e instanceof KubeApiError ? e.statusCode : undefined;
        const transient = status === undefined || status >= 500 || status === 429;
        if (!transient || Date.now() > deadline) throw e;
        await sleep(250);
      }
    }
  }

  /** Samples the safety invariants every second until stopped; returns each distinct violation once. */
  sampleSafety(scope: InvariantScope): { stop: () => Promise<string[]> } {
    const seen = new Set<string>();
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const v of await checkSafety(scope).catch(() => [] as string[])) seen.add(v);
        await sleep(1000);
      }
    })();
    const stop = async () => {
      running = false;
      this.samplers.delete(stop);
      await loop;
      return [...seen];
    };
    this.samplers.add(stop);
    return { stop };
  }

  /**
   * After the faults stopped: converged within the bound (recovery measured), then all work
   * finished, then every invariant (retried for up to 30 s while the ledger catches up).
   */
  async afterFaults(scope: InvariantScope, stoppedAt: number): Promise<AfterFaults> {
    const violations: string[] = [];
    let last: string[] = [];
    let recoveryMs = -1;
    while (Date.now() - stoppedAt < CONVERGE_BOUND_MS) {
      last = await unsettled(scope).catch((e: Error) => [`checker: ${e.message}`]);
      if (last.length === 0) {
        recoveryMs = Date.now() - stoppedAt;
        break;
      }
      await sleep(250);
    }
    if (recoveryMs < 0)
      violations.push(`not converged ${CONVERGE_BOUND_MS} ms after the faults stopped: ${last.join('; ')}`);
    let notDone: string[] = [];
    await waitFor(
      'all workloads finished',
      async () => {
        notDone = [];
        for (const ns of scope.tenants)
          for (const w of (await this.client.list<Workload>(Workloads, { namespace: ns })).items)
            if (!TERMINAL.has(w.status?.phase ?? ''))
              notDone.push(
                `${ns}/${w.metadata.name}: ${w.status?.phase} attempts=${w.status?.attempts} ${w.status?.queue?.reason ?? ''}`,
              );
        return notDone.length === 0 ? true : undefined;
      },
      { timeoutMs: this.finishBoundMs, intervalMs: 500 },
    ).catch(() =>
      violations.push(
        `not all finished ${this.finishBoundMs} ms after the faults stopped: ${notDone.join('; ')}`,
      ),
    );
    let final: string[];
    const deadline = Date.now() + 30_000;
    do {
      final = await checkInvariants(scope).catch((e: Error) => [`checker: ${e.message}`]);
      if (final.length === 0) break;
      await sleep(1000);
    } while (Date.now() < deadline);
    violations.push(...final);
    const rewrites = [...(scope.recorders?.values() ?? [])].flatMap((r) =>
      [...r.finishRewrites.values()].flat(),
    );
    if (rewrites.length)
      console.log(
        `KWOK rewrote ${rewrites.length} pod finish(es) after reporting them; ledger-vs-pod device-time not compared for those workloads: ${rewrites.join('; ')}`,
      );
    return { recoveryMs, violations };
  }
}

export interface ScenarioRun {
  scenario: string;
  seed: number;
  /** The faults injected, by kind (e.g. FaultProxy.countsText()). */
  faults: string;
  workloads: number;
}

/** Prints and returns the scenario's summary line: `chaos <name> seed=<n>: faults=… workloads=… violations=… recovery=…`. */
export function report(run: ScenarioRun, r: AfterFaults): ScenarioResult {
  const recovery = r.recoveryMs < 0 ? 'none' : `${r.recoveryMs}ms`;
  const summary = `chaos ${run.scenario} seed=${run.seed}: faults=${run.faults} workloads=${run.workloads} violations=${r.violations.length} recovery=${recovery}`;
  console.log(r.violations.length ? `${summary}\n  ${r.violations.join('\n  ')}` : summary);
  return { summary, violations: r.violations, recoveryMs: r.recoveryMs };
}

/** Faults a scenario injected outside a proxy (restarts, kills, handovers), counted by kind. */
export class FaultTally {
  private readonly counts = new Map<string, number>();

  note(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** `kind:n,...` sorted by kind, with `more` (e.g. a proxy's counts) merged in; `none` when empty. */
  text(more = ''): string {
    const parts = [...this.counts.entries()].map(([k, n]) => `${k}:${n}`);
    if (more && more !== 'none') parts.push(...more.split(','));
    return parts.length ? parts.sort().join(',') : 'none';
  }
}
