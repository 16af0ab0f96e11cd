import { Inject } from '@nestjs/common';
import { Args, Field, Float, ObjectType, Query, Resolver, registerEnumType } from '@nestjs/graphql';
import { Public } from '../../access/access.guard';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { GatewayError } from '../../errors';
import { GatewayState } from '../../kube/gateway-state';
import { intervalContext } from '../usage/interval-context';
import { intervalsOf } from '../usage/intervals';
import {
  periodBounds,
  transparencyFromSlices,
  transparencyReport,
  type TransparencyReport,
} from './transparency';

export enum TransparencyPeriod {
  DAY = 'day',
  MONTH = 'month',
}
registerEnumType(TransparencyPeriod, { name: 'TransparencyPeriod' });

@ObjectType()
export class VendorFigures {
  @Field() vendor!: string;
  @Field(() => Float, { description: 'Allocatable devices now.' }) devices!: number;
  @Field(() => Float, { description: 'Allocated devices now.' }) allocated!: number;
  @Field(() => Float) deviceHours!: number;
  @Field(() => Float, { description: 'Device-hours used ÷ device-hours available in the period so far.' })
  utilisation!: number;
  @Field(() => Float, { description: 'Share of all allocated devices now.' }) share!: number;
}

@ObjectType()
export class TierFigures {
  @Field() tier!: string;
  @Field(() => Float) deviceHours!: number;
  @Field(() => Float) share!: number;
}

@ObjectType({
  description:
    "One site's part of the published figures. Every usage figure is counted at exactly one site (where the devices ran), so each sums over the sites to the factory's total.",
})
export class SiteFigures {
  @Field() site!: string;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2; null without a Site object.' })
  country!: string | null;
  @Field(() => Float, {
    nullable: true,
    description:
      'The PUE the Site declares; null without a Site object or its spec.pue (its energy then carries the configured default PUE). facilityOverheadKWh is the overhead actually counted.',
  })
  pue!: number | null;
  @Field(() => Float, { description: 'Facility energy, PUE included.' }) energyKWh!: number;
  @Field(() => Float, { description: "Share of the site's energyKWh from measured device power." })
  measuredEnergyShare!: number;
  @Field(() => Float) co2eKg!: number;
  @Field(() => Float, { description: 'Energy beyond the IT load (cooling, power conversion).' })
  facilityOverheadKWh!: number;
  @Field(() => Float) heatReusedKWh!: number;
  @Field(() => Float) deviceHours!: number;
  @Field(() => Float, { description: "Allocatable devices of the site's pools now." }) devices!: number;
  @Field(() => Float, { description: 'Device-hours used ÷ device-hours available in the period so far.' })
  utilisation!: number;
}

@ObjectType({ description: 'Published figures of the factory: no tenant or workload names.' })
export class Transparency {
  @Field() period!: string;
  @Field() from!: string;
  @Field() to!: string;
  @Field(() => Float, { description: 'Facility energy, PUE included.' }) energyKWh!: number;
  @Field(() => Float, {
    description:
      "Share of energyKWh from the vendors' measured device power; the rest is estimated from catalog board power × a utilisation factor.",
  })
  measuredEnergyShare!: number;
  @Field(() => Float) co2eKg!: number;
  @Field(() => Float, { description: 'Energy beyond the IT load (cooling, power conversion).' })
  facilityOverheadKWh!: number;
  @Field(() => Float) heatReusedKWh!: number;
  @Field(() => Float) deviceHours!: number;
  @Field(() => [VendorFigures]) vendors!: VendorFigures[];
  @Field(() => [TierFigures], { description: 'Device-hours by tenant tier.' }) tiers!: TierFigures[];
  @Field(() => [SiteFigures], {
    description:
      'The figures by site, sorted by name: every site with a Site object, a pool or usage in the period.',
  })
  sites!: SiteFigures[];
  @Field(() => Float, { description: 'Herfindahl index of allocated devices by vendor (1 = one vendor).' })
  vendorConcentration!: number;
  @Field(() => Float, { description: 'Share of running workloads that two or more vendors could run.' })
  portableShare!: number;
}

@Resolver(() => Transparency)
export class TransparencyResolver {
  constructor(
    @Inject(GatewayState) private readonly state: GatewayState,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** From the usage ledger when the gateway has one, else from Workload status. */
  async report(period: 'day' | 'month', at?: string): Promise<TransparencyReport> {
    const now = Date.now();
    const atMs = at === undefined ? now : Date.parse(at);
    if (!Number.isFinite(atMs))
      throw new GatewayError('BAD_USER_INPUT', 'at: must be an ISO 8601 date, e.g. 2026-11-01', {
        field: 'at',
      });
    const workloads = this.state.workloads.list();
    const pools = this.state.pools.list();
    const sites = this.state.sites.list();
    if (!this.config.ledger)
      return transparencyReport({
        period,
        atMs,
        nowMs: now,
        intervals: intervalsOf(workloads, intervalContext(this.state, this.config, now)),
        pools,
        sites,
        tenants: this.state.tenants.list(),
        workloads,
      });
    const { fromMs, toMs } = periodBounds(period, atMs);
    const rows = await this.config.ledger.usage({ fromMs, toMs, groupBy: ['site', 'vendor', 'tenant'] });
    const specs = new Map(sites.map((x) => [x.metadata.name!, x.spec]));
    const slices = rows.map((r) => {
      const site = specs.get(r.key.site ?? '');
      return {
        site: r.key.site ?? 'unknown',
        tier: this.state.tenant(r.key.tenant ?? '')?.spec.tier ?? 'unknown',
        vendor: r.key.vendor ?? 'unknown',
        deviceHours: r.deviceHours,
        energyKWh: r.energyKWh,
        measuredEnergyKWh: r.measuredEnergyKWh ?? 0,
        co2eKg: r.co2eKg,
        pue: site?.pue ?? this.config.snapshotDefaults.pue,
        heatReuseFraction: site?.heatReuseFraction ?? 0,
      };
    });
    return transparencyFromSlices({ period, fromMs, toMs, nowMs: now, slices, pools, sites, workloads });
  }

  @Public()
  @Query(() => Transparency, {
    description: 'Public, no token: energy, CO2e, utilisation and access by tier.',
  })
  transparency(
    @Args('period', { type: () => TransparencyPeriod, defaultValue: TransparencyPeriod.DAY })
    period: TransparencyPeriod,
    @Args('at', { nullable: true, description: 'A time inside the period; default now.' }) at?: string,
  ): Promise<Transparency> {
    return this.report(period, at);
  }
}
