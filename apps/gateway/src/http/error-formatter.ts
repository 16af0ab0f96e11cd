import { randomUUID } from 'node:crypto';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { ErrorCode } from '../errors';

/**
 * Every error leaves the gateway through here: domain errors (GatewayError) and the query-limit
 * rule's errors keep their message and `extensions.code`; graphql-js's own parse, validation and
 * variable errors get a code; anything else is masked as INTERNAL with a reference that is logged
 * with the real error. No stack traces, no Kubernetes paths, no other tenants' names.
 */

export interface FormattedError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions: { code: ErrorCode } & Record<string, unknown>;
}

export interface FormatOptions {
  /** When introspection is off, "Did you mean …?" hints would leak the schema: they are removed. */
  hideSuggestions: boolean;
  logInternal: (reference: string, error: unknown) => void;
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** `Variable "$input" got invalid value 7 at "input.spec.kind"; …` → `input.spec.kind`. */
function variableField(message: string): string | undefined {
  const at = /at "([^"]+)"/.exec(message);
  if (at) return at[1];
  return /^Variable "\$([A-Za-z0-9_]+)"/.exec(message)?.[1];
}

function requestErrorCode(message: string): ErrorCode {
  if (message.startsWith('Syntax Error')) return 'GRAPHQL_PARSE_FAILED';
  if (message.startsWith('Variable "$')) return 'BAD_USER_INPUT';
  if (message.startsWith('GraphQL introspection has been disabled')) return 'INTROSPECTION_DISABLED';
  return 'GRAPHQL_VALIDATION_FAILED';
}

/**
 * Fastify's and Mercurius's own refusals of a malformed request (bad JSON, body too large, wrong
 * method…): their codes start with FST_ or MER_. Any other error with a status code (a Kubernetes
 * API error, say) is the gateway's fault and is masked.
 */
function frameworkRefusal(original: Error): ErrorCode | undefined {
  const { code, statusCode } = original as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !/^(FST_|MER_)/.test(code) || typeof statusCode !== 'number')
    return undefined;
  if (statusCode === 413) return 'PAYLOAD_TOO_LARGE';
  return statusCode >= 400 && statusCode < 500 ? 'BAD_REQUEST' : undefined;
}

function formatOne(error: GraphQLError, o: FormatOptions): FormattedError {
  const base = { locations: error.locations, path: error.path };
  const code = error.extensions?.code as ErrorCode | undefined;
  if (code && code !== 'INTERNAL')
    return { ...base, message: error.message, extensions: { ...error.extensions, code } };
  const original = error.originalError;
  const refusal = original && !(original instanceof GraphQLError) ? frameworkRefusal(original) : undefined;
  if (refusal) return { ...base, message: original!.message, extensions: { code: refusal } };
  if (!error.path) {
    // Errors of the request itself: parsing, validation, variable coercion (they have no path).
    const message = o.hideSuggestions ? error.message.replace(SUGGESTION, '') : error.message;
    const requestCode = requestErrorCode(message);
    const field = requestCode === 'BAD_USER_INPUT' ? variableField(message) : undefined;
    return { ...base, message, extensions: { code: requestCode, ...(field ? { field } : {}) } };
  }
  // An error during execution without a code is the gateway's fault (a thrown Error, a null for a
  // non-null field): masked, and logged with a reference.
  const reference = randomUUID();
  o.logInternal(reference, original ?? error);
  return {
    ...base,
    message: `internal error (reference ${reference})`,
    extensions: { code: 'INTERNAL', reference },
  };
}

/**
 * Mercurius wraps a failed validation in one error (code MER_ERR_GQL_VALIDATION) carrying the list;
 * unwrap only that: other errors with an `errors` list (Node's AggregateError of a failed
 * connection, say) are faults, to be masked.
 */
function flatten(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.flatMap((e) => {
    const original = e.originalError as { code?: unknown; errors?: unknown } | undefined;
    if (original?.code !== 'MER_ERR_GQL_VALIDATION' || !Array.isArray(original.errors)) return [e];
    return original.errors.map((x: unknown) =>
      x instanceof GraphQLError ? x : new GraphQLError(String((x as Error).message ?? x)),
    );
  });
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
};

/**
 * HTTP status: 200 whenever there is data (GraphQL errors travel in the body); for requests that
 * failed as a whole, 400 for bad requests and the status of an access error; 500 only for INTERNAL.
 */
export function formatExecution(
  execution: ExecutionResult & { errors: readonly GraphQLError[] },
  o: FormatOptions,
): { statusCode: number; response: { data: unknown; errors: FormattedError[] } } {
  const errors = flatten(execution.errors).map((e) => formatOne(e, o));
  let statusCode = 200;
  if (!execution.data) {
    const first = errors[0]?.extensions.code;
    if (errors.every((e) => e.extensions.code === 'INTERNAL')) statusCode = 500;
    else if (first && STATUS[first]) statusCode = STATUS[first]!;
    else if (errors.some((e) => !e.path)) statusCode = 400;
  }
  return { statusCode, response: { data: execution.data ?? null, errors } };
}
