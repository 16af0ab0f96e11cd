import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
  visit,
} from 'graphql';

/**
 * Protection of the GraphQL endpoint against expensive or abusive documents. Pure and I/O-free:
 *
 * - `checkQuerySource` runs on the raw query string before it is parsed (Fastify pre-handler), so
 *   that a huge document costs neither a parse nor an AST;
 * - `queryLimitsRule` is a graphql-js validation rule for Mercurius' `validationRules`; it measures
 *   every operation of the document with `analyzeOperation`.
 *
 * Named fragments and inline fragments are expanded, so limits cannot be escaped by moving fields
 * into fragments, and introspection fields are measured like any other field: exempting `__schema`
 * or `__type` by name is a known bypass (a fragment named `__schema`, a field aliased `__schema`;
 * graphql-armor PR #823, GHSA-733v-p3h5-qpq7).
 */
export interface QueryLimits {
  /** Deepest field nesting; fragments and inline fragments add no depth. */
  readonly maxDepth: number;
  /** Aliased fields, counted each time a fragment holding them is spread. */
  readonly maxAliases: number;
  /** Directives on the operation, fields, fragments and spreads, counted per spread. */
  readonly maxDirectives: number;
  /** See `analyzeOperation` for how cost is computed. */
  readonly maxCost: number;
  /** Lexical tokens of the raw document (comments excluded, as graphql's own `maxTokens` counts). */
  readonly maxTokens: number;
  /** Characters (UTF-16 code units) of the raw document. */
  readonly maxQueryLength: number;
  /** Page size assumed for a `first`/`last` that is null or a variable the request leaves unset. */
  readonly defaultListSize: number;
  /** Largest page a `first`/`last` may ask for; larger values are costed at this size. */
  readonly maxListSize: number;
  /**
   * Fields of one selection set under one response name (alias, else name), fragments merged in.
   * graphql's OverlappingFieldsCanBeMerged compares every pair of same-named fields it merges, so
   * `{ me { subject subject … } }` costs time quadratic in the repeats: 990 of them, within the
   * token limit, held the event loop for ~0.4 s per request ("field duplication").
   */
  readonly maxFieldRepeats: number;
}

/**
 * graphql-armor's defaults (max-aliases 15, max-directives 50, max-tokens 1000, cost-limit 5000,
 * character-limit 15000), except depth: armor's max-depth is 6, but this API's real queries nest
 * connection → edges → node → status → admission → placement and then select a leaf of the
 * placement, 7 levels, so 8 leaves one level of headroom. The list sizes match the API's paging:
 * list fields always take `first` (20 when null), at most 100.
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({
  maxDepth: 8,
  maxAliases: 15,
  maxDirectives: 50,
  maxCost: 5000,
  maxTokens: 1000,
  maxQueryLength: 15000,
  defaultListSize: 20,
  maxListSize: 100,
  maxFieldRepeats: 64,
});

export interface LimitViolation {
  readonly limit: 'length' | 'tokens' | 'repeats' | 'depth' | 'aliases' | 'directives' | 'cost';
  readonly max: number;
  /** For `tokens`, counting stops at `max + 1`: the document has at least that many. */
  readonly actual: number;
  readonly message: string;
}

/** What one operation asks for, with every fragment expanded. Counts saturate at MAX_SAFE_INTEGER. */
export interface OperationCost {
  readonly depth: number;
  readonly aliases: number;
  readonly directives: number;
  readonly cost: number;
}

/**
 * Checks the raw document before parsing: its length, then its token count. A document the lexer
 * rejects passes (undefined), so that the parser reports the syntax error as usual.
 */
export function checkQuerySource(source: string, limits: QueryLimits): LimitViolation | undefined {
  if (source.length > limits.maxQueryLength) {
    return {
      limit: 'length',
      max: limits.maxQueryLength,
      actual: source.length,
      message: `query length ${source.length} exceeds the limit of ${limits.maxQueryLength}: send a shorter query`,
    };
  }
  const tokens = countTokens(source, limits.maxTokens + 1);
  if (tokens === undefined || tokens <= limits.maxTokens) return undefined;
  return {
    limit: 'tokens',
    max: limits.maxTokens,
    actual: tokens,
    message: `query has more than ${limits.maxTokens} tokens: send a shorter query`,
  };
}

