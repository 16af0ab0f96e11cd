import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';

/** GraphQL output types of a Workload: its spec as submitted and its status as the controller writes it. */

@ObjectType({ description: 'A container image built for one vendor.' })
export class VendorImage {
  @Field() vendor!: string;
  @Field() image!: string;
}

@ObjectType()
export class EnvVar {
  @Field() name!: string;
  @Field() value!: string;
}

@ObjectType({ description: 'What each replica needs, vendor-neutrally.' })
export class Accelerators {
  @Field(() => Int, { description: 'Devices per replica.' }) count!: number;
  @Field({ description: 'training | inference | any' }) class!: string;
  @Field(() => Float, { nullable: true, description: 'Nominal device memory in GB.' }) minMemoryGB?: number;
  @Field(() => [String]) precisions!: string[];
  @Field(() => [String], { nullable: true, description: 'Allowed vendors; null: all the tenant may use.' })
  vendors?: string[];
  @Field(() => [String], { nullable: true }) models?: string[];
}

@ObjectType()
export class Template {
  @Field({ nullable: true }) image?: string;
  @Field(() => [VendorImage]) images!: VendorImage[];
  @Field(() => [String]) command!: string[];
  @Field(() => [String]) args!: string[];
  @Field(() => [EnvVar]) env!: EnvVar[];
  @Field({ nullable: true }) cpu?: string;
  @Field({ nullable: true }) memory?: string;
}

@ObjectType()
export class Placement {
  @Field(() => [String], { nullable: true }) sites?: string[];
  @Field({ description: 'balanced | cost | energy | time' }) optimizeFor!: string;
}

@ObjectType({ description: 'Where and how the workload was admitted.' })
export class Admission {
  @Field() site!: string;
  @Field() pool!: string;
  @Field() vendor!: string;
  @Field() model!: string;
  @Field(() => Float) computeUnits!: number;
  @Field() admittedAt!: string;
  @Field({ description: 'Admitted above the guaranteed quota: may be reclaimed by other tenants.' })
  borrowed!: boolean;
}

@ObjectType({ description: 'The price of the admitted placement over maxDuration.' })
export class WorkloadQuote {
  @Field(() => Float) eurPerHour!: number;
  @Field(() => Float) estimatedEUR!: number;
  @Field(() => Float) estimatedKWh!: number;
  @Field(() => Float) estimatedCO2eKg!: number;
}

@ObjectType({ description: 'What the workload has used so far.' })
export class WorkloadUsage {
  @Field(() => Float) deviceHours!: number;
  @Field(() => Float) computeUnitHours!: number;
  @Field(() => Float) energyKWh!: number;
  @Field(() => Float) co2eKg!: number;
  @Field(() => Float) costEUR!: number;
}

@ObjectType()
export class Condition {
  @Field() type!: string;
  @Field() status!: string;
  @Field() reason!: string;
  @Field() message!: string;
  @Field() lastTransitionTime!: string;
}

@ObjectType({ description: 'A Kubernetes event about the workload or the objects run for it.' })
export class WorkloadKubeEvent {
  @Field({ description: 'Normal | Warning' }) type!: string;
  @Field() reason!: string;
  @Field() message!: string;
  @Field({ description: 'Workload | Job | Deployment | Pod' }) objectKind!: string;
  @Field(() => Int) count!: number;
  @Field() lastSeen!: string;
}

@ObjectType()
export class Workload {
  @Field(() => ID, { description: '`namespace/name`' }) id!: string;
  @Field() name!: string;
  @Field() createdAt!: string;
  @Field({ description: 'Batch | Service' }) kind!: string;
  @Field() priorityClass!: string;
  @Field(() => Int) replicas!: number;
  @Field(() => Accelerators) accelerators!: Accelerators;
  @Field(() => Template) template!: Template;
  @Field({ nullable: true }) maxDuration?: string;
  @Field(() => Float, { nullable: true }) budgetEUR?: number;
  @Field(() => Placement) placement!: Placement;
  @Field({
    description: 'Pending | Queued | Admitted | Running | Succeeded | Failed | Preempted | Cancelled',
  })
  phase!: string;
  @Field({ description: 'Cancellation was requested.' }) cancelRequested!: boolean;
  @Field(() => Int, { nullable: true, description: 'Position in the queue while it waits.' })
  queuePosition?: number;
  @Field({ nullable: true, description: 'Why it waits, in words.' }) waitReason?: string;
  @Field(() => Admission, { nullable: true }) admission?: Admission;
  @Field(() => WorkloadQuote, { nullable: true }) quote?: WorkloadQuote;
  @Field(() => WorkloadUsage, { nullable: true }) usage?: WorkloadUsage;
  @Field(() => Int) attempts!: number;
  @Field({ nullable: true, description: 'At least two vendors can run it.' }) portable?: boolean;
  @Field(() => [Condition]) conditions!: Condition[];
}

@ObjectType()
export class WorkloadEdge {
  @Field() cursor!: string;
  @Field(() => Workload) node!: Workload;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field({ nullable: true }) endCursor?: string;
}

@ObjectType()
export class WorkloadConnection {
  @Field(() => [WorkloadEdge]) edges!: WorkloadEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'Workloads matching the filter.' }) totalCount!: number;
}

@ObjectType()
export class SubmitWorkloadPayload {
  @Field(() => Workload) workload!: Workload;
  @Field({ description: 'false: an earlier submission with the same idempotencyKey was returned.' })
  created!: boolean;
}

@ObjectType({ description: 'A change of a workload, as its watch sees it.' })
export class WorkloadEvent {
  @Field({ description: 'ADDED | MODIFIED | DELETED' }) type!: string;
  @Field() phase!: string;
  @Field(() => Workload) workload!: Workload;
}
