// The invariant checker of the chaos suite (docs/reliability.md): reads what the real API server and
// the usage ledger hold — never the controller's caches — and returns every violation as a line of
// text. Safety invariants (no pool, node or tenant over its capacity or limit) hold at every moment
// and are sampled while faults run; the others are checked once the controller has converged.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import {
  admissionObjectName,
  type AcceleratorPool,
  ATTEMPT_LABEL,
  type Tenant,
  WORKLOAD_LABEL,
  WORKLOAD_PHASES,
  type Workload,
  workloadKeyOfObject,
} from '@kentaur/api';
import {
  AcceleratorPools,
  Deployments,
  Jobs,
  type KubeClient,
  type KubeObject,
  Nodes,
  Pods,
  Tenants,
  Workloads,
} from '@kentaur/k8s-runtime';
import type { Ledger } from '@kentaur/ledger';
import type { Recorder } from './cluster-recorder';
import { floorToSecond, podDeviceHours } from './pods';

const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);
/** Phases in which an admission holds devices (ADR 5: the admission is in status and in the pool). */
const HOLDING = new Set(['Admitted', 'Running']);
const WAITING = new Set(['Pending', 'Queued', 'Preempted']);
const EPSILON = 1e-6;

export interface InvariantScope {
  client: KubeClient;
  /** The tenants under test (Tenant objects are named after their namespace: tests/support/tenants.ts). */
  tenants: readonly string[];
  /** Every Workload the test submitted, `namespace/name` → UID the create answered with. */
  submitted: ReadonlyMap<string, string>;
  /** The ledger the controller accounts into; absent: ledger invariants are not checked. */
  ledger?: Ledger;
  /** How long the last ledger interval may run on past a workload's finish (ADR 8); default 60 s. */
  ledgerLagMs?: number;
  /** Watches of each tenant namespace (Jobs ever created), by namespace. */
  recorders?: ReadonlyMap<string, Recorder>;
}

interface World {
  pools: AcceleratorPool[];
  nodes: Node[];
  tenants: Tenant[];
  workloads: Workload[];
  objects: KubeObject[];
}

const keyOf = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
/** The workload a Job or Deployment belongs to: its workload label (its name is the admission's, ADR 16). */
const devicesOf = (placement: { devices: number }[] | undefined) =>
  (placement ?? []).reduce((a, p) => a + p.devices, 0);

async function read(scope: InvariantScope): Promise<World> {
  const { client } = scope;
  const [pools, nodes, tenants] = await Promise.all([
    client.list<AcceleratorPool>(AcceleratorPools),
    client.list<Node>(Nodes),
    client.list<Tenant>(Tenants),
  ]);
  const workloads: Workload[] = [];
  const objects: KubeObject[] = [];
  for (const ns of scope.tenants) {
    const [ws, jobs, deps] = await Promise.all([
      client.list<Workload>(Workloads, { namespace: ns }),
      client.list<Job>(Jobs, { namespace: ns, labelSelector: WORKLOAD_LABEL }),
      client.list<Deployment>(Deployments, { namespace: ns, labelSelector: WORKLOAD_LABEL }),
    ]);
    workloads.push(...ws.items);
    objects.push(...jobs.items, ...deps.items);
  }
  return {
    pools: pools.items,
    nodes: nodes.items,
    tenants: tenants.items.filter((t) => scope.tenants.includes(t.metadata.name!)),
    workloads,
    objects,
  };
}

/** Devices a node offers: the sum of its allocatable extended resources (`vendor.com/gpu`, ...). */
function nodeDevices(n: Node): number {
  return Object.entries(n.status?.allocatable ?? {})
    .filter(([k]) => k.includes('/'))
    .reduce((a, [, v]) => a + Number(v), 0);
}

/**
 * Safety, true at every moment whatever the faults: no pool's reservations or admissions exceed its
 * capacity, no node's exceed its devices, no tenant holds more compute units than its limit.
 */
