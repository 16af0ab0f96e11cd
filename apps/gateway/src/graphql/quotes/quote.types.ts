import { Field, Float, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'One pool the workload could run in, with its price, energy and expected start.' })
export class QuoteOption {
  @Field() pool!: string;
  @Field() site!: string;
  @Field() vendor!: string;
  @Field() model!: string;
  @Field(() => Float) computeUnits!: number;
  @Field(() => Float) eurPerHour!: number;
  @Field(() => Float, { nullable: true, description: 'Over maxDuration.' }) estimatedEUR?: number;
  @Field(() => Float, { nullable: true, description: "Over maxDuration, including the site's PUE." })
  estimatedKWh?: number;
  @Field(() => Float, { nullable: true }) estimatedCO2eKg?: number;
  @Field(() => Float) kWhPerHour!: number;
  @Field({
    nullable: true,
    description: 'When it would start if submitted now; null: no end of the work ahead is known.',
  })
  estimatedStartAt?: string;
  @Field({ nullable: true, description: 'Why it would wait, in words.' }) waitReason?: string;
}

@ObjectType({ description: 'A vendor that cannot run the workload, and why.' })
export class InfeasibleVendor {
  @Field() vendor!: string;
  @Field({
    description:
      'vendor | image | site | class | memory | precision | model | cordoned | shape | budget | quota',
  })
  code!: string;
  @Field() reason!: string;
}

@ObjectType()
export class Quote {
  @Field(() => [QuoteOption], { description: 'Best first: earliest start, then lowest cost.' })
  options!: QuoteOption[];
  @Field(() => [InfeasibleVendor]) infeasible!: InfeasibleVendor[];
  @Field({ description: 'At least two vendors could run it.' }) portable!: boolean;
}