/**
 * `checkQuerySource` remembering the last `remember` texts it accepted: clients send the same few
 * queries again and again, and lexing each one anew was 2-3 % of the CPU time of `workload(id)`
 * (`BENCH_GATEWAY_OPS=get BENCH_GATEWAY_PROFILE=… npm run bench -- gateway`). A refused text is
 * never remembered; the length limit bounds what the memory holds (`remember` × maxQueryLength).
 */
export function rememberingSourceCheck(
  limits: QueryLimits,
  remember = 512,
): (source: string) => LimitViolation | undefined {
  const accepted = new Set<string>();
  return (source) => {
    if (accepted.has(source)) return undefined;
    const violation = checkQuerySource(source, limits);
    if (violation || remember <= 0) return violation;
    if (accepted.size >= remember) accepted.delete(accepted.values().next().value!);
    accepted.add(source);
    return undefined;
  };
}

/** Non-EOF tokens, counting no further than `stopAt`; undefined when the lexer meets a syntax error. */
function countTokens(source: string, stopAt: number): number | undefined {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (count < stopAt && lexer.advance().kind !== TokenKind.EOF) count += 1;
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  return count;
}

/**
 * Checks a parsed document before graphql validates it: the most fields that one selection set
 * holds under one response name, with inline fragments and (each once) spread fragments merged in,
 * as graphql's OverlappingFieldsCanBeMerged merges them before comparing every pair.
 */
export function checkFieldRepeats(document: DocumentNode, limits: QueryLimits): LimitViolation | undefined {
  const fragments = fragmentsOf(document);
  let most = 0;
  visit(document, {
    SelectionSet(selectionSet) {
      const counts = new Map<string, number>();
      countResponseNames(selectionSet, fragments, counts, new Set());
      for (const count of counts.values()) most = Math.max(most, count);
    },
  });
  if (most <= limits.maxFieldRepeats) return undefined;
  return {
    limit: 'repeats',
    max: limits.maxFieldRepeats,
    actual: most,
    message: `a field is requested ${most} times in one selection, more than the limit of ${limits.maxFieldRepeats}: request each field once`,
  };
}

function countResponseNames(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  counts: Map<string, number>,
  spread: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.alias?.value ?? selection.name.value;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      countResponseNames(selection.selectionSet, fragments, counts, spread);
    } else if (!spread.has(selection.name.value)) {
      spread.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) countResponseNames(fragment.selectionSet, fragments, counts, spread);
    }
  }
}

/**
 * Measures the operation named `operationName`, or the first one when no name is given (graphql
 * then executes the only one). An unknown name measures as zero: execution rejects it unrun.
 *
 * Cost: a leaf field costs 1; a field with a selection set costs 1 + (its children's cost) × its
 * page size. The page size is the field's `first` or `last` argument (the larger if both), clamped
 * to [0, maxListSize], or 1 when it has neither: list fields in this API always take `first`, so a
 * field without one is an object, and costing unsized lists is the schema author's business.
 * A variable page size is read from `variables`; one the request leaves unset takes the
 * operation's default value, else `defaultListSize`. Without `variables` at all (undefined), a
 * variable page size is unknown and costed at `maxListSize`.
 *
 * Each fragment is measured once (memoised), so fan-out (F0 spreads F1 twice, F1 spreads F2
 * twice, …) costs time linear in the document. A fragment cycle, which graphql's NoFragmentCycles
 * rule reports, measures as MAX_SAFE_INTEGER in every count, so it exceeds every limit.
 */
export function analyzeOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | undefined,
  limits: QueryLimits,
): OperationCost {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    operationName === undefined || operationName === null
      ? operations[0]
      : operations.find((candidate) => candidate.name?.value === operationName);
  if (operation === undefined) return ZERO;
  return measureOperation(operation, fragmentsOf(document), variables, limits);
}

