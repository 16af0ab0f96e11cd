import fc from 'fast-check';
import {
  buildSchema,
  execute,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  validate,
  type ExecutionResult,
} from 'graphql';
import { KubeApiError } from '@kentaur/k8s-runtime';
import { GatewayError, type ErrorCode } from '../errors';
import { formatExecution, type FormatOptions } from './error-formatter';

type Execution = ExecutionResult & { errors: readonly GraphQLError[] };

const schema = buildSchema(`
  input Spec { kind: String! }
  input SubmitInput { spec: Spec! }
  type Query { food: String, optional: String, required: String!, submit(input: SubmitInput!): String }
`);

/** What graphql-js makes of `thrown` in a resolver: `optional` leaves data, `required` nulls it. */
function resolverFailure(thrown: unknown, field: 'optional' | 'required' = 'optional'): Execution {
  const fail = () => {
    throw thrown;
  };
  const result = execute({ schema, document: parse(`{ ${field} }`), rootValue: { [field]: fail } });
  return result as Execution;
}

function validationFailure(query: string, rules = undefined as Parameters<typeof validate>[2]): Execution {
  return { errors: validate(schema, parse(query), rules) };
}

function parseFailure(query: string): Execution {
  try {
    parse(query);
  } catch (e) {
    return { errors: [e as GraphQLError] };
  }
  throw new Error(`${query} parsed`);
}

function variableFailure(input: unknown): Execution {
  const document = parse('query ($input: SubmitInput!) { submit(input: $input) }');
  return execute({ schema, document, variableValues: { input } }) as Execution;
}

function format(execution: Execution, o: Partial<FormatOptions> = {}) {
  const logInternal = jest.fn<void, [string, unknown]>();
  const { statusCode, response } = formatExecution(execution, { hideSuggestions: true, logInternal, ...o });
  return { statusCode, response, errors: response.errors, logInternal };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('formatExecution: domain errors', () => {
  it.each([
    { name: 'bad input with its field', error: new GatewayError('BAD_USER_INPUT', 'x: bad', { field: 'x' }) },
    { name: 'not found', error: new GatewayError('NOT_FOUND', 'workload "w" not found') },
    { name: 'conflict with its field', error: new GatewayError('CONFLICT', 'id: done', { field: 'id' }) },
    { name: 'forbidden', error: new GatewayError('FORBIDDEN', 'not your tenant') },
  ])('a GatewayError keeps code, message and extensions: $name', ({ error }) => {
    const { errors, logInternal } = format(resolverFailure(error));
    expect(errors).toEqual([
      {
        message: error.message,
        locations: [{ line: 1, column: 3 }],
        path: ['optional'],
        extensions: { ...error.extensions },
      },
    ]);
    expect(logInternal).not.toHaveBeenCalled();
  });

  it("keeps a validation rule's own code (the query-limit rule)", () => {
    const limit = new GraphQLError('query too deep: 12 levels, at most 10', {
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 10 },
    });
    expect(format({ errors: [limit] }).errors[0]).toMatchObject({
      message: limit.message,
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 10 },
    });
  });
});

