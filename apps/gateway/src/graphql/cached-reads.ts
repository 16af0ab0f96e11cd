import {
  Kind,
  OperationTypeNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  BREAK,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';

/**
 * Root fields whose answers come only from the cached workloads and tenants, through the principal's
 * TenantScope: what ReadStamps follows. A root field added here must read nothing else (no clock,
 * no API call, no ledger, no other cache), or a cached answer of it could be stale.
 */
const CACHE_READS: ReadonlySet<string> = new Set(['workloads', 'workload']);

/**
 * Whether every operation of `document` is a query whose answer is a function of the principal's
 * cached workloads and tenant alone, so that it may be answered again from the response cache while
 * they are unchanged (ADR 19): its root fields are in CACHE_READS, and every field below them is
 * read from its parent object without a resolver of its own (readPlainFieldsInline leaves such
 * fields without one; a field with a resolver, like `events`, which asks the API server, makes the
 * document uncacheable). `__typename` is the one meta field allowed. Fields the schema does not
 * know make it uncacheable too (validation refuses the document anyway).
 */
export function readsOnlyCaches(schema: GraphQLSchema, document: DocumentNode): boolean {
  const root = schema.getQueryType();
  if (!root) return false;
  for (const d of document.definitions)
    if (d.kind === Kind.OPERATION_DEFINITION && d.operation !== OperationTypeNode.QUERY) return false;
  let cacheable = true;
  const types = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(types, {
      Field(node) {
        const name = node.name.value;
        if (name === '__typename') return undefined;
        const field = types.getFieldDef();
        const parent = types.getParentType();
        const allowed =
          field !== null &&
          field !== undefined &&
          !name.startsWith('__') &&
          (parent === root ? CACHE_READS.has(name) : field.resolve === undefined);
        if (allowed) return undefined;
        cacheable = false;
        return BREAK;
      },
    }),
  );
  return cacheable;
}

/** `readsOnlyCaches`, remembered per parsed document (Mercurius keeps one per query text). */
export function rememberingCacheReads(): (schema: GraphQLSchema, document: DocumentNode) => boolean {
  const known = new WeakMap<DocumentNode, boolean>();
  return (schema, document) => {
    let cacheable = known.get(document);
    if (cacheable === undefined) known.set(document, (cacheable = readsOnlyCaches(schema, document)));
    return cacheable;
  };
}
