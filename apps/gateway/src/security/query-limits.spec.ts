import fc from 'fast-check';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import {
  analyzeOperation,
  checkFieldRepeats,
  checkQuerySource,
  DEFAULT_QUERY_LIMITS,
  queryLimitsRule,
  rememberingSourceCheck,
  type OperationCost,
} from './query-limits';

const limits = DEFAULT_QUERY_LIMITS;
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

// A small schema in the shape of the gateway's: paged connections, the admission chain, and a
// self-referencing `manager` to nest as deep as a test needs.
const schema = buildSchema(`
  type Query {
    jobs(first: Int, last: Int): JobConnection!
    viewer: User!
  }
  type JobConnection { edges: [JobEdge!]! }
  type JobEdge { cursor: String! node: Job! }
  type Job { id: ID! name: String! owner: User! status: JobStatus! }
  type JobStatus { phase: String! admission: Admission }
  type Admission { placement: Placement }
  type Placement { pool: String! nodes: [String!]! }
  type User { id: ID! name: String! manager: User jobs(first: Int): JobConnection! }
`);

function measure(query: string, variables?: Record<string, unknown>, operationName?: string): OperationCost {
  return analyzeOperation(parse(query), operationName, variables, limits);
}

/** The errors of full validation (graphql's rules plus ours), with only what the client sees. */
function validationErrors(query: string, variables?: Record<string, unknown>) {
  const errors = validate(schema, parse(query), [...specifiedRules, queryLimitsRule(limits, variables)]);
  return errors.map(({ message, extensions }) => ({ message, extensions }));
}

function limitErrors(query: string, variables?: Record<string, unknown>) {
  return validationErrors(query, variables).filter(
    (error) => error.extensions['code'] === 'QUERY_TOO_COMPLEX',
  );
}

/** `viewer { manager { … { id } } }`, `depth` fields deep. */
function managerChain(depth: number): string {
  return `viewer { ${'manager { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} }`;
}

/** The same chain with each `manager` level moved into its own named fragment. */
function managerChainInFragments(depth: number, prefix = 'M'): string {
  const levels = depth - 2;
  const fragments = Array.from({ length: levels }, (_, i) => {
    const inner = i + 1 < levels ? `...${prefix}${i + 1}` : 'id';
    return `fragment ${prefix}${i} on User { manager { ${inner} } }`;
  });
  return `{ viewer { ...${prefix}0 } }\n${fragments.join('\n')}`;
}

