import { buildSchema, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import {
  GatewayMetrics,
  operationLabel,
  rememberingOperationLabel,
  requestedOperationName,
} from './gateway-metrics';

const schema = buildSchema(`
  type Query { me: String, workloads: String }
  type Mutation { submitWorkload: String }
  type Subscription { workloadEvents: String }
`);

describe('operationLabel', () => {
  it.each([
    ['a query', '{ me }', undefined, 'me'],
    ['the first root field', '{ workloads me }', undefined, 'workloads'],
    ['an aliased field by its real name', '{ mine: workloads }', undefined, 'workloads'],
    ['a mutation', 'mutation { submitWorkload }', undefined, 'submitWorkload'],
    ['a subscription', 'subscription { workloadEvents }', undefined, 'workloadEvents'],
    ['the named operation of several', 'query A { me } mutation B { submitWorkload }', 'B', 'submitWorkload'],
    [
      'a field the schema lacks (client-chosen names never become labels)',
      '{ evil123 }',
      undefined,
      'unknown',
    ],
    ['an operation with only a fragment spread', '{ ...F } fragment F on Query { me }', undefined, 'unknown'],
  ])('%s', (_name, query, operationName, expected) => {
    expect(operationLabel(schema, parse(query), operationName)).toBe(expected);
  });
});

describe('rememberingOperationLabel', () => {
  it("answers each document's own label, the same object from memory", () => {
    const remembering = rememberingOperationLabel();
    const label = (schema: GraphQLSchema, document: DocumentNode) =>
      remembering(schema, document, () => {
        throw new Error('a document of one operation needs no operationName');
      });
    const me = parse('{ me }');
    const submit = parse('mutation { submitWorkload }');
    expect([label(schema, me), label(schema, submit), label(schema, me)]).toEqual([
      'me',
      'submitWorkload',
      'me',
    ]);
    // A document is known by its object: a new parse of another text gets its own label.
    expect(label(schema, parse('{ workloads }'))).toBe('workloads');
    // Remembered, not worked out again: the same object answers even if it were changed after.
    const mutated = parse('{ me }');
    expect(label(schema, mutated)).toBe('me');
    (mutated as unknown as { definitions: unknown[] }).definitions = [];
    expect(label(schema, mutated)).toBe('me');
    expect(operationLabel(schema, mutated)).toBe('unknown');
  });

  it('labels a document of several operations by the operation each request names', () => {
    const label = rememberingOperationLabel();
    const both = parse('query A { me } mutation B { submitWorkload }');
    expect(label(schema, both, () => 'B')).toBe('submitWorkload');
    expect(label(schema, both, () => 'A')).toBe('me');
    expect(label(schema, both, () => undefined)).toBe('me');
    expect(label(schema, both, () => 'NoSuchOperation')).toBe('me');
  });
});

describe('requestedOperationName', () => {
  it.each([
    ['a POST body', { method: 'POST', query: {}, body: { query: '…', operationName: 'B' } }, 'B'],
    [
      'a GET query string',
      { method: 'GET', query: { query: '…', operationName: 'A' }, body: undefined },
      'A',
    ],
    ['a GET ignores the body', { method: 'GET', query: {}, body: { operationName: 'B' } }, undefined],
    ['a batch names none', { method: 'POST', query: {}, body: [{ operationName: 'B' }] }, undefined],
    ['a name that is not a string', { method: 'POST', query: {}, body: { operationName: 7 } }, undefined],
    ['no body', { method: 'POST', query: {}, body: null }, undefined],
  ])('%s', (_what, request, expected) => {
    expect(requestedOperationName(request)).toBe(expected);
  });
});

describe('GatewayMetrics', () => {
  it('exposes request, error, rate-limit and process metrics', async () => {
    const m = new GatewayMetrics();
    m.requestDuration.observe({ operation: 'me', status: '200' }, 0.01);
    m.errors.inc({ operation: 'me', code: 'NOT_FOUND' });
    m.rateLimited.inc();
    const text = await m.registry.metrics();
    expect(text).toMatch(/kentaur_gateway_request_duration_seconds_count{operation="me",status="200"} 1/);
    expect(text).toMatch(/kentaur_gateway_errors_total{operation="me",code="NOT_FOUND"} 1/);
    expect(text).toMatch(/kentaur_gateway_rate_limited_total 1/);
    expect(text).toMatch(/kentaur_gateway_process_resident_memory_bytes/);
  });
});
