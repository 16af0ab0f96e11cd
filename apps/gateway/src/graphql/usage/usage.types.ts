import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum UsageGroupBy {
  VENDOR = 'vendor',
  SITE = 'site',
  MODEL = 'model',
  POOL = 'pool',
  DAY = 'day',
  PRIORITY_CLASS = 'priorityClass',
  TENANT = 'tenant',
}
registerEnumType(UsageGroupBy, { name: 'UsageGroupBy', description: 'TENANT is for administrators.' });

@ObjectType({ description: 'The dimensions a row is grouped by; the others are null.' })
export class UsageKey {
  @Field({ nullable: true }) vendor?: string;
  @Field({ nullable: true }) site?: string;
  @Field({ nullable: true }) model?: string;
  @Field({ nullable: true }) pool?: string;
  @Field({ nullable: true, description: 'UTC day, YYYY-MM-DD.' }) day?: string;
  @Field({ nullable: true }) priorityClass?: string;
  @Field({ nullable: true }) tenant?: string;
}

@ObjectType()
export class UsageRow {
  @Field(() => UsageKey) key!: UsageKey;
  @Field(() => Float) deviceHours!: number;
  @Field(() => Float) computeUnitHours!: number;
  @Field(() => Float, { description: "Including the site's PUE." }) energyKWh!: number;
  @Field(() => Float) co2eKg!: number;
  @Field(() => Float) costEUR!: number;
}

@ObjectType()
export class UsageReport {
  @Field() from!: string;
  @Field() to!: string;
  @Field({ description: 'Where the figures come from: workload-status until the usage ledger is deployed.' })
  source!: string;
  @Field(() => [UsageRow]) rows!: UsageRow[];
}