/** F0 spreads F1 twice, F1 spreads F2 twice, …; the last holds one aliased field: 2^levels aliases. */
function binaryFanOut(levels: number): string {
  const fragments = Array.from(
    { length: levels },
    (_, i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`,
  );
  return `{ viewer { ...F0 } }\n${fragments.join('\n')}\nfragment F${levels} on User { x: id }`;
}

const DEEP_INTROSPECTION = `{
  __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } }
}`;

describe('analyzeOperation', () => {
  it('measures a realistic paged query exactly', () => {
    const query = `query Jobs($first: Int = 10) {
      jobs(first: $first) {
        edges { node { id name status { phase admission { placement { pool nodes } } } } }
      }
    }`;
    // placement 1+2, admission 1+3, status 1+1+4, node 1+2+6, edges 1+9, jobs 1+10×10.
    expect(measure(query, {})).toEqual({ depth: 7, aliases: 0, directives: 0, cost: 101 });
    expect(validationErrors(query, {})).toEqual([]);
  });

  it.each([
    ['one field', '{ viewer { id } }', 2],
    ['__typename counts as a field at its level', '{ viewer { __typename } }', 2],
    ['eight levels, the limit', `{ ${managerChain(8)} }`, 8],
    ['the deepest of several branches', `{ viewer { id manager { id } } ${managerChain(5)} }`, 5],
  ])('counts field depth: %s', (_name, query, depth) => {
    expect(measure(query).depth).toBe(depth);
  });

  it('gives equal depth and cost for plain fields, inline fragments and named fragments', () => {
    // graphql-armor issue #431: fragments must add no depth of their own.
    const plain = '{ viewer { manager { manager { id } } } }';
    const inline = '{ viewer { ... on User { manager { ... { manager { ... on User { id } } } } } } }';
    const named = `{ viewer { ...M } }
      fragment M on User { manager { ...N } }
      fragment N on User { manager { id } }`;
    const expected = { depth: 4, aliases: 0, directives: 0, cost: 4 };
    expect([measure(plain), measure(inline), measure(named)]).toEqual([expected, expected, expected]);
  });

  it('finds depth hidden in named fragments', () => {
    // A depth rule that recurses only into selection sets sees depth 2 here.
    expect(measure(managerChainInFragments(12)).depth).toBe(12);
  });

  it('counts aliases inside a fragment each time it is spread', () => {
    const query = `{ viewer { ...Names manager { ...Names manager { ...Names manager { ...Names } } } } }
      fragment Names on User { a: id b: name c: id d: name }`;
    expect(measure(query).aliases).toBe(16);
  });

  it('counts directives on fields, spreads, inline fragments, fragments and the operation', () => {
    const query = `query Q @a {
      viewer @b { id @c ...F @d ... @e { name @f } }
    }
    fragment F on User @g { name @h }`;
    expect(measure(query).directives).toBe(8);
    expect(measure(`{ viewer { id ${'@include(if: true) '.repeat(51)}} }`).directives).toBe(51);
  });

  describe('cost', () => {
    const connection = (args: string) => `{ jobs${args} { edges { node { id } } } }`;

    // edges { node { id } } costs 3 per page item.
    it.each([
      ['no page argument', connection(''), 4],
      ['first: 10', connection('(first: 10)'), 31],
      ['first: 100', connection('(first: 100)'), 301],
      ['first: 100000, clamped to maxListSize', connection('(first: 100000)'), 301],
      ['last: 100', connection('(last: 100)'), 301],
      ['first and last: the larger', connection('(first: 5, last: 10)'), 31],
      ['first: 0', connection('(first: 0)'), 1],
      ['first: -5, clamped to 0', connection('(first: -5)'), 1],
      ['first: null, the default page', connection('(first: null)'), 61],
    ])('%s', (_name, query, cost) => {
      expect(measure(query).cost).toBe(cost);
    });

    const byVariable = 'query($n: Int) { jobs(first: $n) { edges { node { id } } } }';
    it.each<[string, string, Record<string, unknown> | undefined, number]>([
      ['a variable', byVariable, { n: 50 }, 151],
      ['a variable over maxListSize', byVariable, { n: 100000 }, 301],
      ['a null variable, the default page', byVariable, { n: null }, 61],
      ['an unset variable, the default page', byVariable, {}, 61],
      ['an unset variable with a default value', byVariable.replace('Int)', 'Int = 5)'), {}, 16],
      ['a set variable over its default value', byVariable.replace('Int)', 'Int = 5)'), { n: 7 }, 22],
      ['unknown variables: the worst case', byVariable, undefined, 301],
    ])('first given as %s', (_name, query, variables, cost) => {
      expect(measure(query, variables).cost).toBe(cost);
    });

    it('multiplies nested pages', () => {
      const nested = (n: number) =>
        `{ jobs(first: ${n}) { edges { node { owner { jobs(first: ${n}) { edges { node { id } } } } } } } }`;
      // inner connection 1+3n, owner +1, node +1, edges +1, outer 1 + n × that.
      expect(measure(nested(10)).cost).toBe(341);
      expect(measure(nested(100)).cost).toBe(30401);
    });
  });

  describe('fragment cycles', () => {
    it.each([
      [
        'A spreads B spreads A',
        '{ viewer { ...A } } fragment A on User { manager { ...B } } fragment B on User { id ...A }',
      ],
      ['a fragment spreading itself', '{ viewer { ...A } } fragment A on User { id ...A }'],
      [
        'a cycle reached through another fragment',
        '{ viewer { ...C } } fragment C on User { ...A } fragment A on User { ...A }',
      ],
    ])('terminate and exceed every limit: %s', (_name, query) => {
      expect(measure(query)).toEqual({
        depth: UNBOUNDED,
        aliases: UNBOUNDED,
        directives: UNBOUNDED,
        cost: UNBOUNDED,
      });
    });
  });

  it('expands a 40-level binary fragment fan-out once per fragment', () => {
    const aliases = 2 ** 40;
    expect(measure(binaryFanOut(40))).toEqual({ depth: 2, aliases, directives: 0, cost: 1 + aliases });
  });

  it('saturates counts past MAX_SAFE_INTEGER instead of losing precision', () => {
    expect(measure(binaryFanOut(60))).toEqual({
      depth: 2,
      aliases: UNBOUNDED,
      directives: 0,
      cost: UNBOUNDED,
    });
  });

  it('measures the named operation, or the first when no name is given', () => {
    const query = `query Shallow { viewer { id } } query Deep { ${managerChain(6)} }`;
    expect(measure(query, undefined, 'Deep').depth).toBe(6);
    expect(measure(query).depth).toBe(2);
    expect(analyzeOperation(parse(query), null, undefined, limits).depth).toBe(2);
    // execution rejects an unknown operation name without running anything.
    expect(measure(query, undefined, 'Missing')).toEqual({ depth: 0, aliases: 0, directives: 0, cost: 0 });
  });

  it('measures any tree the same written plain, with inline fragments or with named fragments', () => {
    fc.assert(
      fc.property(fc.array(fieldTree, { minLength: 1, maxLength: 3 }), (roots) => {
        const plain = measure(`{ ${roots.map(renderPlain).join(' ')} }`);
        expect(plain.depth).toBe(Math.max(...roots.map(height)));
        expect(measure(`{ ${roots.map(renderInline).join(' ')} }`)).toEqual(plain);
        expect(measure(renderNamed(roots))).toEqual(plain);
      }),
    );
  });
});

describe('queryLimitsRule', () => {
  it('reports depth with the QUERY_TOO_COMPLEX extensions', () => {
    expect(limitErrors(managerChainInFragments(12))).toEqual([
      {
        message: 'query depth 12 exceeds the limit of 8: request fewer nested fields',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 8, actual: 12 },
      },
    ]);
    expect(limitErrors(`{ ${managerChain(9)} }`)).toHaveLength(1);
    expect(validationErrors(`{ ${managerChain(8)} }`)).toEqual([]);
  });

  it('rejects 16 aliases and accepts 15', () => {
    const aliased = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`;
    expect(validationErrors(aliased(15))).toEqual([]);
    expect(limitErrors(aliased(16))).toEqual([
      {
        message: 'alias count 16 exceeds the limit of 15: use fewer aliases',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 15, actual: 16 },
      },
    ]);
  });

  it('rejects 16 aliases written as 4 in a fragment spread 4 times', () => {
    const query = `{ viewer { ...Names manager { ...Names manager { ...Names manager { ...Names } } } } }
      fragment Names on User { a: id b: name c: id d: name }`;
    expect(limitErrors(query).map((error) => error.extensions)).toEqual([
      { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 15, actual: 16 },
    ]);
  });

  it('rejects a directive flood', () => {
    const query = `{ ${'viewer @include(if: true) { id @skip(if: false) } '.repeat(26)}}`;
    expect(limitErrors(query).map((error) => error.extensions)).toEqual([
      { code: 'QUERY_TOO_COMPLEX', limit: 'directives', max: 50, actual: 52 },
    ]);
  });

  it('rejects cost from page sizes, given literally or by variable', () => {
    const query = `query($n: Int) {
      jobs(first: $n) { edges { node { owner { jobs(first: 100) { edges { node { id } } } } } } }
    }`;
    // inner connection 301, owner..edges 304 per outer item.
    expect(validationErrors(query, { n: 10 })).toEqual([]);
    expect(limitErrors(query, { n: 100 })).toEqual([
      {
        message:
          'query cost 30401 exceeds the limit of 5000: request smaller pages (first/last) or fewer fields',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 5000, actual: 30401 },
      },
    ]);
  });

  it('reports every limit of a fragment cycle as unbounded, beside graphql own cycle error', () => {
    const query =
      '{ viewer { ...A } } fragment A on User { manager { ...B } } fragment B on User { id ...A }';
    const errors = validationErrors(query);
    expect(errors.some((error) => error.message.startsWith('Cannot spread fragment "A" within itself'))).toBe(
      true,
    );
    expect(limitErrors(query)).toEqual(
      (['depth', 'aliases', 'directives', 'cost'] as const).map((limit) => ({
        message: expect.stringMatching(/ unbounded exceeds the limit of /),
        extensions: { code: 'QUERY_TOO_COMPLEX', limit, max: expect.any(Number), actual: UNBOUNDED },
      })),
    );
  });

  it('rejects a 40-level binary fragment fan-out on aliases and cost', () => {
    const errors = validate(schema, parse(binaryFanOut(40)), [queryLimitsRule(limits)]);
    expect(errors.map((error) => error.extensions)).toEqual([
      { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 15, actual: 2 ** 40 },
      { code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 5000, actual: 2 ** 40 + 1 },
    ]);
  });

  it('measures every operation of the document, not only the selected one', () => {
    const query = `query Shallow { viewer { id } } query Deep { ${managerChain(10)} }`;
    const errors = validate(schema, parse(query), [queryLimitsRule(limits)]);
    expect(errors.map((error) => [error.extensions['actual'], error.locations])).toEqual([
      [10, [{ line: 1, column: 33 }]],
    ]);
  });

  describe('introspection is not exempt', () => {
    it('limits a fragment named __schema', () => {
      const query = managerChainInFragments(12).replaceAll('M0', '__schema');
      expect(query).toContain('fragment __schema on User');
      expect(limitErrors(query).map((error) => error.extensions['limit'])).toEqual(['depth']);
    });

    it('limits a field aliased __schema', () => {
      const query = `{ __schema: ${managerChain(12)} }`;
      expect(limitErrors(query).map((error) => error.extensions['actual'])).toEqual([12]);
    });

    it('limits a deeply nested introspection query', () => {
      expect(limitErrors(DEEP_INTROSPECTION).map((error) => error.extensions)).toEqual([
        { code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 8, actual: 9 },
      ]);
    });

    it('limits the standard introspection query too (deep TypeRef nesting)', () => {
      // GraphiQL and codegen send this; allow it by raising maxDepth for them, never by exemption.
      const query = getIntrospectionQuery();
      expect(measure(query).depth).toBeGreaterThan(limits.maxDepth);
      expect(limitErrors(query).map((error) => error.extensions['limit'])).toEqual(['depth']);
    });
  });
});

