// Secrets never reach the gateway's logs: requests are logged (pino), the Authorization header of
// each — development token, API key, a malformed token — is not, and neither is it in error bodies.
import { PassThrough } from 'node:stream';
import { Tenants, type KubeClient } from '@kentaur/k8s-runtime';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';
import { gql, startTestGateway, type TestGateway } from '../support/gateway';
import { createTenant } from '../support/tenants';

describe('gateway logs', () => {
  let client: KubeClient;
  let gw: TestGateway;
  let system: string;
  let tenant: string;
  const logs: string[] = [];

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    system = await createTestNamespace(client, 'kentaur-system');
    tenant = await createTenant(client, { name: 'logs', quota: { guaranteedCU: 1, limitCU: 2 } });
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    gw = await startTestGateway({ namespace: system, logLevel: 'info', logStream });
  });

  /** Where the log is now: `accessLinesSince` reads the lines written after it. */
  const logMark = () => logs.join('').split('\n').length;

  /** The access-log lines of /graphql written since `mark`, once pino (asynchronous) has written them. */
  async function accessLinesSince(mark: number): Promise<Record<string, unknown>[]> {
    await new Promise((r) => setTimeout(r, 200));
    return logs
      .join('')
      .split('\n')
      .slice(mark - 1)
      .filter((l) => l.includes('"url":"/graphql"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  afterAll(async () => {
    await gw?.stop();
    for (const ns of [system, tenant]) if (ns) await deleteTestNamespace(client, ns);
    if (tenant) await client.delete(Tenants, tenant).catch(() => undefined);
    client.close();
  });

  it('logs requests without their tokens or keys', async () => {
    const devToken = await gw.token({ tenant });
    const url = gw.gateway.url;
    const key = await gql<{ createApiKey: { key: string } }>(
      url,
      devToken,
      'mutation { createApiKey(description: "log test") { key } }',
    );
    const apiKey = key.data!.createApiKey.key;
    const forged = `${devToken.slice(0, -4)}AAAA`;
    const answers = [
      await gql(url, devToken, '{ me { subject } }'),
      await gql(url, apiKey, '{ me { subject } }'),
      await gql(url, forged, '{ me { subject } }'),
      await gql(
        url,
        'kt_0123456789abcdef_not-a-real-secret-but-long-enough-to-look-real',
        '{ me { subject } }',
      ),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 401, 401]);
    await new Promise((r) => setTimeout(r, 200)); // pino writes asynchronously
    const text = logs.join('');
    expect(text).toMatch(/"url":"\/graphql"/); // requests are logged…
    // The key is kt_<id>_<secret>; the secret is base64url, which may itself hold '_'.
    const keySecret = /^kt_[0-9a-f]+_(.+)$/.exec(apiKey)![1]!;
    expect(keySecret.length).toBeGreaterThan(40);
    for (const secret of [devToken, apiKey, forged, keySecret]) expect(text).not.toContain(secret);
    for (const a of answers) expect(JSON.stringify(a.body)).not.toContain(devToken.split('.')[2]!);
  });

  it('writes one access-log line per request, once answered, with its operation and tenant', async () => {
    const token = await gw.token({ tenant });
    const marker = `/graphql?probe=${Date.now()}`;
    const before = logMark();
    const answer = await fetch(
      `${gw.gateway.url}${marker}&query=${encodeURIComponent('{ me { subject } }')}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(answer.status).toBe(200);
    const lines = await accessLinesSince(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request',
      method: 'GET',
      url: '/graphql', // the path only: the query string holds the document
      status: 200,
      operation: 'me',
      tenant,
    });
    expect(typeof lines[0]!['ms']).toBe('number');
    expect(logs.join('')).not.toContain('incoming request');
  });

  it('names the operation a request picks from a document of several (POST body and GET query string)', async () => {
    const token = await gw.token({ tenant });
    const document = 'query Who { me { subject } } query Keys { apiKeys { id } }';
    const before = logMark();
    const post = await fetch(`${gw.gateway.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: document, operationName: 'Keys' }),
    });
    const get = await fetch(
      `${gw.gateway.url}/graphql?query=${encodeURIComponent(document)}&operationName=Who`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect([post.status, get.status]).toEqual([200, 200]);
    expect(((await post.json()) as { data?: object }).data).toHaveProperty('apiKeys');
    expect(((await get.json()) as { data?: object }).data).toHaveProperty('me');
    const lines = await accessLinesSince(before);
    expect(lines.map((l) => [l['method'], l['operation']])).toEqual([
      ['POST', 'apiKeys'],
      ['GET', 'me'],
    ]);
  });
});