/**
 * A validation rule that measures every operation of the document (not only the one a request
 * selects: a document is accepted whole or not at all) and reports one error per exceeded limit,
 * with `extensions: { code: 'QUERY_TOO_COMPLEX', limit, max, actual }`.
 *
 * Pass the request's variables (`{}` when it has none) through Mercurius' function form of
 * `validationRules` to cost variable page sizes exactly; the array form cannot, and then costs them
 * at `maxListSize`.
 */
export function queryLimitsRule(
  limits: QueryLimits,
  variables?: Readonly<Record<string, unknown>>,
): ValidationRule {
  return (context) => {
    let fragments: ReadonlyMap<string, FragmentDefinitionNode> | undefined;
    return {
      OperationDefinition: {
        leave(operation) {
          fragments ??= fragmentsOf(context.getDocument());
          const cost = measureOperation(operation, fragments, variables, limits);
          for (const violation of costViolations(cost, limits)) {
            const { limit, max, actual, message } = violation;
            const extensions = { code: 'QUERY_TOO_COMPLEX', limit, max, actual };
            context.reportError(new GraphQLError(message, { nodes: operation, extensions }));
          }
        },
      },
    };
  };
}

const UNBOUNDED_COUNT = Number.MAX_SAFE_INTEGER;
const ZERO: OperationCost = Object.freeze({ depth: 0, aliases: 0, directives: 0, cost: 0 });
const UNBOUNDED: OperationCost = Object.freeze({
  depth: UNBOUNDED_COUNT,
  aliases: UNBOUNDED_COUNT,
  directives: UNBOUNDED_COUNT,
  cost: UNBOUNDED_COUNT,
});
const PAGE_ARGUMENTS: ReadonlySet<string> = new Set(['first', 'last']);

type CostLimit = Extract<LimitViolation['limit'], keyof OperationCost>;

const COST_CHECKS: readonly {
  readonly limit: CostLimit;
  readonly max: (limits: QueryLimits) => number;
  readonly noun: string;
  readonly hint: string;
}[] = [
  { limit: 'depth', max: (l) => l.maxDepth, noun: 'query depth', hint: 'request fewer nested fields' },
  { limit: 'aliases', max: (l) => l.maxAliases, noun: 'alias count', hint: 'use fewer aliases' },
  {
    limit: 'directives',
    max: (l) => l.maxDirectives,
    noun: 'directive count',
    hint: 'use fewer directives',
  },
  {
    limit: 'cost',
    max: (l) => l.maxCost,
    noun: 'query cost',
    hint: 'request smaller pages (first/last) or fewer fields',
  },
];

function costViolations(cost: OperationCost, limits: QueryLimits): LimitViolation[] {
  return COST_CHECKS.flatMap(({ limit, max, noun, hint }) => {
    const actual = cost[limit];
    const allowed = max(limits);
    if (actual <= allowed) return [];
    const shown = actual >= UNBOUNDED_COUNT ? 'unbounded' : String(actual);
    return [
      { limit, max: allowed, actual, message: `${noun} ${shown} exceeds the limit of ${allowed}: ${hint}` },
    ];
  });
}

/** Everything measuring one operation needs; the memo is per operation because defaults are. */
interface Walk {
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  readonly defaults: ReadonlyMap<string, ValueNode>;
  readonly limits: QueryLimits;
  readonly memo: Map<string, OperationCost>;
  readonly inProgress: Set<string>;
}

/** As graphql's execution does, a later fragment of the same name replaces an earlier one. */
function fragmentsOf(document: DocumentNode): ReadonlyMap<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

function measureOperation(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> | undefined,
  limits: QueryLimits,
): OperationCost {
  const defaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) defaults.set(definition.variable.name.value, definition.defaultValue);
  }
  const walk: Walk = { fragments, variables, defaults, limits, memo: new Map(), inProgress: new Set() };
  return sibling(measureSelections(operation.selectionSet, walk), directivesOnly(operation.directives));
}

