import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  Field,
  GraphQLModule,
  GraphQLSchemaHost,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { graphql, isObjectType } from 'graphql';
import { readPlainFieldsInline } from './plain-fields';

@ObjectType()
class Sample {
  @Field()
  plain!: string;

  @Field({ defaultValue: 'the default' })
  defaulted?: string;

  @Field()
  resolved!: string;
}

@Resolver(() => Sample)
class SampleResolver {
  @Query(() => Sample)
  sample(): Omit<Sample, 'resolved'> {
    return { plain: 'read inline' };
  }

  @ResolveField(() => String)
  resolved(@Parent() parent: Sample): string {
    return `resolved from ${parent.plain}`;
  }
}

/** A Nest GraphQL app as the gateway builds one (Mercurius, code first), with or without the transform. */
async function app(transform: boolean): Promise<NestFastifyApplication> {
  @Module({
    imports: [
      GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        autoSchemaFile: true,
        ...(transform ? { transformSchema: readPlainFieldsInline } : {}),
      }),
    ],
    providers: [SampleResolver],
  })
  class SampleModule {}
  const created = await NestFactory.create<NestFastifyApplication>(SampleModule, new FastifyAdapter(), {
    logger: false,
  });
  await created.init();
  return created;
}

/** Executes `query` on the app's schema, resolvers and all (graphql-js, as before compilation). */
async function answer(a: NestFastifyApplication, query: string): Promise<unknown> {
  return graphql({ schema: a.get(GraphQLSchemaHost).schema, source: query, contextValue: {} });
}

describe('readPlainFieldsInline', () => {
  const QUERY = '{ sample { plain defaulted resolved } }';

  it("takes Nest's resolvers from plain fields only, and the answers stay the same", async () => {
    const [without, withTransform] = [await app(false), await app(true)];
    try {
      const type = withTransform.get(GraphQLSchemaHost).schema.getType('Sample');
      if (!isObjectType(type)) throw new Error('Sample is not an object type');
      const fields = type.getFields();
      expect(fields['plain']!.resolve).toBeUndefined();
      // A default value is applied by Nest's resolver, and a field resolver is the gateway's own.
      expect(fields['defaulted']!.resolve).toBeInstanceOf(Function);
      expect(fields['resolved']!.resolve).toBeInstanceOf(Function);
      const expected = {
        data: {
          sample: { plain: 'read inline', defaulted: 'the default', resolved: 'resolved from read inline' },
        },
      };
      expect(await answer(without, QUERY)).toEqual(expected);
      expect(await answer(withTransform, QUERY)).toEqual(expected);
    } finally {
      await without.close();
      await withTransform.close();
    }
  });
});