describe('formatExecution: masking', () => {
  it('masks a GraphQLError a resolver throws without a code: only domain errors carry their text', () => {
    const { errors, logInternal } = format(
      resolverFailure(new GraphQLError('pods "x" in ns-secret is broken')),
    );
    expect(errors[0]?.extensions.code).toBe('INTERNAL');
    expect(errors[0]?.message).not.toMatch(/ns-secret/);
    expect(logInternal).toHaveBeenCalledTimes(1);
  });

  it('masks a null returned for a non-null field (a fault of the gateway, not of the request)', () => {
    const execution = execute({
      schema,
      document: parse('{ required }'),
      rootValue: { required: null },
    }) as Execution;
    const { errors } = format(execution);
    expect(errors[0]?.extensions.code).toBe('INTERNAL');
  });

  it('masks a plain Error as INTERNAL with a reference that is logged with the error', () => {
    const original = new Error('connect ECONNREFUSED 10.96.0.1:443');
    const { errors, logInternal } = format(resolverFailure(original));
    const reference = errors[0]?.extensions['reference'] as string;
    expect(reference).toMatch(UUID);
    expect(errors).toEqual([
      {
        message: `internal error (reference ${reference})`,
        locations: [{ line: 1, column: 3 }],
        path: ['optional'],
        extensions: { code: 'INTERNAL', reference },
      },
    ]);
    expect(logInternal).toHaveBeenCalledTimes(1);
    expect(logInternal).toHaveBeenCalledWith(reference, original);
  });

  it('gives every masked error its own reference', () => {
    const a = format(resolverFailure(new Error('a'))).errors[0]?.extensions['reference'];
    const b = format(resolverFailure(new Error('b'))).errors[0]?.extensions['reference'];
    expect(a).not.toBe(b);
  });

  it.each([
    { name: 'a TypeError', thrown: new TypeError("Cannot read properties of undefined (reading 'spec')") },
    { name: 'a thrown string', thrown: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
    {
      name: 'a 5xx from a dependency',
      thrown: Object.assign(new Error('etcd timeout'), { statusCode: 503 }),
    },
    {
      name: 'an RBAC refusal of the gateway itself (KubeApiError 403)',
      thrown: new KubeApiError({
        statusCode: 403,
        method: 'POST',
        path: '/api/v1/namespaces/team-a/pods',
        status: {
          reason: 'Forbidden',
          message:
            'pods is forbidden: User "system:serviceaccount:kentaur:gateway" cannot create resource "pods"',
        },
      }),
    },
    {
      name: 'a conflict from the API server (KubeApiError 409)',
      thrown: new KubeApiError({
        statusCode: 409,
        method: 'PATCH',
        path: '/apis/kentaur.io/v1alpha1/namespaces/team-a/workloads/w',
        status: { reason: 'Conflict', message: 'the object has been modified' },
      }),
    },
    {
      name: 'an AggregateError (a failed connection attempt to several addresses)',
      thrown: new AggregateError(
        [new Error('connect ECONNREFUSED 10.96.0.1:443'), new Error('connect ECONNREFUSED [fd00::1]:443')],
        'connect failed',
      ),
    },
  ])('masks $name as INTERNAL, logged, without its text', ({ thrown }) => {
    const { errors, logInternal } = format(resolverFailure(thrown));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extensions.code).toBe('INTERNAL');
    expect(errors[0]?.message).toMatch(/^internal error \(reference [0-9a-f-]{36}\)$/);
    expect(JSON.stringify(errors)).not.toMatch(/10\.96|kubernetes|serviceaccount|namespaces|etcd|spec/);
    expect(logInternal).toHaveBeenCalledTimes(1);
  });

  it('never puts the original error text in the message or extensions', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (text) => {
        const secret = `secret:${text}`;
        const { errors } = format(resolverFailure(new Error(secret), 'required'));
        const client = JSON.stringify(errors);
        expect(client).not.toContain('secret:');
        expect(errors[0]?.extensions.code).toBe('INTERNAL');
      }),
    );
  });
});

