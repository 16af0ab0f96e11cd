import { Field, Float, InputType, Int } from '@nestjs/graphql';

/**
 * GraphQL inputs of a workload spec. They mirror the Workload CRD; values are checked by the same
 * rules as the CRD (libs/api validateResource), so the GraphQL types here stay permissive (strings
 * for enumerations) and every error names its field and the fix in one format.
 */

@InputType()
export class VendorImageInput {
  @Field() vendor!: string;
  @Field() image!: string;
}

@InputType()
export class EnvVarInput {
  @Field() name!: string;
  @Field() value!: string;
}

@InputType()
export class AcceleratorsInput {
  @Field(() => Int, { description: 'Devices per replica (1–64).' }) count!: number;
  @Field({ nullable: true, description: 'training | inference | any (default any)' }) class?: string;
  @Field(() => Float, { nullable: true }) minMemoryGB?: number;
  @Field(() => [String], { nullable: true, description: 'e.g. [bf16, fp8]' }) precisions?: string[];
  @Field(() => [String], { nullable: true, description: 'Allowed vendors; default: all the tenant may use.' })
  vendors?: string[];
  @Field(() => [String], { nullable: true }) models?: string[];
}

@InputType()
export class TemplateInput {
  @Field({ nullable: true, description: 'Used for every vendor unless `images` has one for it.' })
  image?: string;
  @Field(() => [VendorImageInput], { nullable: true, description: 'Per-vendor builds.' })
  images?: VendorImageInput[];
  @Field(() => [String], { nullable: true }) command?: string[];
  @Field(() => [String], { nullable: true }) args?: string[];
  @Field(() => [EnvVarInput], { nullable: true }) env?: EnvVarInput[];
  @Field({ nullable: true, description: 'CPU per replica, e.g. "32".' }) cpu?: string;
  @Field({ nullable: true, description: 'Memory per replica, e.g. "512Gi".' }) memory?: string;
}

@InputType()
export class PlacementInput {
  @Field(() => [String], { nullable: true, description: "Data residency; default: the tenant's sites." })
  sites?: string[];
  @Field({ nullable: true, description: 'balanced | cost | energy | time' }) optimizeFor?: string;
}

@InputType({ description: 'A vendor-neutral workload: what to run and what it needs.' })
export class WorkloadSpecInput {
  @Field({ description: 'Batch (runs to completion) | Service (long-running endpoint)' }) kind!: string;
  @Field({ nullable: true, description: 'emergency | public-interest | standard | preemptible' })
  priorityClass?: string;
  @Field(() => Int, { nullable: true, description: 'Gang size (default 1); one replica = one node.' })
  replicas?: number;
  @Field(() => AcceleratorsInput) accelerators!: AcceleratorsInput;
  @Field(() => TemplateInput) template!: TemplateInput;
  @Field({ nullable: true, description: 'Hard run-time limit, e.g. "6h"; required for Batch.' })
  maxDuration?: string;
  @Field(() => Float, { nullable: true }) budgetEUR?: number;
  @Field(() => PlacementInput, { nullable: true }) placement?: PlacementInput;
}

@InputType({ description: 'Sandbox only: how long the simulated pods run, and how they end.' })
export class SandboxRunInput {
  @Field({ description: 'A Go duration, e.g. "30s".' }) runFor!: string;
  @Field(() => Int, { nullable: true, description: 'Non-zero: the pods fail with this exit code.' })
  exitCode?: number;
}

@InputType()
export class SubmitWorkloadInput {
  @Field({ nullable: true, description: 'Name (a DNS label starting with a letter); default: generated.' })
  name?: string;
  @Field({
    nullable: true,
    description: 'Retrying a submission with the same key returns the first one instead of a duplicate.',
  })
  idempotencyKey?: string;
  @Field(() => WorkloadSpecInput) spec!: WorkloadSpecInput;
  @Field(() => SandboxRunInput, { nullable: true }) sandbox?: SandboxRunInput;
}

@InputType()
export class WorkloadFilter {
  @Field(() => [String], { nullable: true, description: 'Any of these phases.' }) phases?: string[];
  @Field({ nullable: true, description: 'Admitted to this vendor.' }) vendor?: string;
  @Field({ nullable: true }) namePrefix?: string;
}
