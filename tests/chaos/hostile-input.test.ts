// Hostile input against the gateway and the API server (issue #9, item 4; checklist G1–G4, G7,
// V6 of docs/reliability.md): fast-check-generated submitWorkload and quote variables over real
// HTTP, generated Workload objects straight to the API server, a corpus of GraphQL cost and
// parser attacks that tests/integration/gateway-security.test.ts does not already send, oversized
// bodies and slow (slowloris) clients over raw TCP. Nothing is mocked.
//
// Size: reduced and seeded by default (inside `npm test`); KENTAUR_CHAOS=full runs 10,000
// generated cases in all. KENTAUR_CHAOS_SEED=<n> replays one seed. Each scenario prints one line:
//   chaos hostile-<scenario> seed=<n>: cases=<n> <counts> violations=<n>
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { getIntrospectionQuery } from 'graphql';
import type { Workload } from '@kentaur/api';
import { DEFAULT_HTTP_TIMEOUTS, type ErrorCode } from '@kentaur/gateway';
import { KubeApiError, type KubeClient, Tenants, Workloads } from '@kentaur/k8s-runtime';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';
import { installCrds } from '../support/crds';
import {
  gql,
  rawGql,
  startTestGateway,
  SUBMIT,
  type GqlResponse,
  type TestGateway,
} from '../support/gateway';
import {
  copy,
  invalidRootMutation,
  invalidSpecMutation,
  type Mutation,
  oddSpecMutation,
  sameField,
  toCrdSpec,
  validSpec,
  type Verdict,
} from '../support/hostile-inputs';
import { createTenant } from '../support/tenants';

const FULL = process.env.KENTAUR_CHAOS === 'full';
const SEED = Number(process.env.KENTAUR_CHAOS_SEED ?? 20_261_122);
/** Generated cases per property: 10,000 in all when full. */
const RUNS = FULL ? { submit: 4000, quote: 3000, crd: 3000 } : { submit: 400, quote: 300, crd: 300 };
const SLOW_CLIENTS = FULL ? 200 : 40;
const UNLIMITED = { burst: 1_000_000, perSecond: 1_000_000 };
/** A test gateway's timeouts: short, so that slow clients are seen dropped within the run. */
const SHORT_TIMEOUTS = { requestMs: 2_000, keepAliveMs: 1_000, checkIntervalMs: 250 };
/** A trivial query must be answered within this while attacks run or right after them. */
const RESPONSIVE_MS = 1_500;
/** No single refused attack may take longer than this (the limits exist to bound CPU). */
const ATTACK_MS = 1_000;
const CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'CONFLICT',
  'RATE_LIMITED',
  'QUERY_TOO_COMPLEX',
  'PAYLOAD_TOO_LARGE',
  'BATCH_TOO_LARGE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'INTROSPECTION_DISABLED',
  'UNAVAILABLE',
]);
const QUOTE = 'query($spec: WorkloadSpecInput!) { quote(spec: $spec) { portable } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function report(scenario: string, counts: Record<string, number>, violations: string[]): void {
  const parts = Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const line = `chaos hostile-${scenario} seed=${SEED}: ${parts} violations=${violations.length}`;
  console.log(violations.length ? `${line}\n  ${violations.slice(0, 20).join('\n  ')}` : line);
}

/** What is wrong with an answer in general: a 5xx, or an error without a stable code or field. */
function answerProblems(r: GqlResponse): string[] {
  const problems: string[] = [];
  if (r.status >= 500) problems.push(`HTTP ${r.status}`);
  const errors = r.errors ?? [];
  for (const e of errors) {
    const code = e.extensions?.code as ErrorCode | undefined;
    if (!code || !CODES.has(code)) problems.push(`code ${String(code)}: ${e.message.slice(0, 120)}`);
    if (code === 'BAD_USER_INPUT' && !(typeof e.extensions.field === 'string' && e.extensions.field))
      problems.push(`BAD_USER_INPUT without a field: ${e.message.slice(0, 120)}`);
  }
  if (r.status >= 400 && !errors.length) problems.push(`HTTP ${r.status} without errors`);
  return problems;
}

/** Body text with an own `__proto__` or poisoned `constructor` key: Fastify refuses it whole. */
const poisoned = (body: string) => /"__proto__":|"constructor":\{[^}]*"prototype"/.test(body);