describe('checkQuerySource', () => {
  it('accepts a normal query', () => {
    expect(checkQuerySource('{ viewer { id name } }', limits)).toBeUndefined();
  });

  it('rejects a 20,000-character query before lexing it', () => {
    const source = `{ viewer { id } } # ${'x'.repeat(20000 - 20)}`;
    expect(source).toHaveLength(20000);
    expect(checkQuerySource(source, limits)).toEqual({
      limit: 'length',
      max: 15000,
      actual: 20000,
      message: 'query length 20000 exceeds the limit of 15000: send a shorter query',
    });
  });

  it.each([
    // `{ viewer { … } }` is 5 tokens around the ids.
    ['1,000 tokens', 995, undefined],
    ['1,001 tokens', 996, 1001],
    ['1,500 tokens', 1495, 1001],
  ])('counts tokens, stopping past the limit: %s', (_name, ids, actual) => {
    const source = `{ viewer { ${'id '.repeat(ids)}} }`;
    const violation = checkQuerySource(source, limits);
    expect(violation?.actual).toBe(actual);
    if (actual !== undefined) expect(violation).toMatchObject({ limit: 'tokens', max: 1000 });
  });

  it('does not count comments as tokens', () => {
    const source = `{ viewer { id } }\n${'# a comment line\n'.repeat(500)}`;
    expect(checkQuerySource(source, limits)).toBeUndefined();
  });

  it.each([
    ['an unterminated string', '{ jobs(first: "10) { edges { cursor } } }'],
    ['an unexpected character', '{ viewer { id ~ } }'],
  ])('leaves %s to the parser', (_name, source) => {
    expect(() => parse(source)).toThrow('Syntax Error');
    expect(checkQuerySource(source, limits)).toBeUndefined();
  });
});

