import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { readsOnlyCaches, rememberingCacheReads } from './cached-reads';

/**
 * The shapes that matter, as the running gateway has them: root fields with resolvers, plain fields
 * without one (readPlainFieldsInline took Nest's), and `events`, a field with a resolver of its own
 * that asks the API server.
 */
function schema(): GraphQLSchema {
  const s = buildSchema(`
    type KubeEvent { reason: String! }
    type Workload { id: ID! name: String! phase: String! events: [KubeEvent!]! }
    type Edge { node: Workload! }
    type PageInfo { hasNextPage: Boolean! }
    type Connection { edges: [Edge!]! pageInfo: PageInfo! }
    type Me { tenant: String }
    type Query {
      workloads(first: Int): Connection!
      workload(id: ID!): Workload!
      me: Me!
      quote: Float
    }
    type Mutation { cancelWorkload(id: ID!): Workload! }
  `);
  const resolve = () => null;
  for (const name of ['workloads', 'workload', 'me', 'quote'])
    s.getQueryType()!.getFields()[name]!.resolve = resolve;
  s.getMutationType()!.getFields()['cancelWorkload']!.resolve = resolve;
  (s.getType('Workload') as ReturnType<GraphQLSchema['getQueryType']>)!.getFields()['events']!.resolve =
    resolve;
  return s;
}

describe('readsOnlyCaches: which documents may be answered again from the response cache', () => {
  const s = schema();
  const cases: [name: string, query: string, cacheable: boolean][] = [
    [
      'a page of workloads',
      '{ workloads(first: 50) { edges { node { id name phase } } pageInfo { hasNextPage } } }',
      true,
    ],
    ['one workload by id, with a variable', 'query($id: ID!) { workload(id: $id) { id name phase } }', true],
    [
      '__typename, at the root and below',
      '{ __typename workloads { __typename edges { node { id } } } }',
      true,
    ],
    ['aliases of cached reads', '{ a: workload(id: "x/a") { id } b: workload(id: "x/b") { id } }', true],
    [
      'a fragment of plain fields',
      '{ workloads { edges { node { ...W } } } } fragment W on Workload { id phase }',
      true,
    ],
    [
      'a field with a resolver below a cached read (events)',
      '{ workload(id: "x/a") { id events { reason } } }',
      false,
    ],
    ['events, aliased', '{ workload(id: "x/a") { id e: events { reason } } }', false],
    [
      'events, in a fragment',
      '{ workload(id: "x/a") { ...E } } fragment E on Workload { events { reason } }',
      false,
    ],
    ['a root field outside the cached reads', '{ me { tenant } }', false],
    ['a cached read beside one that is not', '{ workloads { edges { node { id } } } quote }', false],
    ['a root field in a fragment on Query', '{ ...Q } fragment Q on Query { me { tenant } }', false],
    ['a mutation', 'mutation { cancelWorkload(id: "x/a") { id } }', false],
    [
      'a query beside a mutation in one document',
      'query A { workload(id: "x/a") { id } } mutation B { cancelWorkload(id: "x/a") { id } }',
      false,
    ],
    ['introspection', '{ __schema { queryType { name } } }', false],
    ['a field the schema does not have', '{ workloads { nope } }', false],
  ];

  it.each(cases)('%s', (_name, query, cacheable) => {
    expect(readsOnlyCaches(s, parse(query))).toBe(cacheable);
  });

  it('remembers the answer per parsed document, and tells documents apart', () => {
    const check = rememberingCacheReads();
    const page = parse('{ workloads { edges { node { id } } } }');
    const events = parse('{ workload(id: "x/a") { events { reason } } }');
    expect([check(s, page), check(s, events), check(s, page)]).toEqual([true, false, true]);
  });
});
