import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import type { AcceleratorPool } from '@kentaur/api';

@ObjectType()
export class Pool {
  @Field() name!: string;
  @Field() site!: string;
  @Field() vendor!: string;
  @Field() model!: string;
  @Field() allocation!: string;
  @Field(() => Float, { nullable: true }) pricePerDeviceHourEUR?: number;
  @Field(() => Float, { nullable: true }) computeUnitsPerDevice?: number;
  @Field() cordoned!: boolean;
  @Field() evacuate!: boolean;
  @Field(() => Int) nodes!: number;
  @Field(() => Int) nodesReady!: number;
  @Field(() => Int) devicesCapacity!: number;
  @Field(() => Int) devicesAllocatable!: number;
  @Field(() => Int) devicesAllocated!: number;
  @Field(() => Int, { description: 'Workloads holding devices in the pool.' }) admissions!: number;
}

@ObjectType()
export class ApiKey {
  @Field() id!: string;
  @Field({ nullable: true }) tenant?: string;
  @Field() role!: string;
  @Field() description!: string;
  @Field() createdAt!: string;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => ApiKey) info!: ApiKey;
  @Field({ description: 'The key itself: shown only now, store it safely. Send it as "Bearer <key>".' })
  key!: string;
}

function statusFigures(p: AcceleratorPool) {
  const d = p.status?.devices;
  return {
    nodes: p.status?.nodes ?? 0,
    nodesReady: p.status?.nodesReady ?? 0,
    devicesCapacity: d?.capacity ?? 0,
    devicesAllocatable: d?.allocatable ?? 0,
    devicesAllocated: d?.allocated ?? 0,
    admissions: Object.keys(p.status?.reservations ?? {}).length,
  };
}

export function toPool(p: AcceleratorPool): Pool {
  return {
    name: p.metadata.name!,
    site: p.spec.site,
    vendor: p.spec.vendor,
    model: p.spec.model,
    allocation: p.spec.allocation ?? 'devicePlugin',
    pricePerDeviceHourEUR: p.spec.pricePerDeviceHourEUR,
    computeUnitsPerDevice: p.spec.computeUnitsPerDevice,
    cordoned: p.spec.cordoned ?? false,
    evacuate: p.spec.evacuate ?? false,
    ...statusFigures(p),
  };
}