// Random field trees for the equivalence property: names are free since no schema is involved.
interface FieldTree {
  readonly alias: boolean;
  readonly first: number | undefined;
  readonly children: readonly FieldTree[];
}

const fieldTree: fc.Arbitrary<FieldTree> = fc.letrec<{ field: FieldTree }>((tie) => ({
  field: fc.record({
    alias: fc.boolean(),
    first: fc.option(fc.integer({ min: -5, max: 300 }), { nil: undefined }),
    children: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'tree' },
      fc.constant([]),
      fc.array(tie('field'), { minLength: 1, maxLength: 3 }),
    ),
  }),
})).field;

function height(tree: FieldTree): number {
  return 1 + Math.max(0, ...tree.children.map(height));
}

function fieldHead(tree: FieldTree): string {
  return `${tree.alias ? 'x: ' : ''}f${tree.first === undefined ? '' : `(first: ${tree.first})`}`;
}

function renderPlain(tree: FieldTree): string {
  if (tree.children.length === 0) return fieldHead(tree);
  return `${fieldHead(tree)} { ${tree.children.map(renderPlain).join(' ')} }`;
}

function renderInline(tree: FieldTree): string {
  if (tree.children.length === 0) return fieldHead(tree);
  return `${fieldHead(tree)} { ... on T { ${tree.children.map(renderInline).join(' ')} } }`;
}

