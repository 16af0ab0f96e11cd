import { GraphQLError } from 'graphql';

/**
 * The stable error codes of the API (`extensions.code`). Clients branch on these, never on
 * messages; the messages are for people and name the field and the fix.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'BAD_REQUEST'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'PAYLOAD_TOO_LARGE'
  | 'BATCH_TOO_LARGE'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'INTROSPECTION_DISABLED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** A domain error: its message and extensions reach the client as they are. */
export class GatewayError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }

  get code(): ErrorCode {
    return this.extensions.code as ErrorCode;
  }
}

export const unauthenticated = (message: string) => new GatewayError('UNAUTHENTICATED', message);
export const forbidden = (message: string) => new GatewayError('FORBIDDEN', message);
export const notFound = (what: string, id: string) =>
  new GatewayError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`);

/** One invalid field: `field` is the path in the GraphQL input, e.g. `input.spec.replicas`. */
export interface FieldProblem {
  field: string;
  message: string;
}

export function badInput(problems: readonly FieldProblem[]): GatewayError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more in extensions.fields)` : '';
  return new GatewayError('BAD_USER_INPUT', `${first.field}: ${first.message}${more}`, {
    field: first.field,
    fields: problems,
  });
}