interface Case {
  verdict: Verdict;
  field: string;
  describe: string;
  variables: Record<string, unknown>;
}

/** A valid spec with at most one mutation; `root` names the variable (`input.spec` or `spec`). */
function specCase(root: string, spec: Record<string, unknown>, m: Mutation | null): Case {
  const target = copy(spec);
  m?.apply(target);
  return {
    verdict: m?.verdict ?? 'valid',
    field: m ? (m.field ? `${root}.${m.field}` : root) : root,
    describe: m?.describe ?? 'valid',
    variables: target,
  };
}

/** Checks one answer against the case's verdict; returns what is wrong. */
function verdictProblems(c: Case, r: GqlResponse, data: unknown, body: string): string[] {
  const problems = answerProblems(r);
  const refused = !data;
  if (c.verdict === 'valid' && refused)
    problems.push(`valid input refused: ${r.errors?.map((e) => e.message.slice(0, 120)).join('; ')}`);
  if (c.verdict === 'invalid') {
    if (!refused) problems.push('invalid input accepted');
    else if (!(poisoned(body) && r.errors?.some((e) => e.extensions.code === 'BAD_REQUEST'))) {
      const named = r.errors?.some((e) => {
        const field = typeof e.extensions.field === 'string' ? e.extensions.field : '';
        return e.extensions.code === 'BAD_USER_INPUT' && sameField(field, c.field);
      });
      if (!named)
        problems.push(
          `refused without naming ${c.field}: ${JSON.stringify(r.errors?.map((e) => [e.extensions.code, e.extensions.field, e.message.slice(0, 100)]))}`,
        );
    }
  }
  return problems.map((p) => `${c.describe}: ${p}`);
}

