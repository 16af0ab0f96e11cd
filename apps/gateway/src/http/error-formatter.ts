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

function formatOne(error: GraphQLError, o: FormatOptions): FormattedError {
  const base = { locations: error.locations, path: error.path };
  const code = error.extensions?.code as ErrorCode | undefined;
  if (code && code !== 'INTERNAL')
    return { ...base, message: error.message, extensions: { ...error.extensions, code } };
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) {
    // Errors of the request itself: parsing, validation, variable coercion.
    const message = o.hideSuggestions ? error.message.replace(SUGGESTION, '') : error.message;
    const requestCode = requestErrorCode(message);
    const field = requestCode === 'BAD_USER_INPUT' ? variableField(message) : undefined;
    return { ...base, message, extensions: { code: requestCode, ...(field ? { field } : {}) } };
  }
  const status = (original as { statusCode?: unknown }).statusCode;
  if (status === 413)
    return { ...base, message: original.message, extensions: { code: 'PAYLOAD_TOO_LARGE' } };
  if (typeof status === 'number' && status >= 400 && status < 500)
    // Fastify's and Mercurius's own refusals of a malformed request (bad JSON, wrong method, …).
    return { ...base, message: original.message, extensions: { code: 'BAD_REQUEST' } };
  const reference = randomUUID();
  o.logInternal(reference, original);
  return {
    ...base,
    message: `internal error (reference ${reference})`,
    extensions: { code: 'INTERNAL', reference },
  };
}

/** Mercurius wraps a failed validation in one error carrying the list; unwrap it. */
function flatten(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.flatMap((e) => {
    const inner = (e.originalError as { errors?: unknown } | undefined)?.errors;
    if (!Array.isArray(inner)) return [e];
    return inner.map((x) =>
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