function safety(w: World): string[] {
  const out: string[] = [];
  const nodeCap = new Map(w.nodes.map((n) => [n.metadata!.name!, nodeDevices(n)]));
  const perNodeReserved = new Map<string, number>();
  const perNodeWho = new Map<string, string[]>();
  for (const pool of w.pools) {
    const name = pool.metadata.name!;
    const capacity = pool.status?.devices?.capacity ?? 0;
    const reservations = Object.values(pool.status?.reservations ?? {});
    const reserved = reservations.reduce((a, r) => a + devicesOf(r.nodes), 0);
    if (reserved > capacity)
      out.push(`pool ${name} over-allocated: reservations hold ${reserved} devices of ${capacity}`);
    for (const [key, r] of Object.entries(pool.status?.reservations ?? {}))
      for (const n of r.nodes) {
        perNodeReserved.set(n.node, (perNodeReserved.get(n.node) ?? 0) + n.devices);
        perNodeWho.set(n.node, [
          ...(perNodeWho.get(n.node) ?? []),
          `${name}:${key}@${r.attempt}x${n.devices}`,
        ]);
      }
    const admitted = w.workloads.filter(
      (x) => HOLDING.has(x.status?.phase ?? '') && x.status?.admission?.pool === name,
    );
    const held = admitted.reduce((a, x) => a + devicesOf(x.status!.admission!.placement), 0);
    if (held > capacity)
      out.push(
        `pool ${name} over-allocated: admitted workloads hold ${held} devices of ${capacity} (${admitted.map(keyOf).join(', ')})`,
      );
  }
  for (const [node, reserved] of perNodeReserved) {
    const cap = nodeCap.get(node) ?? 0;
    if (reserved > cap)
      out.push(`node ${node} over-allocated: reservations hold ${reserved} devices of ${cap}`);
  }
  for (const t of w.tenants) {
    const ns = new Set(t.spec.namespaces);
    const holding = w.workloads.filter(
      (x) => ns.has(x.metadata.namespace!) && HOLDING.has(x.status?.phase ?? '') && x.status?.admission,
    );
    const cu = holding.reduce((a, x) => a + x.status!.admission!.computeUnits, 0);
    if (cu > t.spec.quota.limitCU + EPSILON)
      out.push(
        `tenant ${t.metadata.name} above its limit: holds ${cu.toFixed(3)} CU > limitCU ${t.spec.quota.limitCU} (${holding.map(keyOf).join(', ')})`,
      );
  }
  return out;
}

/** The safety invariants only: cheap enough to sample every second while faults run. */
export async function checkSafety(scope: InvariantScope): Promise<string[]> {
  return safety(await read(scope));
}

/**
 * Why each submitted workload has not settled yet (empty: converged). Settled: finished; or holding
 * its admission with exactly its objects; or waiting with a reason in its status.
 */
export async function unsettled(scope: InvariantScope): Promise<string[]> {
  const w = await read(scope);
  const byKey = new Map(w.workloads.map((x) => [keyOf(x), x]));
  const out: string[] = [];
  for (const key of scope.submitted.keys()) {
    const x = byKey.get(key);
    const phase = x?.status?.phase;
    if (!x) out.push(`${key}: missing`);
    else if (TERMINAL.has(phase ?? '')) continue;
    else if (HOLDING.has(phase ?? '')) {
      const objs = w.objects.filter((o) => workloadKeyOfObject(o) === key);
      if (objs.length !== 1 || objs[0]!.metadata?.labels?.[ATTEMPT_LABEL] !== String(x.status?.attempts))
        out.push(`${key}: ${phase} attempt ${x.status?.attempts} without exactly its object`);
    } else if (!x.status?.queue?.reason) out.push(`${key}: ${phase ?? 'no phase'} without a reason`);
  }
  return out;
}

/**
 * Every invariant, on a converged system: safety; each submitted workload present once (same UID,
 * nothing unexpected beside it) in a valid phase consistent with its admission; each admission with
 * exactly its objects and no object orphaned, stale or created twice; pools' reservations naming
 * only live admissions; ledger intervals per admission contiguous, not overlapping, starting at the
 * admission and (for finished work) ending at its finish.
 */