function renderNamed(roots: readonly FieldTree[]): string {
  const fragments: string[] = [];
  const render = (tree: FieldTree): string => {
    if (tree.children.length === 0) return fieldHead(tree);
    const body = tree.children.map(render).join(' ');
    const name = `G${fragments.length}`;
    fragments.push(`fragment ${name} on T { ${body} }`);
    return `${fieldHead(tree)} { ...${name} }`;
  };
  const operation = `{ ${roots.map(render).join(' ')} }`;
  return [operation, ...fragments].join('\n');
}

describe('checkFieldRepeats', () => {
  const three = { ...DEFAULT_QUERY_LIMITS, maxFieldRepeats: 3 };
  it.each([
    ['plain repeats', '{ me { subject subject subject subject } }', 4],
    [
      'repeats over inline fragments',
      '{ me { subject ... on Me { subject subject } ... on Me { subject } } }',
      4,
    ],
    [
      'repeats over named fragments, each spread counted once',
      '{ me { subject ...A ...A ...B } } fragment A on Me { subject subject } fragment B on Me { subject }',
      4,
    ],
  ])('rejects %s', (_name, query, actual) => {
    expect(checkFieldRepeats(parse(query), three)).toMatchObject({ limit: 'repeats', max: 3, actual });
  });

  it('accepts the same name in different selections, and aliases', () => {
    const query = '{ __typename me { __typename a: subject b: subject subject } capacity { __typename } }';
    expect(checkFieldRepeats(parse(query), three)).toBeUndefined();
  });
});

describe('rememberingSourceCheck', () => {
  const tooLong = `{ viewer { ${'id '.repeat(996)}} }`;

  it('answers as checkQuerySource does, for texts seen before and not', () => {
    const check = rememberingSourceCheck(limits, 2);
    const texts = [
      '{ viewer { id } }',
      tooLong,
      '{ viewer { name } }',
      '{ viewer { id } }',
      tooLong,
      '{ a }',
    ];
    for (const text of [...texts, ...texts]) expect(check(text)).toEqual(checkQuerySource(text, limits));
  });

  it('never remembers a refused text', () => {
    const check = rememberingSourceCheck(limits);
    for (let i = 0; i < 3; i++) expect(check(tooLong)).toMatchObject({ limit: 'tokens', actual: 1001 });
  });

  it('agrees with checkQuerySource on any sequence of queries', () => {
    const source = fc.oneof(
      fc.constantFrom('{ viewer { id } }', tooLong, `{ viewer { id } } # ${'x'.repeat(15000)}`),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(source, { maxLength: 30 }), fc.integer({ min: 0, max: 4 }), (texts, remember) => {
        const check = rememberingSourceCheck(limits, remember);
        for (const text of texts) expect(check(text)).toEqual(checkQuerySource(text, limits));
      }),
    );
  });
});
