// The tenant's whole path through the gateway over real HTTP and WebSocket: submit, list, watch
// (graphql-ws subscription fed by the gateway's Kubernetes watch), cancel, quote; and the isolation
// matrix: another tenant's token can neither read, list, watch nor change a tenant's workloads,
// nor learn that they exist.
import type { Tenant, Workload } from '@kentaur/api';
import type { RunningController } from '@kentaur/controller';
import { type KubeClient, Tenants, waitFor, Workloads } from '@kentaur/k8s-runtime';
import { createTestNamespace, deleteTestNamespacesAndWait, testClient } from '../support/cluster';
import { startTestController } from '../support/controller';
import { installCrds } from '../support/crds';
import { aSpec, gql, startTestGateway, SUBMIT, wsClient, type TestGateway } from '../support/gateway';
import { floorToSecond, podDeviceHours } from '../support/pods';
import { createTenant } from '../support/tenants';

describe('e2e: the gateway', () => {
  let client: KubeClient;
  let controller: RunningController;
  let gw: TestGateway;
  let url: string;
  const namespaces: string[] = [];
  let acme: string;
  let other: string;
  let acmeToken: string;
  let otherToken: string;

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    const system = await createTestNamespace(client, 'kentaur-system');
    namespaces.push(system);
    controller = await startTestController({
      namespace: system,
      identity: 'e2e-gateway',
      startTimeoutMs: 20_000,
      accountingIntervalMs: 1000,
    });
    // The gateway reads the controller's ledger, as in `kentaur up`.
    gw = await startTestGateway({ namespace: system, ledger: controller.ledger });
    url = gw.gateway.url;
    // One MI300X replica of 8 devices is 10.48 CU: a limit of 11 CU lets acme run one at a time.
    acme = await createTenant(client, { name: 'acme', quota: { guaranteedCU: 11, limitCU: 11 } });
    other = await createTenant(client, { name: 'other', quota: { guaranteedCU: 20, limitCU: 80 } });
    namespaces.push(acme, other);
    acmeToken = await gw.token({ tenant: acme });
    otherToken = await gw.token({ tenant: other });
    await waitFor('tenants cached by the gateway', () =>
      Promise.resolve(gw.gateway.state.tenant(other) ? true : undefined),
    );
    await waitFor(
      'AMD pool discovered and idle',
      async () => {
        const r = await gql<{ capacity: { entries: { vendor: string; total: number; free: number }[] } }>(
          url,
          acmeToken,
          '{ capacity { entries { vendor total free } } }',
        );
        const amd = r.data?.capacity.entries.find((e) => e.vendor === 'amd');
        return amd && amd.total === 16 && amd.free === 16 ? amd : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });

  afterAll(async () => {
    await gw?.stop();
    await controller?.stop();
    await deleteTestNamespacesAndWait(client, namespaces);
    for (const t of [acme, other]) if (t) await client.delete(Tenants, t).catch(() => undefined);
    client.close();
  });

  const amdOnly = (runFor: string, idempotencyKey?: string) => ({
    idempotencyKey,
    sandbox: { runFor },
    spec: aSpec({ accelerators: { count: 8, vendors: ['amd'] } }),
  });

  async function submit(token: string, input: Record<string, unknown>) {
    const r = await gql<{ submitWorkload: { created: boolean; workload: { id: string; phase: string } } }>(
      url,
      token,
      SUBMIT,
      { input },
    );
    expect(r.errors).toBeUndefined();
    return r.data!.submitWorkload;
  }

  it('submits, lists and watches a workload through Queued → Admitted → Running → Succeeded', async () => {
    const first = await submit(acmeToken, amdOnly('4s'));
    expect(first.created).toBe(true);
    await waitFor('first workload admitted', async () => {
      const r = await gql<{ workload: { phase: string } }>(
        url,
        acmeToken,
        'query($id: ID!) { workload(id: $id) { phase } }',
        {
          id: first.workload.id,
        },
      );
      return ['Admitted', 'Running'].includes(r.data?.workload.phase ?? '') ? true : undefined;
    });
    // The second does not fit the tenant's quota until the first ends: it waits in the queue.
    const second = await submit(acmeToken, amdOnly('2s', 'second-run'));
    const ws = wsClient(url, acmeToken);
    const phases: string[] = [];
    try {
      const events = ws.iterate<{
        workloadEvents: { type: string; phase: string; workload: { id: string } };
      }>({
        query: 'subscription($id: ID!) { workloadEvents(id: $id) { type phase workload { id } } }',
        variables: { id: second.workload.id },
      });
      for await (const e of events) {
        expect(e.errors).toBeUndefined();
        expect(e.data!.workloadEvents.workload.id).toBe(second.workload.id);
        const phase = e.data!.workloadEvents.phase;
        if (phases.at(-1) !== phase) phases.push(phase);
      }
    } finally {
      await ws.dispose();
    }
    // The stream ends by itself after the terminal phase.
    expect(phases.filter((p) => p !== 'Pending')).toEqual(['Queued', 'Admitted', 'Running', 'Succeeded']);

    const list = await gql<{
      workloads: {
        totalCount: number;
        edges: { node: { id: string; phase: string; admission: { vendor: string } } }[];
      };
    }>(
      url,
      acmeToken,
      '{ workloads(first: 10) { totalCount edges { node { id phase admission { vendor } } } } }',
    );
    expect(list.data!.workloads.edges.map((e) => e.node.id)).toEqual(
      expect.arrayContaining([first.workload.id, second.workload.id]),
    );
    expect(list.data!.workloads.edges.find((e) => e.node.id === second.workload.id)?.node).toMatchObject({
      phase: 'Succeeded',
      admission: { vendor: 'amd' },
    });

    // A retry with the same idempotency key returns the first submission, not a second workload.
    const again = await submit(acmeToken, amdOnly('2s', 'second-run'));
    expect(again).toMatchObject({ created: false, workload: { id: second.workload.id } });
    const objects = await client.list<Workload>(Workloads, { namespace: acme });
    expect(objects.items).toHaveLength(2);
  });

  it('explains in the workload why it waits, and cancels it', async () => {
    const running = await submit(acmeToken, amdOnly('60s'));
    await waitFor('first workload admitted', async () => {
      const r = await gql<{ workload: { phase: string } }>(
        url,
        acmeToken,
        'query($id: ID!) { workload(id: $id) { phase } }',
        {
          id: running.workload.id,
        },
      );
      return ['Admitted', 'Running'].includes(r.data?.workload.phase ?? '') ? true : undefined;
    });
    const waiting = await submit(acmeToken, amdOnly('60s'));
    const q = `query($id: ID!) { workload(id: $id) { phase queuePosition waitReason } }`;
    const queued = await waitFor('second workload queued with a reason', async () => {
      const r = await gql<{ workload: { phase: string; queuePosition: number; waitReason: string } }>(
        url,
        acmeToken,
        q,
        {
          id: waiting.workload.id,
        },
      );
      return r.data?.workload.phase === 'Queued' ? r.data.workload : undefined;
    });
    expect(queued.waitReason).toMatch(/quota/);
    expect(queued.queuePosition).toBeGreaterThanOrEqual(1);
    for (const id of [waiting.workload.id, running.workload.id]) {
      const c = await gql<{ cancelWorkload: { cancelRequested: boolean } }>(
        url,
        acmeToken,
        'mutation($id: ID!) { cancelWorkload(id: $id) { cancelRequested } }',
        { id },
      );
      expect(c.data?.cancelWorkload.cancelRequested).toBe(true);
    }
    for (const id of [waiting.workload.id, running.workload.id])
      await waitFor(`${id} cancelled`, async () => {
        const r = await gql<{ workload: { phase: string } }>(url, acmeToken, q, { id });
        return r.data?.workload.phase === 'Cancelled' ? true : undefined;
      });
  });

  it('quotes a portable spec on at least three vendors and explains the infeasible ones', async () => {
    const r = await gql<{
      quote: {
        portable: boolean;
        options: {
          vendor: string;
          eurPerHour: number;
          estimatedEUR: number;
          estimatedKWh: number;
          estimatedCO2eKg: number;
          estimatedStartAt: string | null;
          waitReason: string | null;
        }[];
        infeasible: { vendor: string; code: string; reason: string }[];
      };
    }>(
      url,
      otherToken,
      `query($spec: WorkloadSpecInput!) { quote(spec: $spec) {
        portable options { vendor eurPerHour estimatedEUR estimatedKWh estimatedCO2eKg estimatedStartAt waitReason }
        infeasible { vendor code reason } } }`,
      { spec: aSpec({ replicas: 2, maxDuration: '2h', accelerators: { count: 8 } }) },
    );
    expect(r.errors).toBeUndefined();
    const vendors = new Set(r.data!.quote.options.map((o) => o.vendor));
    expect([...vendors].sort()).toEqual(expect.arrayContaining(['amd', 'intel', 'nvidia']));
    expect(r.data!.quote.portable).toBe(true);
    for (const o of r.data!.quote.options) {
      expect(o.estimatedEUR).toBeCloseTo(o.eurPerHour * 2, 6);
      expect(o.estimatedKWh).toBeGreaterThan(0);
      // A start time, or — when the pool is held by work without an end — the reason it waits.
      if (o.estimatedStartAt === null) expect(o.waitReason).toEqual(expect.any(String));
      else expect(Date.parse(o.estimatedStartAt)).not.toBeNaN();
    }
    expect(r.data!.quote.options.some((o) => o.estimatedStartAt !== null)).toBe(true);
    // Tenstorrent p150 nodes have 4 chips: a replica of 8 cannot fit on one node.
    expect(r.data!.quote.infeasible).toContainEqual({
      vendor: 'tenstorrent',
      code: 'shape',
      reason: expect.stringMatching(/at most 4 devices/),
    });
    // Quoting created nothing.
    expect((await client.list<Workload>(Workloads, { namespace: other })).items).toHaveLength(0);
  });

  describe("isolation: another tenant cannot read, list, watch or change acme's workloads", () => {
    let victim: string;

    beforeAll(async () => {
      victim = (await submit(acmeToken, amdOnly('300s', 'victim'))).workload.id;
    });

    const notFound = (r: { errors?: { extensions: { code: string }; message: string }[] }) => {
      expect(r.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
      // Same answer as for an id that does not exist: nothing tells that it does.
      expect(r.errors?.[0]?.message).not.toMatch(/forbidden|permission|belongs|another tenant/i);
    };

    it.each([
      ['workload(id)', 'query($id: ID!) { workload(id: $id) { id } }'],
      ['workload(id) { events }', 'query($id: ID!) { workload(id: $id) { events { reason } } }'],
      ['cancelWorkload(id)', 'mutation($id: ID!) { cancelWorkload(id: $id) { id } }'],
    ])('%s answers NOT_FOUND, exactly as for a missing id', async (_name, query) => {
      const theirs = await gql(url, otherToken, query, { id: victim });
      const missing = await gql(url, otherToken, query, { id: `${other}/does-not-exist` });
      notFound(theirs);
      notFound(missing);
      expect(theirs.errors![0]!.message.replace(victim, 'ID')).toBe(
        missing.errors![0]!.message.replace(`${other}/does-not-exist`, 'ID'),
      );
    });

    it("workloads lists only the caller's own, with every filter", async () => {
      for (const filter of [
        {},
        { namePrefix: 'w-' },
        { phases: ['Pending', 'Queued', 'Admitted', 'Running'] },
        { vendor: 'amd' },
      ]) {
        const r = await gql<{ workloads: { totalCount: number; edges: { node: { id: string } }[] } }>(
          url,
          otherToken,
          'query($f: WorkloadFilter) { workloads(filter: $f, first: 100) { totalCount edges { node { id } } } }',
          { f: filter },
        );
        expect(r.data!.workloads.edges.every((e) => e.node.id.startsWith(`${other}/`))).toBe(true);
        expect(r.data!.workloads.totalCount).toBe(r.data!.workloads.edges.length);
      }
    });

    it('workloadEvents refuses to watch it', async () => {
      const ws = wsClient(url, otherToken);
      try {
        const errors = await new Promise<unknown>((resolve) =>
          ws.subscribe(
            {
              query: 'subscription($id: ID!) { workloadEvents(id: $id) { phase } }',
              variables: { id: victim },
            },
            { next: (v) => resolve(v), error: (e) => resolve(e), complete: () => resolve('completed') },
          ),
        );
        expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })]);
      } finally {
        await ws.dispose();
      }
    });

    it("usage counts only the caller's own work", async () => {
      const now = Date.now();
      const r = await gql<{ usage: { rows: { deviceHours: number }[] } }>(
        url,
        otherToken,
        'query($from: String!, $to: String!) { usage(from: $from, to: $to) { rows { deviceHours } } }',
        { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.usage.rows.reduce((a, x) => a + x.deviceHours, 0)).toBe(0);
    });

    it('the same idempotency key in another tenant makes another workload, in its own namespace', async () => {
      const mine = await submit(otherToken, amdOnly('1s', 'victim'));
      expect(mine.created).toBe(true);
      expect(mine.workload.id.startsWith(`${other}/`)).toBe(true);
      const v = await client.get<Workload>(Workloads, victim.split('/')[1]!, acme);
      expect(v.spec.cancel).toBeUndefined();
    });

    it('admin operations are refused to tenants', async () => {
      for (const q of [
        '{ tenants { name } }',
        '{ pools { name } }',
        'mutation { cordonPool(name: "dk-1-amd-mi300x") { name } }',
      ]) {
        const r = await gql(url, otherToken, q);
        expect(r.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
      }
      const t = await client.get<Tenant>(Tenants, acme);
      expect(t.metadata.name).toBe(acme);
    });
  });

  it('both apps expose Prometheus metrics of what just happened, labelled without workload names', async () => {
    const gatewayText = await (await fetch(`${url}/metrics`)).text();
    expect(gatewayText).toMatch(
      /kentaur_gateway_request_duration_seconds_count{operation="submitWorkload",status="200"} [1-9]/,
    );
    expect(gatewayText).toMatch(/kentaur_gateway_errors_total{operation="workload",code="NOT_FOUND"} [1-9]/);
    expect(gatewayText).toMatch(/kentaur_gateway_process_resident_memory_bytes \d+/);
    // The quote above ran the queue (ADR 17).
    expect(gatewayText).toMatch(/kentaur_gateway_queue_run_seconds_count [1-9]/);
    const controllerText = await (await fetch(`http://127.0.0.1:${controller.healthPort}/metrics`)).text();
    expect(controllerText).toMatch(
      /kentaur_devices{site="dk-1",vendor="amd",model="MI300X",pool="dk-1-amd-mi300x",state="capacity"} 16/,
    );
    expect(controllerText).toMatch(
      /kentaur_admission_attempts_total{result="admitted",reason="admitted"} [1-9]/,
    );
    expect(controllerText).toMatch(/kentaur_admission_attempts_total{result="waiting",reason="quota"} [1-9]/);
    expect(controllerText).toMatch(
      /kentaur_queue_wait_seconds_count{priority_class="standard",tier="sme"} [1-9]/,
    );
    expect(controllerText).toMatch(/kentaur_scheduling_cycle_duration_seconds_count [1-9]/);
    expect(controllerText).toMatch(
      /kentaur_reconcile_duration_seconds_count{controller="workloads",outcome="success"} [1-9]/,
    );
    expect(controllerText).toMatch(
      /kentaur_api_requests_total{verb="PUT",code="200",resource="workloads\/status",site=""} [1-9]/,
    );
    expect(controllerText).toMatch(/kentaur_controller_leading 1/);
    // Finished work keeps the site it was admitted to.
    expect(controllerText).toMatch(/kentaur_workloads{phase="Succeeded",tier="sme",site="dk-1"} [1-9]/);
    for (const text of [gatewayText, controllerText]) expect(text).not.toMatch(/w-[0-9a-f]{12}/);
  });

  it('accounts every finished admission in the ledger once, without gaps, and the spend reaches the Tenant', async () => {
    const finished = (await client.list<Workload>(Workloads, { namespace: acme })).items.filter(
      (w) => w.status?.phase === 'Succeeded',
    );
    expect(finished.length).toBeGreaterThan(0);
    for (const w of finished) {
      // Metered usage: whole seconds, like the pods' own times.
      const admittedAt = floorToSecond(Date.parse(w.status!.admission!.admittedAt));
      const end = floorToSecond(
        Date.parse(w.status!.conditions!.find((c) => c.type === 'Finished')!.lastTransitionTime),
      );
      const intervals = await waitFor(`${w.metadata.name} accounted to its end`, async () => {
        const list = await controller.ledger.intervalsOf(w.metadata.uid!);
        return list.at(-1)?.endMs === end ? list : undefined;
      });
      expect(intervals[0]!.startMs).toBe(admittedAt);
      intervals.slice(1).forEach((x, k) => expect(x.startMs).toBe(intervals[k]!.endMs)); // contiguous
      // The sum of usage is the device-time the pods really ran (the bar is 1 %; it is exact).
      const ran = await podDeviceHours(client, w);
      const deviceHours = intervals.reduce((a, x) => a + x.deviceHours, 0);
      expect(Math.abs(deviceHours - ran)).toBeLessThanOrEqual(0.01 * ran);
      expect(deviceHours).toBeCloseTo(ran, 9);
    }
    const spent = await controller.ledger.monthSpentEUR(acme, Date.now());
    expect(spent).toBeGreaterThan(0);
    await waitFor('monthSpentEUR in the Tenant status', async () => {
      const t = await client.get<Tenant>(Tenants, acme);
      return Math.abs((t.status?.monthSpentEUR ?? 0) - spent) < 1e-3 ? t : undefined;
    });
  });

  it('publishes transparency figures from the ledger, without a token and without names', async () => {
    const now = Date.now();
    const month = {
      fromMs: Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1),
      toMs: now + 60_000,
    };
    const ledgerDeviceHours = async () =>
      (await controller.ledger.usage({ ...month, groupBy: [] }))[0]?.deviceHours ?? 0;
    // Work is still running and accounted every second: the report lies between two readings.
    const before = await ledgerDeviceHours();
    const res = await fetch(`${url}/transparency.json?period=month`);
    const after = await ledgerDeviceHours();
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      energyKWh: number;
      deviceHours: number;
      facilityOverheadKWh: number;
      tiers: { tier: string; deviceHours: number; share: number }[];
      vendors: { vendor: string; deviceHours: number }[];
    };
    expect(report.deviceHours).toBeGreaterThanOrEqual(before - 1e-9);
    expect(report.deviceHours).toBeLessThanOrEqual(after + 1e-9);
    expect(report.energyKWh).toBeGreaterThan(0);
    // PUE 1.2 (the default): a sixth of the facility energy is overhead.
    expect(report.facilityOverheadKWh).toBeCloseTo(report.energyKWh * (1 - 1 / 1.2), 6);
    expect(report.tiers.find((t) => t.tier === 'sme')?.deviceHours).toBeGreaterThan(0);
    expect(JSON.stringify(report)).not.toMatch(new RegExp(`${acme}|${other}|w-[0-9a-f]{12}`));
    const q = await gql<{ transparency: { deviceHours: number } }>(
      url,
      undefined,
      '{ transparency(period: MONTH) { deviceHours } }',
    );
    expect(q.data?.transparency.deviceHours).toBeCloseTo(report.deviceHours, 3);
  });
});