export async function checkInvariants(scope: InvariantScope): Promise<string[]> {
  const w = await read(scope);
  const out = safety(w);
  const byKey = new Map(w.workloads.map((x) => [keyOf(x), x]));
  const valid = new Set<string>(WORKLOAD_PHASES);

  // Each submitted workload exactly once, and nothing else.
  for (const [key, uid] of scope.submitted) {
    const x = byKey.get(key);
    if (!x) out.push(`${key}: submitted but not present`);
    else if (x.metadata.uid !== uid)
      out.push(`${key}: present with another UID (${x.metadata.uid}, submitted ${uid})`);
  }
  for (const key of byKey.keys())
    if (!scope.submitted.has(key)) out.push(`${key}: present but never submitted`);

  for (const x of w.workloads) {
    const key = keyOf(x);
    const s = x.status;
    const phase = s?.phase ?? '';
    if (!valid.has(phase)) {
      out.push(`${key}: invalid phase ${JSON.stringify(s?.phase)}`);
      continue;
    }
    if (HOLDING.has(phase) && !s?.admission) out.push(`${key}: ${phase} without status.admission`);
    if (WAITING.has(phase) && s?.admission)
      out.push(`${key}: ${phase} but still holds an admission to ${s.admission.pool}`);
    if ((HOLDING.has(phase) || phase === 'Succeeded') && !((s?.attempts ?? 0) >= 1))
      out.push(`${key}: ${phase} with attempts ${s?.attempts}`);
    if (WAITING.has(phase) && !s?.queue?.reason)
      out.push(`${key}: ${phase} without a reason in status.queue`);

    // Its objects: exactly one of this attempt while it holds or after it ran; none while it waits.
    const objs = w.objects.filter((o) => workloadKeyOfObject(o) === key);
    const current = objs.filter((o) => o.metadata?.labels?.[ATTEMPT_LABEL] === String(s?.attempts));
    const stale = objs.filter((o) => o.metadata?.labels?.[ATTEMPT_LABEL] !== String(s?.attempts));
    const kinds = objs.map(
      (o) =>
        `${o.kind ?? (x.spec.kind === 'Batch' ? 'Job' : 'Deployment')}@${o.metadata?.labels?.[ATTEMPT_LABEL]}`,
    );
    if (HOLDING.has(phase) && current.length !== 1)
      out.push(
        `${key}: ${phase} attempt ${s?.attempts} has ${current.length} objects of that attempt [${kinds.join(', ')}]`,
      );
    if (stale.length)
      out.push(`${key}: objects of another attempt than ${s?.attempts}: [${kinds.join(', ')}]`);
    if (WAITING.has(phase) && objs.length) out.push(`${key}: ${phase} but has objects [${kinds.join(', ')}]`);
    for (const o of objs) {
      const named = admissionObjectName(x.metadata.name!, o.metadata?.labels?.[ATTEMPT_LABEL] ?? '?');
      if (o.metadata?.name !== named)
        out.push(`${key}: object ${o.metadata?.name} is not named for its admission (${named})`);
      const owner = o.metadata?.ownerReferences?.find((r) => r.controller);
      if (owner?.uid !== x.metadata.uid)
        out.push(
          `${key}: object ${o.metadata?.name} owned by ${owner?.uid ?? 'nobody'}, not the workload ${x.metadata.uid}`,
        );
    }
    // Created twice: more Jobs ever than admissions.
    const rec = scope.recorders?.get(x.metadata.namespace!);
    const ever = rec?.jobAttempts.get(x.metadata.name!);
    if (ever) {
      const perAttempt = new Map<string, number>();
      for (const a of ever.values()) perAttempt.set(a, (perAttempt.get(a) ?? 0) + 1);
      for (const [a, n] of perAttempt)
        if (n > 1)
          out.push(`${key}: ${n} Jobs were created for attempt ${a} (UIDs ${[...ever.keys()].join(', ')})`);
    }
  }
  // Objects labelled for a workload that does not exist.
  for (const o of w.objects)
    if (!byKey.has(workloadKeyOfObject(o) ?? ''))
      out.push(
        `orphan ${o.kind ?? 'object'} ${keyOf(o)} (labelled for workload ${o.metadata?.labels?.[WORKLOAD_LABEL]})`,
      );

  // Pools' reservations for the workloads under test name live admissions, and each live admission has one.
  const namespaces = new Set(scope.tenants);
  for (const pool of w.pools) {
    for (const [key, r] of Object.entries(pool.status?.reservations ?? {})) {
      if (!namespaces.has(key.split('/')[0]!)) continue;
      const x = byKey.get(key);
      const live =
        x &&
        HOLDING.has(x.status?.phase ?? '') &&
        x.status?.admission?.pool === pool.metadata.name &&
        x.status?.attempts === r.attempt;
      if (!live)
        out.push(
          `pool ${pool.metadata.name} keeps a reservation for ${key} attempt ${r.attempt} (${devicesOf(r.nodes)} devices) that is no live admission: workload ${x ? `${x.status?.phase} attempts ${x.status?.attempts}` : 'absent'}`,
        );
    }
  }
  for (const x of w.workloads) {
    if (!HOLDING.has(x.status?.phase ?? '') || !x.status?.admission) continue;
    const pool = w.pools.find((p) => p.metadata.name === x.status!.admission!.pool);
    const r = pool?.status?.reservations?.[keyOf(x)];
    if (!r || r.attempt !== x.status.attempts)
      out.push(
        `${keyOf(x)}: admitted to ${x.status.admission.pool} attempt ${x.status.attempts} without its reservation there`,
      );
  }

  // Pods bound to a node never asked for more devices than it has (sampled by the recorders).
  for (const rec of scope.recorders?.values() ?? [])
    for (const o of rec.overallocations)
      out.push(
        `node ${o.node} over-allocated at ${o.at}: pods ask ${o.requested} ${o.resource} of ${o.allocatable} (${o.pods.join(', ')})`,
      );

  if (scope.ledger) out.push(...(await ledgerViolations(scope, w.workloads)));
  return out;
}

