import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { RESOLVERS } from './app.module';

/** Where the committed schema lives; a test fails when it differs from the code. */
export const SCHEMA_FILE = join(__dirname, '..', 'schema.graphql');

const HEADER = '# Generated from the resolvers in apps/gateway/src by `npm run generate`; do not edit.\n\n';

/** The gateway's GraphQL schema in SDL, as the running gateway serves it (sorted, code-first). */
export async function printGatewaySchema(): Promise<string> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    const schema = await app.get(GraphQLSchemaFactory).create(RESOLVERS);
    return HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  void printGatewaySchema().then((sdl) => {
    writeFileSync(SCHEMA_FILE, sdl);
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  });
}
