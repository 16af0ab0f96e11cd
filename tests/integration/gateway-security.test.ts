import { type KubeClient, Tenants } from '@kentaur/k8s-runtime';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';
import { aSpec, gql, rawGql, SUBMIT, startTestGateway, wsClient, type TestGateway } from '../support/gateway';
import { createTenant } from '../support/tenants';

describe('probe', () => {
  let client: KubeClient;
  let gw: TestGateway;
  let prod: TestGateway;
  let ns: string;
  let tenant: string;
  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    ns = await createTestNamespace(client, 'kentaur-system');
    tenant = await createTenant(client, { name: 'probe', quota: { guaranteedCU: 10, limitCU: 20 } });
    gw = await startTestGateway({ namespace: ns });
    prod = await startTestGateway({ namespace: ns, mode: 'production' });
  });
  afterAll(async () => {
    await gw?.stop();
    await prod?.stop();
    await deleteTestNamespace(client, ns);
    await deleteTestNamespace(client, tenant);
    await client.delete(Tenants, tenant).catch(() => undefined);
    client.close();
  });
  it('probes', async () => {
    const t = await gw.token({ tenant });
    const admin = await gw.token({ admin: true });
    const out: unknown[] = [];
    const log = (name: string, r: unknown) => out.push({ name, r });
    log('missing acc', await gql(gw.gateway.url, t, SUBMIT, { input: { spec: { kind: 'Batch', maxDuration: '1h', template: { image: 'x' } } } }));
    log('big body', await rawGql(gw.gateway.url, t, JSON.stringify({ query: '{ me { subject } }', variables: { x: 'y'.repeat(300 * 1024) } })));
    log('immediate key', await (async () => {
      const c = await gql<{ createApiKey: { key: string } }>(gw.gateway.url, t, 'mutation { createApiKey(description: "x") { key info { id } } }');
      const key = c.data!.createApiKey.key;
      const m = await gql(gw.gateway.url, key, '{ me { subject } }');
      return { c, m };
    })());
    log('ws deep', await (async () => {
      const ws = wsClient(gw.gateway.url, t);
      const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: workload { id }`).join(' ');
      try {
        const it = ws.iterate({ query: `subscription { workloadEvents(id: "x/y") { ${aliases} nope } }` });
        const res: unknown[] = [];
        for await (const e of it) { res.push(e); break; }
        return res;
      } catch (e) { return String(e); } finally { await ws.dispose(); }
    })());
    log('cordon', await gql(gw.gateway.url, admin, 'mutation { cordonPool(name: "nope") { name } }'));
    log('cordon slash', await gql(gw.gateway.url, admin, 'mutation { cordonPool(name: "a/../b") { name } }'));
    log('cordon dotdot', await gql(gw.gateway.url, admin, 'mutation { cordonPool(name: "..") { name } }'));
    log('memory', await gql(gw.gateway.url, t, SUBMIT, { input: { spec: aSpec({ template: { image: 'r/x:1', memory: '1e400' } }) } }));
    log('cpu', await gql(gw.gateway.url, t, SUBMIT, { input: { spec: aSpec({ template: { image: 'r/x:1', cpu: '99999999999999999999999' } }) } }));
    log('prod sugg', await gql(prod.gateway.url, undefined, '{ me { subjekt } }'));
    log('prod var sugg', await gql(prod.gateway.url, undefined, 'query($s: WorkloadSpecInput!) { quote(spec: $s) { portable } }', { s: { kind: 'Batch', acelerators: { count: 1 }, template: { image: 'x' } } }));
    log('prod introspection', await gql(prod.gateway.url, undefined, '{ __schema { types { name } } }'));
    log('prod type', await gql(prod.gateway.url, undefined, '{ __type(name: "Query") { name } }'));
    const batch = JSON.stringify(Array.from({ length: 6 }, () => ({ query: '{ __typename }' })));
    log('batch', await rawGql(gw.gateway.url, t, batch));
    log('get', await (await fetch(`${gw.gateway.url}/graphql?query=${encodeURIComponent('{ me { subject } }')}`, { headers: { authorization: `Bearer ${t}` } })).text());
    log('usage', await gql(gw.gateway.url, t, '{ usage(from: "yesterday", to: "2026-01-01T00:00:00Z") { from } }'));
    log('first', await gql(gw.gateway.url, t, '{ workloads(first: 1000) { totalCount } }'));
    log('after', await gql(gw.gateway.url, t, '{ workloads(after: "zzz") { totalCount } }'));
    log('id', await gql(gw.gateway.url, t, '{ workload(id: "x/../y") { id } }'));
    log('transparency at', await gql(gw.gateway.url, undefined, '{ transparency(at: "9999999999-01-01") { energyKWh } }'));
    log('transparency json', await (await fetch(`${gw.gateway.url}/transparency.json?at=garbage`)).text());
    log('bad json', await rawGql(gw.gateway.url, t, '{"query": '));
    require('node:fs').writeFileSync('/tmp/probe/out.json', JSON.stringify(out, null, 1));
  });
});
