import { Inject } from '@nestjs/common';
import { Field, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { GatewayState } from '../../kube/gateway-state';
import { capacityBy, queueDepth } from './capacity';

@ObjectType()
export class CapacityEntry {
  @Field() site!: string;
  @Field() vendor!: string;
  @Field() model!: string;
  @Field(() => Int) pools!: number;
  @Field(() => Int, { description: 'Allocatable devices.' }) total!: number;
  @Field(() => Int) allocated!: number;
  @Field(() => Int, { description: 'Devices open to new admissions (cordoned pools count none).' })
  free!: number;
}

@ObjectType()
export class Capacity {
  @Field(() => [CapacityEntry]) entries!: CapacityEntry[];
  @Field(() => Int, { description: 'Workloads of all tenants waiting for admission.' }) queueDepth!: number;
  @Field(() => Int, { description: 'Devices those waiting workloads ask for.' }) queuedDevices!: number;
}

@Resolver(() => Capacity)
export class CapacityResolver {
  constructor(@Inject(GatewayState) private readonly state: GatewayState) {}

  @Query(() => Capacity, {
    description: 'Devices by site, vendor and model: total, allocated, free; queue depth.',
  })
  capacity(): Capacity {
    const q = queueDepth(this.state.workloads.list());
    return {
      entries: capacityBy(this.state.pools.list()),
      queueDepth: q.workloads,
      queuedDevices: q.devices,
    };
  }
}