/**
 * Ledger intervals per admission: contiguous, never overlapping, from admittedAt on; for finished
 * work, reaching its finish (ADR 8 lets the last one run on past it by at most a tick plus the
 * informer's lag, `ledgerLagMs`), and adding up to the device-time its pods really ran.
 */
async function ledgerViolations(scope: InvariantScope, workloads: Workload[]): Promise<string[]> {
  const ledger = scope.ledger!;
  const lagMs = scope.ledgerLagMs ?? 60_000;
  const out: string[] = [];
  for (const x of workloads) {
    const key = keyOf(x);
    const intervals = await ledger.intervalsOf(x.metadata.uid!);
    const attempts = x.status?.attempts ?? 0;
    if (attempts === 0 && intervals.length)
      out.push(`${key}: never admitted but has ${intervals.length} ledger intervals`);
    const byAttempt = new Map<number, typeof intervals>();
    for (const i of intervals) byAttempt.set(i.attempt, [...(byAttempt.get(i.attempt) ?? []), i]);
    for (const [attempt, list] of byAttempt) {
      if (attempt > attempts)
        out.push(`${key}: ledger intervals for attempt ${attempt}, beyond attempts ${attempts}`);
      for (let k = 1; k < list.length; k++) {
        const gap = list[k]!.startMs - list[k - 1]!.endMs;
        if (gap < 0)
          out.push(
            `${key}: ledger intervals of attempt ${attempt} overlap by ${-gap} ms at ${new Date(list[k]!.startMs).toISOString()}`,
          );
        if (gap > 0)
          out.push(
            `${key}: ledger intervals of attempt ${attempt} leave a gap of ${gap} ms at ${new Date(list[k - 1]!.endMs).toISOString()}`,
          );
      }
    }
    const admission = x.status?.admission;
    if (!admission || attempts === 0) continue;
    const current = byAttempt.get(attempts) ?? [];
    if (x.status?.phase !== 'Succeeded') continue;
    const finished = x.status.conditions?.find((c) => c.type === 'Finished');
    const start = floorToSecond(Date.parse(admission.admittedAt));
    const end = finished ? floorToSecond(Date.parse(finished.lastTransitionTime)) : undefined;
    if (current.length === 0) {
      out.push(`${key}: finished attempt ${attempts} has no ledger interval`);
      continue;
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    if (current[0]!.startMs !== start)
      out.push(`${key}: ledger starts at ${iso(current[0]!.startMs)}, admitted at ${iso(start)}`);
    const last = current.at(-1)!.endMs;
    if (end !== undefined && (last < end || last > end + lagMs))
      out.push(
        `${key}: ledger ends at ${iso(last)}, finished at ${iso(end)} (allowed: up to ${lagMs} ms after)`,
      );
    // KWOK rewrote a pod's finish after reporting it (Recorder.finishRewrites): the ledger billed
    // the first report, the pod now shows the second; the other ledger checks still apply.
    if (scope.recorders?.get(x.metadata.namespace!)?.finishRewrites.has(x.metadata.name!)) continue;
    const billed = current.reduce((a, i) => a + i.deviceHours, 0);
    const ran = await podDeviceHours(scope.client, x).catch(() => undefined);
    if (ran !== undefined && Math.abs(billed - ran) > 1e-9 + 0.01 * ran) {
      const tiles = current.map(
        (i) =>
          `[${iso(i.startMs).slice(11, 19)},${iso(i.endMs).slice(11, 19)})=${(i.deviceHours * 3600).toFixed(1)}`,
      );
      const pods = (
        await scope.client.list<Pod>(Pods, {
          namespace: x.metadata.namespace,
          labelSelector: `${WORKLOAD_LABEL}=${x.metadata.name}`,
        })
      ).items.map(
        (p) =>
          `${p.metadata?.name} ${p.status?.startTime?.slice(11, 19)}→${p.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt?.slice(11, 19)}`,
      );
      out.push(
        `${key}: ledger bills ${(billed * 3600).toFixed(1)} device-seconds, its pods ran ${(ran * 3600).toFixed(1)} (${x.spec.accelerators.count} devices; intervals ${tiles.join(' ')}; pods ${pods.join(', ')}; admitted ${admission.admittedAt.slice(11, 19)}, finished ${finished?.lastTransitionTime.slice(11, 19)})`,
      );
    }
  }
  return out;
}
