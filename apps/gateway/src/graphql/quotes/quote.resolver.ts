import { Inject } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';
import { validateResource, type Workload } from '@kentaur/api';
import { quoteOptions, schedulerConfig } from '@kentaur/core';
import { pendingOf, type VendorRegistry } from '@kentaur/vendors';
import { Scope } from '../../access/access.guard';
import type { TenantScope } from '../../access/tenant-scope';
import { badInput } from '../../errors';
import { GatewayState } from '../../kube/gateway-state';
import { VENDOR_REGISTRY } from '../../kube/tokens';
import { specProblems } from '../workloads/input-checks';
import { WorkloadSpecInput } from '../workloads/workload.inputs';
import { specFromInput } from '../workloads/workload.mapper';
import { Quote } from './quote.types';

const QUOTE_KEY = 'quote/candidate';

@Resolver(() => Quote)
export class QuoteResolver {
  constructor(
    @Inject(GatewayState) private readonly state: GatewayState,
    @Inject(VENDOR_REGISTRY) private readonly registry: VendorRegistry,
  ) {}

  @Query(() => Quote, {
    description:
      'No side effects: for each pool that could run the spec, its price, energy, CO2e and expected start; infeasible vendors with the reason.',
  })
  quote(
    @Scope() scope: TenantScope,
    @Args('spec', { type: () => WorkloadSpecInput }) input: WorkloadSpecInput,
  ): Quote {
    const tenant = scope.tenant().metadata.name!;
    const known = [
      ...new Set([...this.registry.vendors(), ...this.state.pools.list().map((p) => p.spec.vendor)]),
    ].sort();
    const w: Workload = {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Workload',
      metadata: { name: 'quote', namespace: scope.submitNamespace() },
      spec: specFromInput(input),
    };
    const problems = [
      ...specProblems(input, known, 'spec'),
      ...validateResource('Workload', w, { vendors: this.registry.vendors() }),
    ];
    if (problems.length) throw badInput(problems);
    const now = Date.now();
    const candidate = { ...pendingOf(w, tenant), key: QUOTE_KEY as never, createdAt: now };
    const result = quoteOptions(this.state.snapshot(), candidate, schedulerConfig({ now }));
    return {
      options: result.options.map((o) => ({
        pool: o.pool,
        site: o.site,
        vendor: o.vendor,
        model: o.model,
        computeUnits: o.computeUnits,
        eurPerHour: o.quote.eurPerHour,
        estimatedEUR: o.quote.estimatedEUR,
        estimatedKWh: o.quote.estimatedKWh,
        estimatedCO2eKg: o.quote.estimatedCO2eKg,
        kWhPerHour: o.quote.kWhPerHour,
        estimatedStartAt:
          o.estimatedStartAt === undefined ? undefined : new Date(o.estimatedStartAt).toISOString(),
        waitReason: o.waitReason,
      })),
      infeasible: result.infeasible.map((i) => ({ vendor: i.vendor, code: i.code, reason: i.reason })),
      portable: new Set(result.options.map((o) => o.vendor)).size >= 2,
    };
  }
}