function measureSelections(selectionSet: SelectionSetNode, walk: Walk): OperationCost {
  let total = ZERO;
  for (const selection of selectionSet.selections) total = sibling(total, measureSelection(selection, walk));
  return total;
}

function measureSelection(selection: SelectionNode, walk: Walk): OperationCost {
  switch (selection.kind) {
    case Kind.FIELD:
      return measureField(selection, walk);
    case Kind.INLINE_FRAGMENT:
      return sibling(measureSelections(selection.selectionSet, walk), directivesOnly(selection.directives));
    case Kind.FRAGMENT_SPREAD:
      return sibling(measureFragment(selection.name.value, walk), directivesOnly(selection.directives));
  }
}

function measureField(field: FieldNode, walk: Walk): OperationCost {
  const aliases = field.alias ? 1 : 0;
  const directives = field.directives?.length ?? 0;
  if (!field.selectionSet) return { depth: 1, aliases, directives, cost: 1 };
  const children = measureSelections(field.selectionSet, walk);
  return {
    depth: saturate(1 + children.depth),
    aliases: saturate(aliases + children.aliases),
    directives: saturate(directives + children.directives),
    cost: saturate(1 + children.cost * pageSize(field, walk)),
  };
}

function measureFragment(name: string, walk: Walk): OperationCost {
  const known = walk.memo.get(name);
  if (known) return known;
  // Reached again while still being measured: a cycle. Every fragment on the way is on it too.
  if (walk.inProgress.has(name)) return UNBOUNDED;
  const fragment = walk.fragments.get(name);
  // An unknown fragment fails KnownFragmentNames, so the document never executes.
  if (!fragment) return ZERO;
  walk.inProgress.add(name);
  const cost = sibling(measureSelections(fragment.selectionSet, walk), directivesOnly(fragment.directives));
  walk.inProgress.delete(name);
  walk.memo.set(name, cost);
  return cost;
}

/** The multiplier of a field's children: its largest `first`/`last`, clamped; 1 without either. */
function pageSize(field: FieldNode, walk: Walk): number {
  let size: number | undefined;
  for (const argument of field.arguments ?? []) {
    if (!PAGE_ARGUMENTS.has(argument.name.value)) continue;
    const requested = Math.min(Math.max(requestedSize(argument.value, walk), 0), walk.limits.maxListSize);
    size = Math.max(size ?? 0, requested);
  }
  return size ?? 1;
}

function requestedSize(value: ValueNode, walk: Walk): number {
  switch (value.kind) {
    case Kind.INT:
      return Number.parseInt(value.value, 10);
    case Kind.VARIABLE:
      return variableSize(value.name.value, walk);
    default:
      // null asks for the resolver's default page; any other kind fails validation (not an Int).
      return walk.limits.defaultListSize;
  }
}

function variableSize(name: string, walk: Walk): number {
  if (walk.variables === undefined) return walk.limits.maxListSize;
  if (Object.hasOwn(walk.variables, name)) {
    const value = walk.variables[name];
    // Anything but an integer is null (the default page) or fails Int coercion before execution.
    return typeof value === 'number' && Number.isInteger(value) ? value : walk.limits.defaultListSize;
  }
  const fallback = walk.defaults.get(name);
  return fallback ? requestedSize(fallback, walk) : walk.limits.defaultListSize;
}

/** Two selections side by side: the deeper one sets the depth, the counts add up. */
function sibling(a: OperationCost, b: OperationCost): OperationCost {
  return {
    depth: Math.max(a.depth, b.depth),
    aliases: saturate(a.aliases + b.aliases),
    directives: saturate(a.directives + b.directives),
    cost: saturate(a.cost + b.cost),
  };
}

function directivesOnly(directives: readonly DirectiveNode[] | undefined): OperationCost {
  return { depth: 0, aliases: 0, directives: directives?.length ?? 0, cost: 0 };
}

/** Inputs never exceed MAX_SAFE_INTEGER × maxListSize, far from Infinity, so capping is exact. */
function saturate(count: number): number {
  return Math.min(count, UNBOUNDED_COUNT);
}
