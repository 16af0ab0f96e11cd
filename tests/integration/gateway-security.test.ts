import { AcceleratorPools, type KubeClient, Pods, Tenants } from '@kentaur/k8s-runtime';
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
    gw = await startTestGateway({ namespace: ns, rateLimit: { burst: 100000, perSecond: 100000 } });
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
    const wsTry = async (query: string, token = t) => {
      const ws = wsClient(gw.gateway.url, token);
      try {
        const res: unknown[] = [];
        for await (const e of ws.iterate({ query })) { res.push(e); break; }
        return res;
      } catch (e) { return { thrown: JSON.stringify(e) }; } finally { await ws.dispose(); }
    };
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: workload { id }`).join(' ');
    log('ws aliases bad id', await wsTry(`subscription { workloadEvents(id: "x/y") { ${aliases} } }`));
    const sub = await gql<{ submitWorkload: { workload: { id: string } } }>(gw.gateway.url, t, SUBMIT, { input: { spec: aSpec() } });
    const id = sub.data!.submitWorkload.workload.id;
    log('ws aliases good id', await wsTry(`subscription { workloadEvents(id: "${id}") { ${aliases} } }`));
    log('ws unknown field', await wsTry(`subscription { workloadEvents(id: "${id}") { nope } }`));
    log('ws long', await wsTry(`# ${'x'.repeat(20000)}\nsubscription { workloadEvents(id: "${id}") { type } }`));
    log('ws no token', await wsTry(`subscription { workloadEvents(id: "${id}") { type } }`, ''));
    const fails: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const c = await gql<{ createApiKey: { key: string; info: { id: string } } }>(gw.gateway.url, t, 'mutation { createApiKey(description: "x") { key info { id } } }');
      const m = await gql(gw.gateway.url, c.data!.createApiKey.key, '{ me { subject } }');
      if (m.errors) fails.push(m.errors);
      const r = await gql(gw.gateway.url, t, `mutation { revokeApiKey(id: "${c.data!.createApiKey.info.id}") }`);
      fails.push(['revoke', r.data]);
    }
    log('key race', fails);
    log('pod 1e400', await client.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: tenant }, spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, resources: { limits: { memory: '1e400', cpu: '99999999999999999999999' } } }] } } as never, { dryRun: true }).then(() => 'ok', (e: Error) => e.message));
    log('pools', (await client.list(AcceleratorPools)).items.map((p) => p.metadata?.name));
    require('node:fs').writeFileSync('/tmp/probe/out.json', JSON.stringify(out, null, 1));
  });
});
