import { Inject } from '@nestjs/common';
import { Field, Float, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { GatewayState } from '../../kube/gateway-state';
import { capacityBy, capacityBySite, queueDepth } from './capacity';

@ObjectType()
export class CapacityEntry {
  @Field() site!: string;
  @Field() vendor!: string;
  @Field() model!: string;
  @Field(() => Int) pools!: number;
  @Field(() => Int, { description: 'Allocatable devices.' }) total!: number;
  @Field(() => Int) allocated!: number;
  @Field(() => Int, {
    description:
      'Devices open to new admissions: cordoned pools and pools of an unreachable site count none.',
  })
  free!: number;
}

@ObjectType({
  description:
    'One site: every site that has a Site object or an accelerator pool. The device figures sum its pools, so they equal the sum of its `entries`.',
})
export class SiteCapacity {
  @Field() name!: string;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2; null without a Site object.' })
  country!: string | null;
  @Field(() => Boolean, {
    nullable: true,
    description:
      "Whether the controller reaches the site's cluster (the Site's status.reachable, else its Reachable condition). null: unknown, because the site has no Site object or the controller has not reported on it yet; its devices then count as usual.",
  })
  reachable!: boolean | null;
  @Field(() => Float, {
    nullable: true,
    description: "The Site's power usage effectiveness; null when unset.",
  })
  pue!: number | null;
  @Field(() => Float, { nullable: true, description: "The Site's grid carbon intensity; null when unset." })
  gridCarbonGramsPerKWh!: number | null;
  @Field(() => Float, { nullable: true, description: "The Site's electricity price; null when unset." })
  pricePerKWhEUR!: number | null;
  @Field(() => Int, { description: 'Accelerator pools at the site.' }) pools!: number;
  @Field(() => Int, { description: 'Allocatable devices of its pools.' }) total!: number;
  @Field(() => Int) allocated!: number;
  @Field(() => Int, {
    description:
      'Devices open to new admissions. 0 when the site is unreachable (reachable: false): nothing new is admitted there, although its pools keep their last reported total and allocated devices.',
  })
  free!: number;
}

@ObjectType()
export class Capacity {
  @Field(() => [CapacityEntry]) entries!: CapacityEntry[];
  @Field(() => [SiteCapacity], { description: 'Devices and facility figures by site, sorted by name.' })
  sites!: SiteCapacity[];
  @Field(() => Int, { description: 'Workloads of all tenants waiting for admission.' }) queueDepth!: number;
  @Field(() => Int, { description: 'Devices those waiting workloads ask for.' }) queuedDevices!: number;
}

@Resolver(() => Capacity)
export class CapacityResolver {
  constructor(@Inject(GatewayState) private readonly state: GatewayState) {}

  @Query(() => Capacity, {
    description: 'Devices by site, vendor and model and by site: total, allocated, free; queue depth.',
  })
  capacity(): Capacity {
    const q = queueDepth(this.state.workloads.list());
    const pools = this.state.pools.list();
    const sites = this.state.sites.list();
    return {
      entries: capacityBy(pools, sites),
      sites: capacityBySite(pools, sites),
      queueDepth: q.workloads,
      queuedDevices: q.devices,
    };
  }
}
