import { Location, type DocumentNode } from 'graphql';
import { GatewayError } from '../errors';
import { checkFieldRepeats, type QueryLimits } from './query-limits';

/**
 * Checks of a parsed document before graphql validates it, over HTTP (Mercurius' preValidation
 * hook) and WebSocket (subscriptionChecks):
 *
 * - it was parsed from GraphQL text. When a query fails to parse, Mercurius tries it as JSON and
 *   validates and executes whatever that yields as an AST (`{"kind":"Document",…}`, `"x"`, `123`);
 *   over WebSocket it takes a non-string `query` as the AST itself. Such documents skip the text
 *   limits, and malformed nodes crash validation rules, whose internal messages reached clients.
 *   Only the parser creates `Location` instances, which JSON cannot;
 * - its fields are not repeated beyond `maxFieldRepeats` (graphql's merge check is quadratic).
 *
 * Errors are GatewayErrors, so they reach the client with their code (HTTP 400).
 */
export function checkDocument(document: unknown, limits: QueryLimits): asserts document is DocumentNode {
  if (!((document as { loc?: unknown } | null)?.loc instanceof Location))
    throw new GatewayError('GRAPHQL_PARSE_FAILED', 'query must be a GraphQL document as text, not JSON');
  const v = checkFieldRepeats(document as DocumentNode, limits);
  if (v)
    throw new GatewayError('QUERY_TOO_COMPLEX', v.message, { limit: v.limit, max: v.max, actual: v.actual });
}
