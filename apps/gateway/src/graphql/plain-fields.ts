import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

/** The name of the resolver @nestjs/graphql gives every @Field that has no resolver of its own. */
const NEST_PROPERTY_READ = 'rootFieldResolver';

/**
 * Whether `resolve` is Nest's resolver of a plain field: it answers the property of the field's
 * name, and nothing (no default value) when the property is missing. Called only on functions of
 * that name, with objects of its own, so no resolver of the gateway's runs here.
 */
function readsProperty(resolve: GraphQLFieldResolver<unknown, unknown>, field: string): boolean {
  if (resolve.name !== NEST_PROPERTY_READ) return false;
  const probe = {};
  const call = resolve as (root: object) => unknown;
  return call({ [field]: probe }) === probe && call({}) === undefined;
}

/**
 * Takes from the schema the resolvers that only read a property of the same name. @nestjs/graphql
 * gives one to every @Field, so graphql-jit, which reads a field without a resolver inline in the
 * compiled query, called a function per field instead, through its resolver machinery: for the 150
 * fields of a 50-workload page that was most of the page's own cost beside serialising it (profile
 * of `BENCH_GATEWAY_OPS=list BENCH_GATEWAY_PROFILE=… npm run bench -- gateway`). graphql-js reads a
 * field without a resolver the same way (its default resolver), so answers do not change. A field
 * with a default value (`@Field({ defaultValue })`) or field middleware keeps its resolver.
 */
export function readPlainFieldsInline(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields()))
      if (field.resolve && readsProperty(field.resolve, field.name)) field.resolve = undefined;
  }
  return schema;
}
