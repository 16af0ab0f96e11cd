// The gateway's response cache (ADR 19) against the sandbox's API server, over real HTTP: a repeated
// read is answered again byte for byte; a change to what it read is in the very next answer, once
// the gateway's cache has it; changes elsewhere leave it cached; tenants never share answers; errors
// and fields that ask the API server are never kept. No controller runs here: workloads stay Pending
// and change only as the test changes them.
import type { Tenant, Workload } from '@kentaur/api';
import { type KubeClient, Tenants, waitFor, Workloads } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { createTenant } from '../support/tenants';

const UNLIMITED = { burst: 100_000, perSecond: 100_000 };
const PAGE = `{ workloads(first: 50) { edges { node { id name phase cancelRequested } } } }`;
const ONE = `query($id: ID!) { workload(id: $id) { id name cancelRequested } }`;

interface Answer {
  status: number;
  text: string;
}

describe('gateway response cache (ADR 19)', () => {
  let client: KubeClient;
  let gw: TestGateway;
  let a: string;
  let b: string;
  let extra: string;
  let tokenA: string;
  let tokenB: string;
  let adminToken: string;

  /** The answer's status and body as sent (the support's gql() parses it). */
  const post = async (
    token: string,
    query: string,
    variables?: object,
    url = gw.gateway.url,
  ): Promise<Answer> => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, text: await res.text() };
  };

  /** kentaur_gateway_response_cache_total by result, from the gateway's /metrics. */
  const counts = async (url = gw.gateway.url): Promise<{ hit: number; stored: number }> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const count = (result: string) =>
      Number(
        new RegExp(`^kentaur_gateway_response_cache_total\\{result="${result}"\\} (\\d+)`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    return { hit: count('hit'), stored: count('stored') };
  };

  const createWorkload = async (name: string, namespace: string) => {
    await client.create(Workloads, makeWorkload(name, namespace).obj());
    await waitFor(`${namespace}/${name} in the gateway's cache`, () =>
      Promise.resolve(gw.gateway.state.workloads.get(`${namespace}/${name}`)),
    );
  };

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    a = await createTenant(client, { name: 'cache-a', quota: { guaranteedCU: 10, limitCU: 20 } });
    b = await createTenant(client, { name: 'cache-b', quota: { guaranteedCU: 10, limitCU: 20 } });
    extra = await createTestNamespace(client, 'cache-a-more');
    gw = await startTestGateway({ rateLimit: UNLIMITED });
    [tokenA, tokenB, adminToken] = await Promise.all([
      gw.token({ tenant: a }),
      gw.token({ tenant: b }),
      gw.token({ admin: true }),
    ]);
    await waitFor('tenants cached', () =>
      Promise.resolve(gw.gateway.state.tenant(a) && gw.gateway.state.tenant(b)),
    );
    await createWorkload('first', a);
    await createWorkload('theirs', b);
  });

  afterAll(async () => {
    await gw?.stop();
    for (const t of [a, b]) if (t) await client.delete(Tenants, t).catch(() => undefined);
    for (const ns of [a, b, extra]) if (ns) await deleteTestNamespace(client, ns);
    client.close();
  });

  it('answers a repeated read again, byte for byte, and counts it', async () => {
    const before = await counts();
    const first = await post(tokenA, PAGE);
    const second = await post(tokenA, PAGE);
    expect(first.status).toBe(200);
    expect(first.text).toContain(`"${a}/first"`);
    expect(second.text).toBe(first.text);
    const after = await counts();
    expect(after.stored - before.stored).toBe(1);
    expect(after.hit - before.hit).toBe(1);
  });

  it("has a change to the tenant's workloads in the very next answer once the gateway's cache has it", async () => {
    await post(tokenA, PAGE);
    const kept = await post(tokenA, PAGE);
    expect(kept.text).toContain('"cancelRequested":false');

    await client.patch<Workload>(
      Workloads,
      'first',
      { spec: { cancel: true } },
      { namespace: a, patchType: 'merge' },
    );
    await waitFor('the cancel in the gateway cache', () =>
      Promise.resolve(gw.gateway.state.workloads.get(`${a}/first`)?.spec.cancel || undefined),
    );
    expect((await post(tokenA, PAGE)).text).toContain('"cancelRequested":true');
    expect((await post(tokenA, ONE, { id: `${a}/first` })).text).toContain('"cancelRequested":true');

    await createWorkload('second', a);
    expect((await post(tokenA, PAGE)).text).toContain(`"${a}/second"`);

    await client.delete(Workloads, 'second', { namespace: a });
    await waitFor('the delete in the gateway cache', () =>
      Promise.resolve(gw.gateway.state.workloads.get(`${a}/second`) ? undefined : true),
    );
    expect((await post(tokenA, PAGE)).text).not.toContain(`"${a}/second"`);
  });

  it("keeps a tenant's answer while only another tenant's workloads change", async () => {
    const kept = await post(tokenA, PAGE);
    const before = await counts();
    await createWorkload('elsewhere', b);
    const again = await post(tokenA, PAGE);
    expect(again.text).toBe(kept.text);
    expect((await counts()).hit - before.hit).toBe(1);
  });

  it('never gives one tenant the answer kept for another', async () => {
    await post(tokenA, PAGE);
    await post(tokenA, PAGE);
    const theirs = await post(tokenB, PAGE);
    expect(theirs.text).toContain(`"${b}/theirs"`);
    expect(theirs.text).not.toContain(`"${a}/`);
    const one = await post(tokenB, ONE, { id: `${a}/first` });
    expect(one.text).toContain('NOT_FOUND');
    expect(one.text).not.toContain(`"${a}/first"`);
  });

  it('tells principals apart even where what they read changed last at the same moment', async () => {
    // A Tenant that sees b's namespace and a's: after a change in b, its stamp and b's are the same
    // number, and so is an administrator's; the answers differ, and only the key tells them apart.
    const wide = `${b}-wide`;
    await client.create<Tenant>(Tenants, {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name: wide },
      spec: { displayName: 'wide', tier: 'sme', namespaces: [b, a], quota: { guaranteedCU: 1, limitCU: 1 } },
    });
    try {
      await waitFor('the wide tenant cached', () => Promise.resolve(gw.gateway.state.tenant(wide)));
      const tokenWide = await gw.token({ tenant: wide });
      await createWorkload('same-moment', b);
      const theirs = await post(tokenWide, PAGE);
      expect(theirs.text).toContain(`"${a}/first"`);
      expect((await post(tokenB, PAGE)).text).not.toContain(`"${a}/`);
      await post(tokenB, PAGE);
      const all = await post(adminToken, PAGE);
      expect(all.text).toContain(`"${a}/first"`);
      expect(all.text).toContain(`"${b}/same-moment"`);
    } finally {
      await client.delete(Tenants, wide).catch(() => undefined);
    }
  });

  it('keeps no answer with errors, and none of a field that asks the API server', async () => {
    const before = await counts();
    for (let i = 0; i < 2; i++) {
      expect((await post(tokenB, ONE, { id: `${a}/first` })).text).toContain('NOT_FOUND');
      const events = await post(tokenA, `{ workload(id: "${a}/first") { id events { reason } } }`);
      expect(events.status).toBe(200);
      expect(events.text).toContain('"events"');
    }
    expect(await counts()).toEqual(before);
  });

  it("sees a namespace added to the tenant's Tenant in the next answer", async () => {
    await post(tokenA, PAGE);
    await client.create(Workloads, makeWorkload('moved-in', extra).obj());
    await waitFor('the workload in the gateway cache', () =>
      Promise.resolve(gw.gateway.state.workloads.get(`${extra}/moved-in`)),
    );
    expect((await post(tokenA, PAGE)).text).not.toContain('moved-in');
    const tenant = await client.get<Tenant>(Tenants, a);
    await client.patch<Tenant>(
      Tenants,
      a,
      { spec: { namespaces: [...tenant.spec.namespaces, extra] } },
      { patchType: 'merge' },
    );
    await waitFor('the namespace in the gateway cache', () =>
      Promise.resolve(gw.gateway.state.tenant(a)?.spec.namespaces.includes(extra) || undefined),
    );
    expect((await post(tokenA, PAGE)).text).toContain(`"${extra}/moved-in"`);
  });

  it("gives an administrator every tenant's changes", async () => {
    await post(adminToken, PAGE);
    const kept = await post(adminToken, PAGE);
    expect(kept.text).toContain(`"${b}/theirs"`);
    await createWorkload('latest', b);
    expect((await post(adminToken, PAGE)).text).toContain(`"${b}/latest"`);
  });

  it('keeps nothing when it is given no room', async () => {
    const off = await startTestGateway({
      rateLimit: UNLIMITED,
      responseCache: { maxBytes: 0, maxBodyBytes: 0 },
    });
    try {
      const token = await off.token({ tenant: a });
      await waitFor('the workloads cached', () =>
        Promise.resolve(off.gateway.state.workloads.get(`${a}/first`)),
      );
      const url = off.gateway.url;
      const [first, second] = [
        await post(token, PAGE, undefined, url),
        await post(token, PAGE, undefined, url),
      ];
      expect(second.text).toBe(first.text);
      expect(first.text).toContain(`"${a}/first"`);
      expect(await counts(url)).toEqual({ hit: 0, stored: 0 });
    } finally {
      await off.stop();
    }
  });
});
