import { readFileSync } from 'node:fs';
import { printGatewaySchema, SCHEMA_FILE } from './schema';

describe('schema.graphql', () => {
  it('is what the resolvers define (run `npm run generate` after changing them)', async () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(await printGatewaySchema()).toBe(committed);
  });
});