describe('formatExecution: errors of the request', () => {
  it.each([
    { name: 'unclosed selection', query: '{', code: 'GRAPHQL_PARSE_FAILED' },
    { name: 'unexpected token', query: 'query { food ) }', code: 'GRAPHQL_PARSE_FAILED' },
  ])('a parse error ($name) is $code', ({ query, code }) => {
    const { errors, statusCode } = format(parseFailure(query));
    expect(errors[0]?.extensions).toEqual({ code });
    expect(errors[0]?.message).toMatch(/^Syntax Error/);
    expect(statusCode).toBe(400);
  });

  it.each([
    { name: 'a wrong type deep in the input', input: { spec: { kind: 7 } }, field: 'input.spec.kind' },
    { name: 'a missing required field', input: { spec: {} }, field: 'input.spec' },
    { name: 'a missing variable', input: undefined, field: 'input' },
  ])('a variable error ($name) is BAD_USER_INPUT on $field', ({ input, field }) => {
    const { errors, statusCode } = format(variableFailure(input));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(statusCode).toBe(400);
  });

  it.each([
    {
      name: 'hidden when introspection is off',
      hideSuggestions: true,
      message: 'Cannot query field "foo" on type "Query".',
    },
    {
      name: 'kept when introspection is on',
      hideSuggestions: false,
      message: 'Cannot query field "foo" on type "Query". Did you mean "food"?',
    },
  ])('"Did you mean" suggestions are $name', ({ hideSuggestions, message }) => {
    const { errors, statusCode } = format(validationFailure('{ foo }'), { hideSuggestions });
    expect(errors).toEqual([
      {
        message,
        locations: [{ line: 1, column: 3 }],
        path: undefined,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
    expect(statusCode).toBe(400);
  });

  it('a refused introspection query is INTROSPECTION_DISABLED', () => {
    const execution = validationFailure('{ __schema { types { name } } }', [NoSchemaIntrospectionCustomRule]);
    const { errors } = format(execution);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => e.extensions.code)).toEqual(errors.map(() => 'INTROSPECTION_DISABLED'));
  });

  it("flattens Mercurius's wrapper of validation errors", () => {
    const inner = validate(schema, parse('{ foo bar }'));
    const wrapper = Object.assign(new Error('Graphql validation error'), {
      code: 'MER_ERR_GQL_VALIDATION',
      statusCode: 400,
      errors: [...inner, new Error('not a GraphQLError')],
    });
    const { errors, statusCode, logInternal } = format({
      errors: [new GraphQLError(wrapper.message, { originalError: wrapper })],
    });
    expect(errors.map((e) => [e.message, e.extensions.code])).toEqual([
      ['Cannot query field "foo" on type "Query".', 'GRAPHQL_VALIDATION_FAILED'],
      ['Cannot query field "bar" on type "Query".', 'GRAPHQL_VALIDATION_FAILED'],
      ['not a GraphQLError', 'GRAPHQL_VALIDATION_FAILED'],
    ]);
    expect(statusCode).toBe(400);
    expect(logInternal).not.toHaveBeenCalled();
  });

  it.each([
    {
      name: 'malformed JSON body',
      refusal: { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY', message: 'Body is not valid JSON' },
      code: 'BAD_REQUEST',
      status: 400,
    },
    {
      name: 'unsupported media type',
      refusal: { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message: 'Unsupported Media Type' },
      code: 'BAD_REQUEST',
      status: 400,
    },
    {
      name: 'a body over the limit',
      refusal: { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' },
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    },
  ])("a refusal by Fastify ($name) is $code with Fastify's message", ({ refusal, code, status }) => {
    const error = Object.assign(new Error(refusal.message), refusal);
    const { errors, logInternal, statusCode } = format({
      errors: [new GraphQLError(error.message, { originalError: error })],
    });
    expect(errors).toEqual([
      { message: refusal.message, locations: undefined, path: undefined, extensions: { code } },
    ]);
    expect(statusCode).toBe(status);
    expect(logInternal).not.toHaveBeenCalled();
  });
});

describe('formatExecution: HTTP status', () => {
  const access = (code: ErrorCode) => new GatewayError(code, `${code} message`);

  it.each([
    { name: 'data with a masked error', execution: () => resolverFailure(new Error('x')), status: 200 },
    { name: 'data with a domain error', execution: () => resolverFailure(access('NOT_FOUND')), status: 200 },
    {
      name: 'no data, unauthenticated',
      execution: () => ({ errors: [access('UNAUTHENTICATED')] }),
      status: 401,
    },
    { name: 'no data, forbidden', execution: () => ({ errors: [access('FORBIDDEN')] }), status: 403 },
    { name: 'no data, rate limited', execution: () => ({ errors: [access('RATE_LIMITED')] }), status: 429 },
    {
      name: 'no data, payload too large',
      execution: () => ({ errors: [access('PAYLOAD_TOO_LARGE')] }),
      status: 413,
    },
    {
      name: 'no data, an access error from a resolver',
      execution: () => resolverFailure(access('FORBIDDEN'), 'required'),
      status: 403,
    },
    {
      name: 'no data, the first error decides among access codes',
      execution: () => ({ errors: [access('RATE_LIMITED'), access('UNAUTHENTICATED')] }),
      status: 429,
    },
    { name: 'no data, a validation error', execution: () => validationFailure('{ foo }'), status: 400 },
    {
      name: 'no data, a request error before an access error',
      execution: () => ({ errors: [...validationFailure('{ foo }').errors, access('FORBIDDEN')] }),
      status: 400,
    },
    {
      name: 'no data, only masked errors',
      execution: () => resolverFailure(new Error('x'), 'required'),
      status: 500,
    },
    {
      name: 'no data, a masked error beside a request error',
      execution: () => ({
        errors: [
          ...validationFailure('{ foo }').errors,
          ...resolverFailure(new Error('x'), 'required').errors,
        ],
      }),
      status: 400,
    },
  ])('$name → $status', ({ execution, status }) => {
    const e = execution() as Execution;
    const { statusCode, response } = format(e);
    expect(statusCode).toBe(status);
    expect(response.data).toEqual(e.data ?? null);
  });
});
