// The gateway as an attacker meets it, over real HTTP and WebSocket against the sandbox's API server
// (no controller runs here, so workloads stay Pending). Bad input of every kind is refused with a
// stable code and the field named, and creates nothing; tokens from a local identity provider are
// verified with pinned issuer, audience and algorithm; API keys are stored as hashes and revocable;
// limits, introspection, access rules and error bodies hold on a production gateway. Payloads follow
// the OWASP GraphQL cheat sheet (depth, aliases, batching, introspection, suggestions) and RFC 8725
// (pinned algorithm, issuer and audience).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import WebSocket from 'ws';
import type { Secret } from 'kubernetes-types/core/v1';
import type { Workload } from '@kentaur/api';
import { DEV_ISSUER, JIT_MIN_USES, loadOrCreateDevKey, mintDevToken } from '@kentaur/gateway';
import { type KubeClient, loadKubeconfig, Secrets, Tenants, waitFor, Workloads } from '@kentaur/k8s-runtime';
import { createTestNamespace, deleteTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { installCrds } from '../support/crds';
import {
  aSpec,
  gql,
  rawGql,
  startTestGateway,
  SUBMIT,
  wsClient,
  type GqlResponse,
  type TestGateway,
} from '../support/gateway';
import { createTenant } from '../support/tenants';

const IMAGE = 'registry.example/acme/train:1.4';
const VALID = { spec: aSpec() };
/** High enough that only the rate-limit tests ever meet the limiter. */
const UNLIMITED = { burst: 100_000, perSecond: 100_000 };
const ISSUER = 'https://idp.test';
const AUDIENCE = 'kentaur';
const KID = 'idp-key-1';
/** What an error body must never show: stacks, source paths, the API server. */
const LEAK = /stack|kube-apiserver|https?:\/\/127\.0\.0\.1|node_modules|\.ts:\d+/;

type GqlError = NonNullable<GqlResponse['errors']>[number];

/** What the table's requests need; filled in by beforeAll. */
interface Ctx {
  gw: TestGateway;
  prod: TestGateway;
  tenant: string;
  tenantToken: string;
  /** An API key of `tenant`, created on the sandbox gateway and used on the production one. */
  prodKey: string;
  devKey: Uint8Array;
}

type Send = (c: Ctx) => Promise<GqlResponse>;

interface BadInput {
  name: string;
  send: Send;
  /** Expected `extensions.code` of one of the errors (any of a list where two answers are right). */
  code: string | readonly string[];
  /** The field: `extensions.field` exactly (string), or a pattern its field or message must match. */
  names: string | RegExp;
  /** The HTTP status where it matters (always < 500). */
  status?: number;
}

// Requests of the table ---------------------------------------------------------------------------

const submit =
  (input: Record<string, unknown>): Send =>
  (c) =>
    gql(c.gw.gateway.url, c.tenantToken, SUBMIT, { input });
const submitSpec = (overrides: Record<string, unknown>) => submit({ spec: aSpec(overrides) });
const submitTemplate = (template: Record<string, unknown>) =>
  submitSpec({ template: { image: IMAGE, ...template } });
const ask =
  (query: string, variables?: Record<string, unknown>): Send =>
  (c) =>
    gql(c.gw.gateway.url, c.tenantToken, query, variables);
/** A valid submission with the given token: whatever the token is refused for, nothing is created. */
const submitWithToken =
  (token: (c: Ctx) => Promise<string> | string): Send =>
  async (c) =>
    gql(c.gw.gateway.url, await token(c), SUBMIT, { input: VALID });
const onProduction =
  (query: string, variables?: Record<string, unknown>): Send =>
  (c) =>
    gql(c.prod.gateway.url, c.prodKey, query, variables);
const raw =
  (body: string, headers: Record<string, string> = {}): Send =>
  (c) =>
    rawGql(c.gw.gateway.url, c.tenantToken, body, headers);

/** `__schema { types { fields { type { ofType … { name } } } } }`: 5 + `ofTypes` levels deep. */
const deepIntrospection = (ofTypes: number) =>
  `{ __schema { types { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } } }`;
/** Nine levels, split over named fragments (fragments add no depth and must not hide any). */
const deepInFragments = `{ __schema { ...Types } }
  fragment Types on __Schema { types { fields { type { ...Wrapped } } } }
  fragment Wrapped on __Type { ofType { ofType { ofType { ofType { name } } } } }`;
const aliased = (n: number, selection: string) =>
  Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(' ');

async function signDevToken(key: Uint8Array, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: DEV_ISSUER, sub: 'dev:mallory', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(key);
}

const badInputs: BadInput[] = [
  {
    name: 'missing required field (no accelerators): variable coercion',
    send: submit({ spec: { kind: 'Batch', maxDuration: '1h', template: { image: IMAGE } } }),
    code: 'BAD_USER_INPUT',
    names: /accelerators/,
    status: 400,
  },
  {
    name: 'device count beyond a 32-bit Int: variable coercion',
    send: submitSpec({ accelerators: { count: 3_000_000_000 } }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.accelerators.count',
    status: 400,
  },
  {
    name: 'a namespace smuggled into the input (tenant binding)',
    send: submit({ ...VALID, namespace: 'kube-system' }),
    code: 'BAD_USER_INPUT',
    names: /namespace/,
    status: 400,
  },
  {
    name: 'unknown vendor in accelerators.vendors',
    send: submitSpec({ accelerators: { count: 1, vendors: ['acme-npu'] } }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.accelerators.vendors[0]',
  },
  {
    name: 'negative device count',
    send: submitSpec({ accelerators: { count: -1 } }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.accelerators.count',
  },
  {
    name: 'device count 0',
    send: submitSpec({ accelerators: { count: 0 } }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.accelerators.count',
  },
  {
    name: 'replicas 1000',
    send: submitSpec({ replicas: 1000 }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.replicas',
  },
  {
    name: 'image reference of 600 characters',
    send: submitTemplate({ image: `registry.example/${'a'.repeat(600)}:1` }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.image',
  },
  {
    name: 'command element of 5000 characters',
    send: submitTemplate({ command: ['python', 'x'.repeat(5000)] }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.command[1]',
  },
  {
    name: 'env var NVIDIA_VISIBLE_DEVICES (device selection is Kentaur’s)',
    send: submitTemplate({ env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }] }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.env[0].name',
  },
  {
    name: 'env var of another vendor ending in _VISIBLE_DEVICES',
    send: submitTemplate({
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'XPU_VISIBLE_DEVICES', value: '0,1,2,3' },
      ],
    }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.env[1].name',
  },
  {
    name: '65 env vars',
    send: submitTemplate({ env: Array.from({ length: 65 }, (_, i) => ({ name: `V${i}`, value: 'x' })) }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.env',
  },
  {
    name: 'maxDuration "6 hours"',
    send: submitSpec({ maxDuration: '6 hours' }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.maxDuration',
  },
  {
    name: 'maxDuration "0s"',
    send: submitSpec({ maxDuration: '0s' }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.maxDuration',
  },
  {
    name: 'maxDuration "9999h"',
    send: submitSpec({ maxDuration: '9999h' }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.maxDuration',
  },
  {
    name: 'Batch without maxDuration',
    send: submitSpec({ maxDuration: undefined }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.maxDuration',
  },
  {
    name: 'image for an unknown vendor',
    send: submitTemplate({ images: [{ vendor: 'acme-npu', image: IMAGE }] }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.images[0].vendor',
  },
  {
    name: 'the same vendor twice in images',
    send: submitTemplate({
      images: [
        { vendor: 'amd', image: `${IMAGE}-rocm` },
        { vendor: 'amd', image: `${IMAGE}-rocm6` },
      ],
    }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.images[1].vendor',
  },
  {
    name: 'image for a vendor accelerators.vendors does not allow',
    send: submitSpec({
      accelerators: { count: 1, vendors: ['amd'] },
      template: { images: [{ vendor: 'nvidia', image: IMAGE }] },
    }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.template.images',
  },
  {
    name: 'name "a; rm -rf /"',
    send: submit({ ...VALID, name: 'a; rm -rf /' }),
    code: 'BAD_USER_INPUT',
    names: 'input.name',
  },
  {
    name: 'name "../../etc"',
    send: submit({ ...VALID, name: '../../etc' }),
    code: 'BAD_USER_INPUT',
    names: 'input.name',
  },
  {
    name: 'name "A_B"',
    send: submit({ ...VALID, name: 'A_B' }),
    code: 'BAD_USER_INPUT',
    names: 'input.name',
  },
  {
    name: 'name of 200 characters',
    send: submit({ ...VALID, name: `w${'x'.repeat(199)}` }),
    code: 'BAD_USER_INPUT',
    names: 'input.name',
  },
  {
    name: 'unknown priorityClass',
    send: submitSpec({ priorityClass: 'urgent' }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.priorityClass',
  },
  {
    name: 'unknown placement.optimizeFor',
    send: submitSpec({ placement: { optimizeFor: 'fastest' } }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.placement.optimizeFor',
  },
  {
    name: 'unknown precision',
    send: submitSpec({ accelerators: { count: 1, precisions: ['bf17'] } }),
    code: 'BAD_USER_INPUT',
    names: 'input.spec.accelerators.precisions[0]',
  },
  {
    name: 'idempotencyKey of 300 characters',
    send: submit({ ...VALID, idempotencyKey: 'k'.repeat(300) }),
    code: 'BAD_USER_INPUT',
    names: 'input.idempotencyKey',
  },
  {
    name: 'idempotencyKey with a control character',
    send: submit({ ...VALID, idempotencyKey: 'retry\u0000-1' }),
    code: 'BAD_USER_INPUT',
    names: 'input.idempotencyKey',
  },
  {
    name: 'sandbox run times given to a production gateway',
    send: (c) =>
      gql(c.prod.gateway.url, c.prodKey, SUBMIT, { input: { ...VALID, sandbox: { runFor: '30s' } } }),
    code: 'BAD_USER_INPUT',
    names: 'input.sandbox',
  },
  {
    name: 'quote of a spec with 0 devices',
    send: ask('query($spec: WorkloadSpecInput!) { quote(spec: $spec) { portable } }', {
      spec: aSpec({ accelerators: { count: 0 } }),
    }),
    code: 'BAD_USER_INPUT',
    names: 'spec.accelerators.count',
  },
  {
    name: 'query depth 16 on the sandbox (limit 15 there, for GraphiQL)',
    send: ask(deepIntrospection(11)),
    code: 'QUERY_TOO_COMPLEX',
    names: /depth/,
    status: 400,
  },
  {
    name: 'query depth 9 on production, hidden in named fragments (limit 8)',
    send: onProduction(deepInFragments),
    code: 'QUERY_TOO_COMPLEX',
    names: /depth/,
    status: 400,
  },
  {
    name: 'alias flood: 16 aliases of me { subject }',
    send: ask(`{ ${aliased(16, 'me { subject }')} }`),
    code: 'QUERY_TOO_COMPLEX',
    names: /alias/,
    status: 400,
  },
  {
    name: 'alias batching: 16 aliased submitWorkload in one mutation',
    send: ask(
      `mutation($input: SubmitWorkloadInput!) { ${aliased(16, 'submitWorkload(input: $input) { created }')} }`,
      { input: VALID },
    ),
    code: 'QUERY_TOO_COMPLEX',
    names: /alias/,
    status: 400,
  },
  {
    name: 'batch of 6 submissions in a JSON array',
    send: raw(
      JSON.stringify(Array.from({ length: 6 }, () => ({ query: SUBMIT, variables: { input: VALID } }))),
    ),
    code: 'BATCH_TOO_LARGE',
    names: /batch/,
    status: 400,
  },
  {
    name: 'request body over 256 KiB',
    send: submitTemplate({ args: Array.from({ length: 70 }, () => 'a'.repeat(4000)) }),
    code: ['PAYLOAD_TOO_LARGE', 'BAD_REQUEST'],
    names: /body|large/i,
  },
  {
    name: 'query of more than 15,000 characters',
    send: ask(`# ${'x'.repeat(15_000)}\n${SUBMIT}`, { input: VALID }),
    code: 'QUERY_TOO_COMPLEX',
    names: /length/,
    status: 400,
  },
  {
    name: 'query of more than 1,000 tokens',
    send: ask(`{ me { ${'subject '.repeat(1001)}} }`),
    code: 'QUERY_TOO_COMPLEX',
    names: /tokens/,
    status: 400,
  },
  {
    name: 'bad token (Bearer garbage)',
    send: submitWithToken(() => 'garbage'),
    code: 'UNAUTHENTICATED',
    names: /token/,
    status: 401,
  },
  {
    name: 'Authorization header that is not Bearer',
    send: (c) =>
      rawGql(c.gw.gateway.url, undefined, JSON.stringify({ query: SUBMIT, variables: { input: VALID } }), {
        authorization: 'Basic YWRtaW46YWRtaW4=',
      }),
    code: 'UNAUTHENTICATED',
    names: /Authorization/,
    status: 401,
  },
  {
    name: 'forged API key of the right shape',
    send: submitWithToken(() => `kt_0123456789abcdef_${'A'.repeat(43)}`),
    code: 'UNAUTHENTICATED',
    names: /API key/,
    status: 401,
  },
  {
    name: 'expired development token',
    send: submitWithToken((c) =>
      mintDevToken(c.devKey, { tenant: c.tenant, ttlSeconds: 60 }, new Date(Date.now() - 3_600_000)),
    ),
    code: 'UNAUTHENTICATED',
    names: /expired/,
    status: 401,
  },
  {
    name: 'development token with a wrong audience',
    send: submitWithToken((c) =>
      signDevToken(c.devKey, { aud: 'someone-else', 'kentaur.io/tenant': c.tenant }),
    ),
    code: 'UNAUTHENTICATED',
    names: /"aud"/,
    status: 401,
  },
  {
    name: 'valid token for a tenant that does not exist',
    send: submitWithToken((c) => c.gw.token({ tenant: 'ghost-tenant' })),
    code: 'FORBIDDEN',
    names: /tenant/,
    status: 403,
  },
  {
    name: 'workloads(first: 1000)',
    send: ask('{ workloads(first: 1000) { totalCount } }'),
    code: 'BAD_USER_INPUT',
    names: 'first',
  },
  {
    name: 'malformed after cursor',
    send: ask('{ workloads(first: 5, after: "not-a-cursor") { totalCount } }'),
    code: 'BAD_USER_INPUT',
    names: 'after',
  },
  {
    name: 'malformed workload id "x/../y"',
    send: ask('{ workload(id: "x/../y") { id } }'),
    code: 'NOT_FOUND',
    names: /workload/,
  },
  {
    name: 'usage(from: "yesterday")',
    send: ask('{ usage(from: "yesterday", to: "2026-12-01T00:00:00Z") { from } }'),
    code: 'BAD_USER_INPUT',
    names: 'from',
  },
  {
    name: 'usage over more than 366 days',
    send: ask('{ usage(from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { from } }'),
    code: 'BAD_USER_INPUT',
    names: 'to',
  },
  {
    name: 'API key description of 300 characters',
    send: ask(`mutation { createApiKey(description: "${'d'.repeat(300)}") { key } }`),
    code: 'BAD_USER_INPUT',
    names: 'description',
  },
];

// Helpers ---------------------------------------------------------------------------------------------

/** The first result of a subscription over graphql-ws, or the errors it was refused with. */
async function subscribeOnce(
  url: string,
  token: string,
  query: string,
): Promise<{ data?: unknown; errors?: readonly { message?: string; extensions?: { code?: unknown } }[] }> {
  const ws = wsClient(url, token);
  try {
    for await (const result of ws.iterate({ query })) return result;
    return {};
  } catch (e) {
    return { errors: Array.isArray(e) ? (e as GqlError[]) : [{ message: String(e) }] };
  } finally {
    await ws.dispose();
  }
}

async function post(url: string, token: string | undefined, query: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A local identity provider: an RS256 key pair whose public half a JWKS endpoint serves. */
async function startIdp() {
  const pair = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const publicPem = await exportSPKI(pair.publicKey);
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  return { pair, other, publicJwk, publicPem, server, jwksUrl };
}
type Idp = Awaited<ReturnType<typeof startIdp>>;

// The suite -----------------------------------------------------------------------------------------------

describe('integration: gateway security', () => {
  let client: KubeClient;
  let system: string;
  let acme: string;
  let other: string;
  let keys: string;
  let gw: TestGateway;
  let prod: TestGateway;
  let oidcGw: TestGateway;
  let limited: TestGateway;
  let idp: Idp;
  let adminToken: string;
  let acmeToken: string;
  let otherToken: string;
  let keysToken: string;
  const ctx = {} as Ctx;
  const tenants: string[] = [];
  const gateways: TestGateway[] = [];

  const workloadCount = async (ns: string) =>
    (await client.list<Workload>(Workloads, { namespace: ns })).items.length;

  const start = async (overrides: Parameters<typeof startTestGateway>[0]) => {
    // Subscriptions check their credential again every 300 ms here (15 s by default).
    const g = await startTestGateway({
      namespace: system,
      rateLimit: UNLIMITED,
      subscriptionRecheckMs: 300,
      ...overrides,
    });
    gateways.push(g);
    await waitFor('tenants cached by the gateway', () =>
      Promise.resolve(tenants.every((t) => g.gateway.state.tenant(t)) ? true : undefined),
    );
    return g;
  };

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    // The gateway's own namespace (API-key Secrets), fresh so that parallel files never share keys.
    system = await createTestNamespace(client, 'kentaur-system');
    for (const name of ['acme', 'other', 'keys'])
      tenants.push(await createTenant(client, { name, quota: { guaranteedCU: 20, limitCU: 80 } }));
    [acme, other, keys] = tenants as [string, string, string];
    idp = await startIdp();
    gw = await start({});
    prod = await start({ mode: 'production' });
    oidcGw = await start({
      mode: 'production',
      oidc: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: idp.jwksUrl,
        algorithms: ['RS256'],
        clockToleranceSeconds: 5,
        tenantClaim: 'kentaur_tenant',
        roleClaim: 'kentaur_role',
      },
    });
    limited = await start({ rateLimit: { burst: 5, perSecond: 1 } });
    adminToken = await gw.token({ admin: true });
    acmeToken = await gw.token({ tenant: acme });
    otherToken = await gw.token({ tenant: other });
    keysToken = await gw.token({ tenant: keys });
    // Development tokens are refused in production: the production gateway is used with an API key
    // of acme, created by an administrator on the sandbox gateway (both share the pepper).
    const created = await gql<{ createApiKey: { key: string } }>(
      gw.gateway.url,
      adminToken,
      `mutation($t: String!) { createApiKey(description: "production tests", tenant: $t) { key } }`,
      { t: acme },
    );
    const prodKey = created.data!.createApiKey.key;
    await waitFor('API key known to the production gateway', async () => {
      const r = await gql(prod.gateway.url, prodKey, '{ me { subject } }');
      return r.errors ? undefined : r;
    });
    Object.assign(ctx, {
      gw,
      prod,
      tenant: acme,
      tenantToken: acmeToken,
      prodKey,
      devKey: loadOrCreateDevKey(gw.config.devTokenKeyFile!),
    } satisfies Ctx);
  });

  afterAll(async () => {
    for (const g of gateways) await g.stop();
    if (idp) {
      idp.server.closeAllConnections();
      await new Promise((resolve) => idp.server.close(resolve));
    }
    for (const ns of [system, ...tenants]) if (ns) await deleteTestNamespace(client, ns);
    for (const t of tenants) await client.delete(Tenants, t).catch(() => undefined);
    client.close();
  });

  describe('bad input is refused with a stable code, names the field, and creates nothing', () => {
    it.each(badInputs)('$name', async ({ send, code, names, status }) => {
      const before = await workloadCount(acme);
      const r = await send(ctx);

      expect(r.status).toBeLessThan(500);
      if (status !== undefined) expect(r.status).toBe(status);
      const codes = [code].flat();
      expect(r.errors ?? r.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            extensions: expect.objectContaining({ code: expect.stringMatching(`^(${codes.join('|')})$`) }),
          }),
        ]),
      );
      const error = r.errors!.find((e) => codes.includes(e.extensions.code))!;
      if (typeof names === 'string') expect(error.extensions.field).toBe(names);
      else expect(`${error.extensions.field ?? ''} ${error.message}`).toMatch(names);
      expect(await workloadCount(acme)).toBe(before);
    });
  });

  it('a query used often enough to be compiled still names the bad variable (ADR 14)', async () => {
    // A bad request after k good uses of the same query text, for every k around compilation (the
    // comment makes each k's text a query of its own).
    for (let k = 0; k <= JIT_MIN_USES + 1; k++) {
      const query = `query($spec: WorkloadSpecInput!) { quote(spec: $spec) { options { vendor } } } # ${k}`;
      for (let i = 0; i < k; i++) {
        const good = await gql(ctx.gw.gateway.url, acmeToken, query, { spec: aSpec() });
        expect(good.errors).toBeUndefined();
      }
      // Compilation runs on a later turn of the gateway's event loop.
      await new Promise((r) => setTimeout(r, 20));
      const bad = await gql(ctx.gw.gateway.url, acmeToken, query, {
        spec: aSpec({ accelerators: { count: 3_000_000_000 } }),
      });
      expect(bad.errors?.[0]?.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'spec.accelerators.count',
      });
    }
  });

  it('a query used often enough to be compiled answers as before, with errors or without', async () => {
    const submitted = await gql(ctx.gw.gateway.url, acmeToken, SUBMIT, {
      input: { spec: aSpec(), name: 'compiled-answers' },
    });
    expect(submitted.errors).toBeUndefined();
    const bodies = async (query: string) => {
      const answers: string[] = [];
      for (let i = 0; i < JIT_MIN_USES + 3; i++) {
        const res = await fetch(`${ctx.gw.gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${acmeToken}` },
          body: JSON.stringify({ query }),
        });
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        answers.push(await res.text());
        // Compilation runs on a later turn of the gateway's event loop.
        await new Promise((r) => setTimeout(r, 20));
      }
      return answers;
    };
    const page = await bodies(
      `{ workloads(first: 5) { edges { cursor node { id name phase replicas portable accelerators { count } } } pageInfo { hasNextPage } } }`,
    );
    expect(new Set(page).size).toBe(1);
    expect(JSON.parse(page[0]!)).toMatchObject({
      data: { workloads: { edges: expect.arrayContaining([expect.anything()]) } },
    });
    const missing = await bodies(`{ workload(id: "${acme}/not-there") { id name } }`);
    // graphql-js answers `errors` before `data`, graphql-jit after: the same answer, not the same bytes.
    for (const body of missing) expect(JSON.parse(body)).toEqual(JSON.parse(missing[0]!));
    expect(JSON.parse(missing[0]!)).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
  });

  describe('tokens from an OIDC identity provider', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (extra: Record<string, unknown> = {}) => ({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice@acme',
      iat: now(),
      exp: now() + 600,
      kentaur_tenant: acme,
      ...extra,
    });
    const signRs256 = (payload: Record<string, unknown>, key = idp.pair.privateKey, kid = KID) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
    const signHs256 = (secret: string) =>
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: KID })
        .sign(new TextEncoder().encode(secret));

    it('a valid token acts for the tenant of its claim', async () => {
      const r = await gql<{ me: { via: string; subject: string; tenant: { name: string } } }>(
        oidcGw.gateway.url,
        await signRs256(claims()),
        '{ me { via subject tenant { name } } }',
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.me).toEqual({ via: 'oidc', subject: 'alice@acme', tenant: { name: acme } });
    });

    const refused: [string, () => Promise<string>][] = [
      ['wrong issuer', () => signRs256(claims({ iss: 'https://evil.test' }))],
      ['wrong audience', () => signRs256(claims({ aud: 'someone-else' }))],
      ['no audience', () => signRs256(claims({ aud: undefined }))],
      [
        'expired (beyond the 5 s clock tolerance)',
        () => signRs256(claims({ iat: now() - 600, exp: now() - 60 })),
      ],
      ['not valid yet (nbf in 10 minutes)', () => signRs256(claims({ nbf: now() + 600 }))],
      ['without exp', () => signRs256(claims({ exp: undefined }))],
      [
        'alg none (unsigned)',
        () => Promise.resolve(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`),
      ],
      ['HS256 signed with the public key PEM (algorithm confusion)', () => signHs256(idp.publicPem)],
      [
        'HS256 signed with the public JWK (algorithm confusion)',
        () => signHs256(JSON.stringify(idp.publicJwk)),
      ],
      ['signed by another RSA key under the same kid', () => signRs256(claims(), idp.other.privateKey)],
      [
        'signed by another RSA key under an unknown kid',
        () => signRs256(claims(), idp.other.privateKey, 'k-2'),
      ],
      ['a development token', () => gw.token({ tenant: acme })],
    ];

    it.each(refused)(
      'refuses %s with 401 UNAUTHENTICATED, without echoing the token',
      async (_name, make) => {
        const token = await make();
        const r = await gql(oidcGw.gateway.url, token, '{ me { subject tenant { name } } }');

        expect(r.status).toBe(401);
        expect(r.data ?? null).toBeNull();
        expect(r.errors?.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
        const text = JSON.stringify(r.body);
        expect(text).not.toContain(token);
        for (const part of token.split('.').filter((p) => p.length > 8)) expect(text).not.toContain(part);
      },
    );
  });

  describe('API keys', () => {
    const ME = '{ me { via subject tenant { name } } }';
    const LIST = '{ apiKeys { id tenant description } }';
    const createKey = async (token: string, description: string) => {
      const r = await gql<{ createApiKey: { key: string; info: { id: string } } }>(
        gw.gateway.url,
        token,
        'mutation($d: String!) { createApiKey(description: $d) { key info { id tenant role } } }',
        { d: description },
      );
      expect(r.errors).toBeUndefined();
      return r.data!.createApiKey;
    };
    const revoke = async (token: string, id: string) =>
      (
        await gql<{ revokeApiKey: boolean }>(
          gw.gateway.url,
          token,
          'mutation($id: String!) { revokeApiKey(id: $id) }',
          { id },
        )
      ).data?.revokeApiKey;
    const listed = async (token: string) =>
      (await gql<{ apiKeys: { id: string }[] }>(gw.gateway.url, token, LIST)).data!.apiKeys.map((k) => k.id);

    it('works for its tenant, is stored only as a hash, is invisible to other tenants and stops when revoked', async () => {
      const { key, info } = await createKey(keysToken, 'ci pipeline');
      expect(key).toMatch(/^kt_/);
      const me = await waitFor('the new key accepted', async () => {
        const r = await gql<{ me: { via: string; tenant: { name: string } } }>(gw.gateway.url, key, ME);
        return r.errors ? undefined : r.data!.me;
      });
      expect(me).toMatchObject({ via: 'api-key', tenant: { name: keys } });
      expect(await listed(keysToken)).toContain(info.id);

      // At rest: an HMAC of the secret, never the key or its secret part.
      const secrets = await client.list<Secret>(Secrets, { namespace: system });
      const stored = secrets.items.find((s) => s.metadata?.name?.endsWith(info.id));
      expect(stored).toBeDefined();
      const decoded = Object.values(stored!.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8'));
      const secretPart = key.split('_').slice(2).join('_');
      for (const text of [JSON.stringify(secrets.items), ...decoded]) {
        expect(text).not.toContain(key);
        expect(text).not.toContain(secretPart);
      }

      // Another tenant neither sees nor revokes it.
      expect(await listed(otherToken)).not.toContain(info.id);
      expect(await revoke(otherToken, info.id)).toBe(false);
      expect((await gql(gw.gateway.url, key, ME)).errors).toBeUndefined();

      expect(await revoke(keysToken, info.id)).toBe(true);
      const refused = await waitFor(
        'the revoked key refused',
        async () => {
          const r = await gql(gw.gateway.url, key, ME);
          return r.errors?.[0]?.extensions.code === 'UNAUTHENTICATED' ? r : undefined;
        },
        { timeoutMs: 10_000 },
      );
      expect(refused.status).toBe(401);
      expect(await listed(keysToken)).not.toContain(info.id);
    });

    /**
     * Subscribes with `credential` to a queued workload of the keys tenant (its first event is the
     * current state); after `revoke()`, the subscription must end with UNAUTHENTICATED and nothing
     * more, while the workload never changes (so only the periodic check can end it).
     */
    async function subscriptionAfter(credential: string, revoke: () => Promise<void>) {
      const name = `sub-${Math.random().toString(36).slice(2, 8)}`;
      await client.create<Workload>(Workloads, {
        apiVersion: 'kentaur.io/v1alpha1',
        kind: 'Workload',
        metadata: { name, namespace: keys },
        spec: {
          kind: 'Batch',
          maxDuration: '1h',
          accelerators: { count: 1 },
          template: { image: 'registry.example/keys/x:1' },
        },
      });
      await waitFor('the workload cached by the gateway', () =>
        Promise.resolve(gw.gateway.state.workloads.get(`${keys}/${name}`) ? true : undefined),
      );
      const ws = wsClient(gw.gateway.url, credential);
      const seen: string[] = [];
      let ended: unknown;
      const started = Date.now();
      let revokedAt = 0;
      try {
        try {
          for await (const r of ws.iterate({
            query: `subscription { workloadEvents(id: "${keys}/${name}") { type } }`,
          })) {
            if (r.errors) {
              ended = r.errors;
              break;
            }
            seen.push((r.data as { workloadEvents: { type: string } }).workloadEvents.type);
            if (seen.length === 1) {
              await revoke();
              revokedAt = Date.now();
            }
          }
        } catch (e) {
          ended = e;
        }
      } finally {
        await ws.dispose();
      }
      return { seen, ended, afterRevokeMs: Date.now() - revokedAt, totalMs: Date.now() - started };
    }

    it('ends a running subscription with UNAUTHENTICATED soon after its API key is revoked', async () => {
      const { key, info } = await createKey(keysToken, 'subscriber');
      await waitFor('the new key accepted', async () =>
        (await gql(gw.gateway.url, key, ME)).errors ? undefined : true,
      );
      const r = await subscriptionAfter(key, async () => {
        expect(await revoke(keysToken, info.id)).toBe(true);
      });
      expect(r.seen).toEqual(['ADDED']);
      expect(JSON.stringify(r.ended)).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(r.ended)).toContain('revoked or has expired');
      expect(r.afterRevokeMs).toBeLessThan(10_000);
    });

    it('ends a running subscription when its token expires, and keeps one whose token is valid (control)', async () => {
      const shortLived = await gw.token({ tenant: keys, ttlSeconds: 3 });
      const r = await subscriptionAfter(shortLived, () => Promise.resolve());
      expect(r.seen).toEqual(['ADDED']);
      expect(JSON.stringify(r.ended)).toContain('UNAUTHENTICATED');
      expect(r.totalMs).toBeLessThan(20_000);

      // Control: a valid token's subscription is still open 2 s after its first event.
      const ws = wsClient(gw.gateway.url, keysToken);
      const name = [...gw.gateway.state.workloads.list()].find((w) => w.metadata.namespace === keys)!.metadata
        .name!;
      const events: string[] = [];
      const open = (async () => {
        for await (const x of ws.iterate({
          query: `subscription { workloadEvents(id: "${keys}/${name}") { type } }`,
        }))
          events.push(x.errors ? 'error' : 'event');
      })();
      await new Promise((res) => setTimeout(res, 2_000));
      expect(events).toEqual(['event']);
      const before = gw.gateway.watch.subscriptions;
      expect(before).toBeGreaterThan(0);
      await ws.dispose();
      await open.catch(() => undefined);
      // Unsubscribing while no change comes closes the watch at once (and its credential timer with
      // it): an async generator waited for its next change, checking the credential forever.
      await waitFor(
        'the subscription closed in the gateway',
        () => Promise.resolve(gw.gateway.watch.subscriptions < before ? true : undefined),
        { timeoutMs: 5_000 },
      );
    });

    // createApiKey answers before the gateway's own Secret informer has seen the new Secret, and
    // verify() and revokeApiKey read only that cache: a fresh key is refused (and cannot be revoked)
    // until the watch event arrives. Other writes to the API server widen the window, as in a busy
    // cluster; without them about 1 in 50 fresh keys is refused on first use.
    it('works, and can be revoked by its tenant, as soon as createApiKey has returned it', async () => {
      let busy = true;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        const name = `busy-${w}`;
        await client.create<Secret>(Secrets, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: system },
          stringData: { n: '0' },
        });
        for (let n = 1; busy; n++)
          await client.patch(
            Secrets,
            name,
            { stringData: { n: String(n) } },
            { namespace: system, patchType: 'merge' },
          );
      });
      const problems: string[] = [];
      try {
        for (let i = 0; i < 40; i++) {
          const { key, info } = await createKey(keysToken, `fresh ${i}`);
          const used = await gql(gw.gateway.url, key, ME);
          if (used.errors) problems.push(`key ${i} refused at once: ${used.errors[0]!.message}`);
          if ((await revoke(keysToken, info.id)) !== true) problems.push(`key ${i} not revocable at once`);
        }
      } finally {
        busy = false;
        await Promise.all(writers);
      }
      expect(problems).toEqual([]);
    });

    it('a tenant can create neither an administrator key nor a key for another tenant', async () => {
      for (const args of ['admin: true', `tenant: "${other}"`]) {
        const r = await gql(
          gw.gateway.url,
          keysToken,
          `mutation { createApiKey(description: "escalate", ${args}) { key } }`,
        );
        expect(r.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
        expect(r.status).toBe(403);
      }
    });
  });

  describe('limits and disclosure', () => {
    const INTROSPECTION = [
      '{ __schema { types { name } } }',
      '{ schema: __schema { queryType { name } } }',
      '{ ...Q } fragment Q on Query { __type(name: "Workload") { fields { name } } }',
    ];

    it.each(INTROSPECTION)('production refuses introspection %s; the sandbox answers it', async (query) => {
      const p = await gql(prod.gateway.url, undefined, query);
      expect(p.status).toBe(400);
      expect(p.data ?? null).toBeNull();
      expect(p.errors?.map((e) => e.extensions.code)).toContain('INTROSPECTION_DISABLED');
      const s = await gql(gw.gateway.url, undefined, query);
      expect(s.errors).toBeUndefined();
      expect(s.data).toBeTruthy();
    });

    it.each([
      ['a misspelled field', '{ me { subjekt } }', undefined],
      ['a misspelled argument', '{ workloads(frist: 1) { totalCount } }', undefined],
      ['a misspelled enum value', '{ transparency(period: DAYY) { energyKWh } }', undefined],
      [
        'a misspelled input field',
        'query($s: WorkloadSpecInput!) { quote(spec: $s) { portable } }',
        { s: { kind: 'Batch', acelerators: { count: 1 }, template: { image: IMAGE } } },
      ],
    ])('production suggests nothing for %s (the sandbox does)', async (_name, query, variables) => {
      const p = await gql(prod.gateway.url, undefined, query, variables);
      expect(p.status).toBe(400);
      expect(p.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(p.errors)).not.toMatch(/Did you mean/);
      const s = await gql(gw.gateway.url, undefined, query, variables);
      expect(JSON.stringify(s.errors)).toMatch(/Did you mean/);
    });

    it('production serves no GraphiQL; the sandbox does', async () => {
      expect((await fetch(`${prod.gateway.url}/graphiql`)).status).toBe(404);
      expect((await fetch(`${gw.gateway.url}/graphiql`)).status).toBe(200);
    });

    it('without a token: me is UNAUTHENTICATED, the public transparency figures answer', async () => {
      const me = await gql(prod.gateway.url, undefined, '{ me { subject } }');
      expect(me.status).toBe(401);
      expect(me.errors?.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
      const t = await gql<{ transparency: { energyKWh: number } }>(
        prod.gateway.url,
        undefined,
        '{ transparency { energyKWh } }',
      );
      expect(t.errors).toBeUndefined();
      expect(typeof t.data!.transparency.energyKWh).toBe('number');
    });

    it.each([
      ['tenants', '{ tenants { name } }'],
      ['pools', '{ pools { name } }'],
      ['cordonPool', 'mutation { cordonPool(name: "dk-1-nvidia-h100") { name cordoned } }'],
      ['evacuatePool', 'mutation { evacuatePool(name: "dk-1-nvidia-h100") { name } }'],
      [
        'usage grouped by tenant',
        '{ usage(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", groupBy: [TENANT]) { from } }',
      ],
    ])('a tenant token calling %s is FORBIDDEN', async (_name, query) => {
      const r = await gql(gw.gateway.url, acmeToken, query);
      expect(r.status).toBe(403);
      expect(r.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
    });

    it('rate-limits each client: the 6th rapid request is 429 RATE_LIMITED with retry-after, others still served', async () => {
      const token = await limited.token({ tenant: acme });
      const replies = await Promise.all(
        Array.from({ length: 6 }, () => post(limited.gateway.url, token, '{ me { subject } }')),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
      const limitedReply = replies.find((r) => r.status === 429)!;
      expect(Number(limitedReply.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(limitedReply.body)).toMatchObject({
        errors: [{ extensions: { code: 'RATE_LIMITED' } }],
      });
      const another = await post(
        limited.gateway.url,
        await limited.token({ tenant: other }),
        '{ me { subject } }',
      );
      expect(another.status).toBe(200);
    });

    // requestGuard authenticates before it takes from the limiter and returns 401 at once, so
    // requests with invalid credentials never count: token guessing is unlimited.
    it('rate-limits failed authentication per client address too', async () => {
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => post(limited.gateway.url, `guess-${i}`, '{ me { subject } }')),
      );
      expect(replies.every((r) => r.status === 401 || r.status === 429)).toBe(true);
      expect(replies.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    });

    // A JSON-array batch passes requestGuard as one request: one token from the limiter for up to
    // maxBatch operations, each of which may hold maxAliases aliased mutations.
    it('counts each operation of a batch against the rate limit', async () => {
      const token = await limited.token({ tenant: keys });
      const batch = JSON.stringify(Array.from({ length: 5 }, () => ({ query: '{ me { subject } }' })));
      const first = await rawGql(limited.gateway.url, token, batch);
      expect(first.status).toBe(200);
      const next = await post(limited.gateway.url, token, '{ me { subject } }');
      expect(next.status).toBe(429);
    });

    it('error bodies carry no stack, no API server address, no Kubernetes internals', async () => {
      const bodies: { what: string; status: number; text: string }[] = [];
      const keep = (what: string, r: GqlResponse) =>
        bodies.push({ what, status: r.status, text: JSON.stringify(r.body) });
      keep(
        'unknown pool',
        await gql(gw.gateway.url, adminToken, 'mutation { cordonPool(name: "nope") { name } }'),
      );
      keep(
        'path-shaped pool name',
        await gql(
          gw.gateway.url,
          adminToken,
          'mutation { evacuatePool(name: "../../../api/v1/secrets") { name } }',
        ),
      );
      keep('invalid submission', await submitTemplate({ image: 'has spaces in it' })(ctx));
      keep('bad token', await gql(gw.gateway.url, 'garbage', '{ me { subject } }'));
      keep('validation on production', await gql(prod.gateway.url, ctx.prodKey, '{ me { nope } }'));
      keep('malformed JSON', await rawGql(gw.gateway.url, acmeToken, '{"query": '));
      keep(
        'oversized body',
        await raw(JSON.stringify({ query: '{ me { subject } }', pad: 'x'.repeat(300_000) }))(ctx),
      );
      const transparency = await fetch(`${gw.gateway.url}/transparency.json?at=garbage`);
      bodies.push({
        what: '/transparency.json?at=garbage',
        status: transparency.status,
        text: await transparency.text(),
      });

      const apiServer = loadKubeconfig(testKubeconfig()).server;
      const leaks = bodies.filter(
        (b) => b.status >= 500 || LEAK.test(b.text) || b.text.includes(apiServer) || b.text.includes(system),
      );
      expect(leaks).toEqual([]);
      expect(bodies.find((b) => b.what === 'unknown pool')!.text).toMatch(/NOT_FOUND/);
    });

    describe('subscriptions over WebSocket meet the same document limits as HTTP', () => {
      let id: string;

      beforeAll(async () => {
        const r = await gql<{ submitWorkload: { workload: { id: string } } }>(
          gw.gateway.url,
          otherToken,
          SUBMIT,
          { input: VALID },
        );
        expect(r.errors).toBeUndefined();
        id = r.data!.submitWorkload.workload.id;
        await waitFor('the workload cached by the gateway', () =>
          Promise.resolve(gw.gateway.state.workloads.get(id) ? true : undefined),
        );
      });

      it('a subscription with fewer aliases than the limit is served (control)', async () => {
        const r = await subscribeOnce(
          gw.gateway.url,
          otherToken,
          `subscription { workloadEvents(id: "${id}") { ${aliased(3, 'workload { id }')} } }`,
        );
        expect(r.errors).toBeUndefined();
        expect(r.data).toBeTruthy();
      });

      // Mercurius executes subscription documents without validate(): neither the gateway's
      // validationRules (queryLimitsRule) nor graphql's own rules run, and checkQuerySource runs only
      // in the HTTP preHandler.
      it.each([
        [
          '16 aliases',
          () => `subscription { workloadEvents(id: "${id}") { ${aliased(16, 'workload { id }')} } }`,
          'QUERY_TOO_COMPLEX',
        ],
        [
          'more than 15,000 characters',
          () => `# ${'x'.repeat(15_000)}\nsubscription { workloadEvents(id: "${id}") { type } }`,
          'QUERY_TOO_COMPLEX',
        ],
        [
          'a field the schema does not have',
          () => `subscription { workloadEvents(id: "${id}") { type noSuchField } }`,
          'GRAPHQL_VALIDATION_FAILED',
        ],
      ])('refuses a subscription with %s', async (_name, query, code) => {
        const r = await subscribeOnce(gw.gateway.url, otherToken, query());
        expect(r.data).toBeUndefined();
        expect(r.errors?.map((e) => e.extensions?.code)).toContain(code);
      });

      // The WebSocket server (Mercurius registers @fastify/websocket with maxPayload 1 MiB) refuses a
      // larger message before anything parses it; a message just under the limit is read and answered.
      it.each([
        [
          'over 1 MiB is refused unread: the connection closes as "message too big" (1009)',
          1024 * 1024,
          'close 1009',
        ],
        ['just under 1 MiB is read and answered (control)', 1000 * 1024, 'connection_ack'],
      ])('a WebSocket message %s', async (_name, padding, outcome) => {
        const ws = new WebSocket(`${gw.gateway.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
        const first = new Promise<string>((resolve) => {
          ws.once('close', (c: number) => resolve(`close ${c}`));
          ws.once('message', (m: Buffer) => resolve((JSON.parse(m.toString()) as { type: string }).type));
        });
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        const payload = { authorization: `Bearer ${otherToken}`, pad: 'x'.repeat(padding) };
        ws.send(JSON.stringify({ type: 'connection_init', payload }));
        try {
          expect(await first).toBe(outcome);
        } finally {
          ws.close();
        }
      });
    });
  });
});
