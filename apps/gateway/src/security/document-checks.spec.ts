import { parse, type GraphQLError } from 'graphql';
import { checkDocument } from './document-checks';
import { DEFAULT_QUERY_LIMITS } from './query-limits';

/** The extensions of the error checkDocument throws, or undefined when it accepts. */
function refusal(document: unknown): Record<string, unknown> | undefined {
  try {
    checkDocument(document, DEFAULT_QUERY_LIMITS);
    return undefined;
  } catch (e) {
    return (e as GraphQLError).extensions;
  }
}

describe('checkDocument', () => {
  it('accepts a document parsed from text', () => {
    expect(refusal(parse('{ me { subject } }'))).toBeUndefined();
  });

  // Mercurius falls back to JSON.parse when a query is no GraphQL, and executes what it gets.
  it.each([
    ['a JSON AST', JSON.parse(JSON.stringify(parse('{ me { subject } }')))],
    ['a number', 123],
    ['a string', 'x'],
    ['null', null],
  ])('refuses %s with GRAPHQL_PARSE_FAILED', (_name, document) => {
    expect(refusal(document)).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
  });

  it('refuses a field repeated beyond the limit with QUERY_TOO_COMPLEX', () => {
    const document = parse(`{ me { ${'subject '.repeat(65)}} }`);
    expect(refusal(document)).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'repeats' });
  });
});
