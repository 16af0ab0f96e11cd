import { Inject } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';
import { validateResource, type Workload } from '@kentaur/api';
import { quoteOn } from '@kentaur/core';
import { pendingOf, type VendorRegistry } from '@kentaur/vendors';
import { Scope } from '../../access/access.guard';
import type { TenantScope } from '../../access/tenant-scope';
import { badInput } from '../../errors';
import { GatewayState } from '../../kube/gateway-state';
import { VENDOR_REGISTRY } from '../../kube/tokens';
import { specProblems } from '../workloads/input-checks';
import { WorkloadSpecInput } from '../workloads/workload.inputs';
import { specFromInput } from '../workloads/workload.mapper';
import { QueueRuns } from './queue-runs';
import { Quote } from './quote.types';

/** The candidate's key: not `namespace/name`, so never the key of a queued workload. */
const QUOTE_KEY = '(quote)';

@Resolver(() => Quote)
export class QuoteResolver {
  constructor(
    @Inject(GatewayState) private readonly state: GatewayState,
    @Inject(VENDOR_REGISTRY) private readonly registry: VendorRegistry,
    @Inject(QueueRuns) private readonly queue: QueueRuns,
  ) {}

  @Query(() => Quote, {
    description:
      'No side effects: for each pool that could run the spec, its price, energy, CO2e and expected start; infeasible vendors with the reason.',
  })
  async quote(
    @Scope() scope: TenantScope,
    @Args('spec', { type: () => WorkloadSpecInput }) input: WorkloadSpecInput,
  ): Promise<Quote> {
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
    // The queue as it was last run (QueueRuns: a second ago or so), the candidate submitted then.
    const queue = await this.queue.current(tenant);
    const candidate = {
      ...pendingOf(w, tenant),
      key: QUOTE_KEY as never,
      createdAt: queue.run.state.config.now,
    };
    const result = quoteOn(queue, candidate);
    const now = Date.now();
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
        // Nothing starts before this request: "now" of a run a moment ago is now.
        estimatedStartAt:
          o.estimatedStartAt === undefined
            ? undefined
            : new Date(Math.max(o.estimatedStartAt, now)).toISOString(),
        waitReason: o.waitReason,
      })),
      infeasible: result.infeasible.map((i) => ({ vendor: i.vendor, code: i.code, reason: i.reason })),
      portable: new Set(result.options.map((o) => o.vendor)).size >= 2,
    };
  }
}
