import {
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { GatewayError } from '../errors';
import { checkDocument } from './document-checks';
import { checkQuerySource, queryLimitsRule, type QueryLimits } from './query-limits';

/**
 * Mercurius executes WebSocket subscriptions without the validation it applies over HTTP, so the
 * gateway's hooks apply the same checks to them: the text limits before parsing, then graphql's
 * rules with the query limits (and no introspection in production). Errors are GatewayErrors, so
 * they reach the client with their code.
 */
export function subscriptionChecks(o: {
  limits: QueryLimits;
  introspection: boolean;
  hideSuggestions: boolean;
}) {
  const rules = [
    ...specifiedRules,
    queryLimitsRule(o.limits),
    ...(o.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  return {
    preSubscriptionParsing: (_schema: GraphQLSchema, source: string) => {
      const v = checkQuerySource(source, o.limits);
      if (v) throw new GatewayError('QUERY_TOO_COMPLEX', v.message, { limit: v.limit, max: v.max });
    },
    preSubscriptionExecution: (schema: GraphQLSchema, document: DocumentNode) => {
      checkDocument(document, o.limits);
      const errors = validate(schema, document, rules);
      const first = errors[0];
      if (!first) return;
      const code =
        first.extensions?.code === 'QUERY_TOO_COMPLEX' ? 'QUERY_TOO_COMPLEX' : 'GRAPHQL_VALIDATION_FAILED';
      const message = o.hideSuggestions
        ? first.message.replace(/ ?Did you mean [^?]*\?/g, '')
        : first.message;
      throw new GatewayError(code, message, { ...first.extensions, code });
    },
  };
}