describe('chaos: hostile input', () => {
  let client: KubeClient;
  let gw: TestGateway;
  let prod: TestGateway;
  let slow: TestGateway;
  let tenant: string;
  let token: string;
  let crdNs: string;
  const gateways: TestGateway[] = [];

  const start = async (overrides: Parameters<typeof startTestGateway>[0]) => {
    const g = await startTestGateway({ rateLimit: UNLIMITED, ...overrides });
    gateways.push(g);
    return g;
  };

  /** A trivial query on `g`, timed: the gateway is alive and responsive. */
  async function responsive(g: TestGateway): Promise<string[]> {
    const started = Date.now();
    try {
      const r = await gql<{ __typename: string }>(g.gateway.url, undefined, '{ __typename }');
      const ms = Date.now() - started;
      if (r.data?.__typename !== 'Query')
        return [`trivial query answered ${r.status} ${JSON.stringify(r.body)}`];
      return ms > RESPONSIVE_MS ? [`trivial query took ${ms} ms`] : [];
    } catch (e) {
      return [`trivial query failed: ${String(e)}`];
    }
  }

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    tenant = await createTenant(client, { name: 'hostile', quota: { guaranteedCU: 20, limitCU: 80 } });
    crdNs = await createTestNamespace(client, 'hostile-crd');
    gw = await start({});
    prod = await start({ mode: 'production' });
    slow = await start({ httpTimeouts: SHORT_TIMEOUTS });
    token = await gw.token({ tenant });
    await waitForTenant(gw, tenant);
  });

  afterAll(async () => {
    for (const g of gateways) await g.stop();
    if (crdNs) await deleteTestNamespace(client, crdNs);
    if (tenant) {
      await deleteTestNamespace(client, tenant);
      await client.delete(Tenants, tenant).catch(() => undefined);
    }
    client?.close();
  });

  it(`submitWorkload: ${RUNS.submit} generated inputs, no 5xx, invalid ones refused naming the field, nothing created from them`, async () => {
    const violations: string[] = [];
    const counts = { cases: 0, accepted: 0, refused: 0, invalid: 0 };
    const created = new Set<string>();
    const mutation = fc.option(
      fc.oneof({ arbitrary: invalidSpecMutation, weight: 4 }, { arbitrary: oddSpecMutation, weight: 1 }),
      { freq: 5 },
    );
    const input = fc.tuple(validSpec, mutation, fc.option(invalidRootMutation, { freq: 4 }));
    await fc.assert(
      fc.asyncProperty(input, async ([spec, specMutation, rootMutation]) => {
        const c = specCase('input.spec', spec, specMutation);
        const variables: Record<string, unknown> = { spec: c.variables };
        rootMutation?.apply(variables);
        const invalidAt = [
          specMutation?.verdict === 'invalid' ? c.field : undefined,
          rootMutation?.verdict === 'invalid' ? rootField(rootMutation) : undefined,
        ].filter((f) => f !== undefined);
        const k: Case = {
          verdict: worst(c.verdict, rootMutation?.verdict),
          // Two mutations: either may be the one refused.
          field: invalidAt.length === 1 && !(specMutation && rootMutation) ? invalidAt[0]! : 'input',
          describe: `${c.describe}${rootMutation ? `; ${rootMutation.describe}` : ''}`,
          variables,
        };
        const body = JSON.stringify({ query: SUBMIT, variables: { input: variables } });
        const r = await rawGql<{ submitWorkload: { created: boolean; workload: { id: string } } }>(
          gw.gateway.url,
          token,
          body,
        );
        const data = r.data?.submitWorkload;
        counts.cases += 1;
        if (k.verdict === 'invalid') counts.invalid += 1;
        if (data) {
          counts.accepted += 1;
          if (data.created) created.add(data.workload.id.split('/')[1]!);
        } else counts.refused += 1;
        violations.push(...verdictProblems(k, r, data, body));
      }),
      { seed: SEED, numRuns: RUNS.submit },
    );
    violations.push(...(await responsive(gw)));
    // Only the accepted submissions exist, each once.
    const listed = (await client.list<Workload>(Workloads, { namespace: tenant })).items.map(
      (w) => w.metadata.name!,
    );
    const extra = listed.filter((n) => !created.has(n));
    const missing = [...created].filter((n) => !listed.includes(n));
    if (extra.length) violations.push(`Workloads nobody was told were created: ${extra.join(', ')}`);
    if (missing.length) violations.push(`accepted but absent: ${missing.join(', ')}`);
    report('submit', { ...counts, workloads: listed.length }, violations);
    expect(violations).toEqual([]);
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  });

  it(`quote: ${RUNS.quote} generated specs, no 5xx, invalid ones refused naming the field`, async () => {
    const violations: string[] = [];
    const counts = { cases: 0, answered: 0, refused: 0 };
    const mutation = fc.option(fc.oneof(invalidSpecMutation, oddSpecMutation), { freq: 5 });
    await fc.assert(
      fc.asyncProperty(validSpec, mutation, async (spec, m) => {
        const c = specCase('spec', spec, m);
        const body = JSON.stringify({ query: QUOTE, variables: { spec: c.variables } });
        const r = await rawGql<{ quote: unknown }>(gw.gateway.url, token, body);
        counts.cases += 1;
        counts[r.data?.quote ? 'answered' : 'refused'] += 1;
        violations.push(...verdictProblems(c, r, r.data?.quote, body));
      }),
      { seed: SEED + 1, numRuns: RUNS.quote },
    );
    violations.push(...(await responsive(gw)));
    report('quote', counts, violations);
    expect(violations).toEqual([]);
    expect(counts.answered).toBeGreaterThan(0);
  });

  it(`API server: ${RUNS.crd} generated Workload objects, invalid ones refused with 4xx naming the field, never 5xx`, async () => {
    const violations: string[] = [];
    const counts = { cases: 0, accepted: 0, refused: 0 };
    // The gateway's `sandbox`, `name` and `idempotencyKey` are not CRD fields: spec mutations only.
    const mutation = fc.option(
      // An env var without a value is GraphQL's refusal only (EnvVarInput.value is required).
      invalidSpecMutation
        .filter((m) => !m.describe.includes('is a list') && m.describe !== 'template.env = [{"name":"A"}]')
        // Vendors can be declared by data, so the CRD takes any DNS label (the gateway, knowing the
        // fleet, refuses unknown ones; the controller leaves such work waiting with a reason).
        .map((m) =>
          m.field === 'accelerators.vendors' &&
          /^\["[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?"\]$/.test(m.describe.slice(m.describe.indexOf('= ') + 2))
            ? { ...m, verdict: 'any' as const }
            : m,
        ),
      { freq: 3 },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(validSpec, mutation, async (spec, m) => {
        const c = specCase('spec', toCrdSpec(spec), m);
        const obj = {
          apiVersion: 'kentaur.io/v1alpha1',
          kind: 'Workload' as const,
          metadata: { name: `h-${++n}`, namespace: crdNs },
          spec: c.variables,
        };
        counts.cases += 1;
        const error = await client
          .create(Workloads, obj as never, { dryRun: true, fieldValidation: 'Strict' })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        counts[error ? 'refused' : 'accepted'] += 1;
        const problems: string[] = [];
        if (error && !(error instanceof KubeApiError))
          problems.push(`no API answer: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
        else if (error) {
          const e = error as KubeApiError;
          if (e.statusCode >= 500 || e.statusCode < 400) problems.push(`HTTP ${e.statusCode}: ${e.message}`);
          const text = `${e.causes.map((x) => x.field ?? '').join(' ')} ${e.message}`;
          if (c.verdict === 'invalid' && !mentions(text, c.field))
            problems.push(`refused without naming ${c.field}: ${e.message.slice(0, 200)}`);
          if (c.verdict === 'valid') problems.push(`valid object refused: ${e.message.slice(0, 200)}`);
        } else if (c.verdict === 'invalid') problems.push('invalid object accepted');
        violations.push(...problems.map((p) => `${c.describe}: ${p}`));
      }),
      { seed: SEED + 2, numRuns: RUNS.crd },
    );
    report('crd', counts, violations);
    expect(violations).toEqual([]);
    expect(counts.accepted).toBeGreaterThan(0);
  });

  it('refuses GraphQL cost and parser attacks with a stable code, within a bound, and stays responsive', async () => {
    const violations: string[] = [];
    let refused = 0;
    for (const attack of ATTACKS) {
      const started = Date.now();
      const r = await rawGql(attack.sandbox ? gw.gateway.url : prod.gateway.url, undefined, attack.body(), {
        'content-type': attack.contentType ?? 'application/json',
      });
      const ms = Date.now() - started;
      const problems = answerProblems(r);
      const errors =
        r.errors ?? (Array.isArray(r.body) ? (r.body as GqlResponse[]).flatMap((b) => b.errors ?? []) : []);
      const codes = errors.map((e) => e.extensions?.code);
      if (attack.codes.length === 0) {
        if (r.status !== 200 || codes.length) problems.push(`not answered: ${r.status} ${codes.join(',')}`);
      } else if (!codes.some((code) => attack.codes.includes(code as ErrorCode)))
        problems.push(
          `answered ${r.status} ${JSON.stringify(codes)}, expected one of ${attack.codes.join(',')}`,
        );
      else refused += 1;
      if (ms > ATTACK_MS) problems.push(`took ${ms} ms`);
      violations.push(...problems.map((p) => `${attack.name}: ${p}`));
    }
    violations.push(...(await responsive(prod)), ...(await responsive(gw)));
    report('graphql', { cases: ATTACKS.length, refused }, violations);
    expect(violations).toEqual([]);
  });

  it('refuses oversized and announced-oversized bodies at once', async () => {
    const violations: string[] = [];
    const { port } = gw.gateway;
    // 100 MB announced: 413 from the headers alone, before any of the body.
    const announced = await rawExchange(
      port,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"query":`,
    );
    if (!/^HTTP\/1\.1 413/.test(announced.text))
      violations.push(`100 MB announced: ${announced.text.slice(0, 80)}`);
    if (announced.ms > RESPONSIVE_MS) violations.push(`100 MB announced: answered after ${announced.ms} ms`);
    // Chunked, no length: refused once the limit is passed.
    const chunk = 'a'.repeat(64 * 1024);
    const chunked = await rawExchange(
      port,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${`${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(6)}`,
    );
    if (!/^HTTP\/1\.1 413/.test(chunked.text))
      violations.push(`chunked 384 KiB: ${chunked.text.slice(0, 80)}`);
    violations.push(...(await responsive(gw)));
    report('bodies', { cases: 2 }, violations);
    expect(violations).toEqual([]);
  });

  it(`drops ${SLOW_CLIENTS} slow clients within the request timeout and keeps answering others`, async () => {
    // The production defaults bound a slow client to 30 s, checked every second.
    expect(DEFAULT_HTTP_TIMEOUTS.requestMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_HTTP_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(1_000);
    const violations: string[] = [];
    const bound = SHORT_TIMEOUTS.requestMs + SHORT_TIMEOUTS.checkIntervalMs + 1_000;
    const kinds = ['silent', 'header-trickle', 'body-trickle', 'one-byte'] as const;
    const started = Date.now();
    const clients = Array.from({ length: SLOW_CLIENTS }, (_, i) =>
      slowClient(slow.gateway.port, kinds[i % 4]!),
    );
    const latencies: number[] = [];
    while (Date.now() - started < bound) {
      violations.push(...(await responsive(slow)));
      latencies.push(Date.now());
      await sleep(200);
    }
    // Not closed 2 s past the bound: recorded as held for good (the test must not hang on it).
    let giveUp: NodeJS.Timeout | undefined;
    const deadline = new Promise<number>((resolve) => {
      giveUp = setTimeout(() => resolve(Infinity), bound - (Date.now() - started) + 2_000);
    });
    const closed = await Promise.all(clients.map((c) => Promise.race([c.closed, deadline])));
    clearTimeout(giveUp);
    // Held: from the client's connection (the server's clock starts at its accept) to the hang-up.
    const held = closed.map((at, i) => at - (clients[i]!.connectedAt() ?? started));
    for (const [i, ms] of held.entries())
      if (ms > bound)
        violations.push(
          `${kinds[i % 4]} client ${i} held for ${ms} ms (connected after ${(clients[i]!.connectedAt() ?? NaN) - started} ms)`,
        );
    clients.forEach((c) => c.stop());
    report(
      'slow-clients',
      { cases: SLOW_CLIENTS, probes: latencies.length, maxHeldMs: Math.max(...held) },
      violations,
    );
    expect(violations).toEqual([]);
  });
});

// Helpers ---------------------------------------------------------------------------------------------

const ORDER: Verdict[] = ['valid', 'any', 'invalid'];
const worst = (a: Verdict, b: Verdict | undefined): Verdict =>
  b === undefined ? a : ORDER[Math.max(ORDER.indexOf(a), ORDER.indexOf(b))]!;
const rootField = (m: Mutation) => (m.field ? `input.${m.field}` : 'input');
/** An API server refusal names the field in a cause or its message (root rules have no cause field). */
const mentions = (text: string, field: string) =>
  field === 'spec'
    ? /spec/.test(text)
    : text.includes(field) || text.includes(field.split('.').slice(0, -1).join('.') || field);

async function waitForTenant(g: TestGateway, name: string): Promise<void> {
  for (let i = 0; i < 100 && !g.gateway.state.tenant(name); i++) await sleep(100);
}

/** Writes `request` on a fresh connection and reads until the server answers or closes. */
function rawExchange(port: number, request: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (d) => {
      text += String(d);
      if (text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

/** A slowloris client: resolves `closed` with the time the server hung up. */
function slowClient(
  port: number,
  kind: 'silent' | 'header-trickle' | 'body-trickle' | 'one-byte',
): { closed: Promise<number>; connectedAt(): number | undefined; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let connectedAt: number | undefined;
  const socket: Socket = connect(port, '127.0.0.1');
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('error', () => undefined);
  const trickle = (text: string) => {
    let i = 0;
    timer = setInterval(() => {
      if (!socket.destroyed) socket.write(text[i++ % text.length]!);
    }, 100);
  };
  socket.on('connect', () => {
    connectedAt = Date.now();
    if (kind === 'header-trickle')
      trickle(`POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(1000)}`);
    if (kind === 'one-byte') socket.write('P');
    if (kind === 'body-trickle') {
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
      );
      trickle(' ');
    }
  });
  return {
    closed: closed.finally(() => clearInterval(timer)),
    connectedAt: () => connectedAt,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

interface Attack {
  name: string;
  body: () => string;
  /** Any of these codes is a right refusal; empty: must be answered (data, no errors). */
  codes: ErrorCode[];
  /** On the sandbox gateway (introspection on) instead of the production one. */
  sandbox?: boolean;
  contentType?: string;
}

const query = (text: string) => () => JSON.stringify({ query: text });
const TOO_COMPLEX: ErrorCode[] = ['QUERY_TOO_COMPLEX'];
const INVALID: ErrorCode[] = ['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX'];
const fanOut = (levels: number, leaf: string) =>
  `{ ...F0 } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ${i === levels - 1 ? leaf : `...F${i + 1} ...F${i + 1}`} }`).join(' ')}`;
const ast = (selections: unknown[]) =>
  JSON.stringify({
    kind: 'Document',
    definitions: [
      { kind: 'OperationDefinition', operation: 'query', selectionSet: { kind: 'SelectionSet', selections } },
    ],
  });
const field = (name: string, selections?: unknown[]) => ({
  kind: 'Field',
  name: { kind: 'Name', value: name },
  ...(selections ? { selectionSet: { kind: 'SelectionSet', selections } } : {}),
});

/** Payloads not already sent by gateway-security.test.ts (graphql-armor bypasses, OWASP, GHSA). */
const ATTACKS: Attack[] = [
  // Field duplication: graphql's merge check compares every pair of same-named fields.
  {
    name: 'field duplication: 990 × subject',
    body: query(`{ me { ${'subject '.repeat(990)}} }`),
    codes: TOO_COMPLEX,
  },
  {
    name: 'field duplication split over inline fragments',
    body: query(`{ me { ${`... on Me { ${'subject '.repeat(60)}} `.repeat(14)}} }`),
    codes: TOO_COMPLEX,
  },
  {
    name: 'field duplication split over named fragments',
    body: query(
      `{ me { ${Array.from({ length: 13 }, (_, i) => `...F${i}`).join(' ')} } } ${Array.from({ length: 13 }, (_, i) => `fragment F${i} on Me { ${'subject '.repeat(60)}}`).join(' ')}`,
    ),
    codes: TOO_COMPLEX,
  },
  {
    name: 'field duplication of a paged list (costed once each)',
    body: query(`{ ${'workloads(first: 100) { totalCount } '.repeat(60)}}`),
    codes: TOO_COMPLEX,
  },
  {
    name: '__typename in every selection (control)',
    body: query('{ __typename transparency { __typename } }'),
    codes: [],
  },
  // Directives.
  {
    name: '51 × @include on one field',
    body: query(`{ me ${'@include(if: true) '.repeat(51)}{ subject } }`),
    codes: INVALID,
  },
  {
    name: '60 directives on spreads',
    body: query(`{ ${'...F @skip(if: false) '.repeat(60)}} fragment F on Query { __typename }`),
    codes: TOO_COMPLEX,
  },
  { name: '200 unknown directives', body: query(`{ __typename ${'@foo '.repeat(200)}}`), codes: INVALID },
  {
    name: 'directives multiplied by a fragment fan-out',
    body: query(fanOut(12, '__typename @include(if: true)')),
    codes: TOO_COMPLEX,
  },
  // Nesting.
  {
    name: '300 nested unknown fields',
    body: query(`${'{ a '.repeat(300)}${'} '.repeat(300)}`),
    codes: INVALID,
  },
  {
    name: '190 nested inline fragments (no depth: answered)',
    body: query(`{ ${'... on Query { '.repeat(190)}__typename ${'} '.repeat(190)}}`),
    codes: [],
  },
  {
    name: '480 nested list literals',
    body: query(`{ workload(id: ${'['.repeat(480)}"x"${']'.repeat(480)}) { id } }`),
    codes: INVALID,
  },
  // Fragments.
  {
    name: 'fragment cycle A → B → A',
    body: query('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
    codes: INVALID,
  },
  {
    name: 'fragment spreading itself',
    body: query('{ ...A } fragment A on Query { __typename ...A }'),
    codes: INVALID,
  },
  {
    name: 'fragment cycle inside a sub-selection',
    body: query('{ me { ...M } } fragment M on Me { subject ...N } fragment N on Me { ...M }'),
    codes: INVALID,
  },
  {
    name: 'binary fragment fan-out of 30 levels (2^30 fields)',
    body: query(fanOut(30, '__typename')),
    codes: TOO_COMPLEX,
  },
  { name: 'fan-out of aliases', body: query(fanOut(25, 'a: __typename b: __typename')), codes: TOO_COMPLEX },
  // Introspection on production, obfuscated (graphql-armor #823, GHSA-733v-p3h5-qpq7).
  {
    name: 'the standard introspection query',
    body: query(getIntrospectionQuery()),
    codes: ['INTROSPECTION_DISABLED', 'QUERY_TOO_COMPLEX'],
  },
  {
    name: 'a fragment named __schema',
    body: query('{ ...__schema } fragment __schema on Query { __schema { types { name } } }'),
    codes: ['INTROSPECTION_DISABLED'],
  },
  {
    name: '__type aliased',
    body: query('{ __typename t: __type(name: "Query") { name } }'),
    codes: ['INTROSPECTION_DISABLED'],
  },
  {
    name: '__type in an inline fragment',
    body: query('{ ... on Query { __type(name: "Query") { fields { name } } } }'),
    codes: ['INTROSPECTION_DISABLED'],
  },
  // Tokens and length.
  {
    name: '7,000 tokens in 14,000 characters',
    body: query(`{ me { ${'a '.repeat(7000)}} }`),
    codes: TOO_COMPLEX,
  },
  {
    name: '7,000 comment lines (not tokens: answered)',
    body: query(`${'#\n'.repeat(7000)}{ __typename }`),
    codes: [],
  },
  {
    name: '7,600 astral characters (15,200 UTF-16 units)',
    body: query(`{ workload(id: "${'😀'.repeat(7600)}") { id } }`),
    codes: TOO_COMPLEX,
  },
  {
    name: 'tokens over the limit as application/graphql',
    body: () => `{ me { ${'subject '.repeat(1001)}} }`,
    contentType: 'application/graphql',
    codes: TOO_COMPLEX,
  },
  // Batching.
  {
    name: 'a batch of 1,000',
    body: () => JSON.stringify(Array.from({ length: 1000 }, () => ({ query: '{ __typename }' }))),
    codes: ['BATCH_TOO_LARGE'],
  },
  {
    name: 'a batch with one operation over the token limit',
    body: () =>
      JSON.stringify([{ query: '{ __typename }' }, { query: `{ me { ${'subject '.repeat(1001)}} }` }]),
    codes: TOO_COMPLEX,
  },
  {
    name: 'a batch of introspection',
    body: () => JSON.stringify([{ query: '{ __typename }' }, { query: '{ __schema { types { name } } }' }]),
    codes: ['INTROSPECTION_DISABLED'],
  },
  // Documents as JSON: Mercurius parses a query that is no GraphQL as a JSON AST.
  {
    name: 'query given as a JSON AST',
    body: query(ast([field('__typename')])),
    codes: ['GRAPHQL_PARSE_FAILED'],
  },
  {
    name: 'introspection given as a JSON AST',
    body: query(ast([field('__schema', [field('types', [field('name')])])])),
    codes: ['GRAPHQL_PARSE_FAILED', 'INTROSPECTION_DISABLED'],
  },
  {
    name: 'a JSON AST with a bogus node',
    body: query(ast([{ kind: 'Bogus' }])),
    codes: ['GRAPHQL_PARSE_FAILED'],
  },
  { name: 'query 123', body: () => '{"query":123}', codes: ['GRAPHQL_PARSE_FAILED'] },
  { name: 'query "\\"x\\""', body: query('"x"'), codes: ['GRAPHQL_PARSE_FAILED'] },
  {
    name: 'a batch of JSON ASTs',
    body: () => JSON.stringify([{ query: '{"kind":"Document","definitions":5}' }]),
    codes: ['GRAPHQL_PARSE_FAILED'],
  },
  // Malformed bodies.
  {
    name: '__proto__ in the body',
    body: () => '{"query":"{ __typename }","__proto__":{"x":1}}',
    codes: ['BAD_REQUEST'],
  },
  {
    name: 'constructor.prototype in the variables',
    body: () => '{"query":"{ __typename }","variables":{"constructor":{"prototype":{"x":1}}}}',
    codes: ['BAD_REQUEST'],
  },
  {
    name: 'variables nested 100,000 deep',
    body: () =>
      `{"query":"query($s: [String!]) { transparency { energyKWh } }","variables":{"s":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
    codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'],
  },
  {
    name: 'variables as a string',
    body: () => JSON.stringify({ query: '{ __typename }', variables: 'x' }),
    codes: ['GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST'],
  },
  { name: 'a body that is null', body: () => 'null', codes: ['GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST'] },
  {
    name: 'an unknown operationName',
    body: () => JSON.stringify({ query: '{ __typename }', operationName: 'Nope' }),
    codes: INVALID,
  },
];
