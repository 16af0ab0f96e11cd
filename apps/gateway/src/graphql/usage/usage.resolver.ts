import { Inject } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';
import { Scope } from '../../access/access.guard';
import type { TenantScope } from '../../access/tenant-scope';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { forbidden, GatewayError } from '../../errors';
import { GatewayState } from '../../kube/gateway-state';
import { intervalContext } from './interval-context';
import { intervalsOf } from './intervals';
import { aggregateUsage } from './usage';
import { UsageGroupBy, UsageReport } from './usage.types';

const MAX_RANGE_DAYS = 366;

function parseTime(value: string, field: string): number {
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(t))
    throw new GatewayError(
      'BAD_USER_INPUT',
      `${field}: must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z`,
      {
        field,
      },
    );
  return t;
}

@Resolver(() => UsageReport)
export class UsageResolver {
  constructor(
    @Inject(GatewayState) private readonly state: GatewayState,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Query(() => UsageReport, { description: 'Your usage and cost in [from, to), grouped as asked.' })
  async usage(
    @Scope() scope: TenantScope,
    @Args('from') from: string,
    @Args('to') to: string,
    @Args('groupBy', { type: () => [UsageGroupBy], nullable: true }) groupBy?: UsageGroupBy[],
  ): Promise<UsageReport> {
    const fromMs = parseTime(from, 'from');
    const toMs = parseTime(to, 'to');
    if (toMs <= fromMs || toMs - fromMs > MAX_RANGE_DAYS * 86_400_000)
      throw new GatewayError(
        'BAD_USER_INPUT',
        `to: must be after from, at most ${MAX_RANGE_DAYS} days later`,
        {
          field: 'to',
        },
      );
    if (groupBy?.includes(UsageGroupBy.TENANT) && !scope.isAdmin)
      throw forbidden('groupBy TENANT is for administrators');
    const range = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
    const dims = groupBy ?? [];
    const ledger = this.config.ledger;
    if (ledger) {
      const namespaces = scope.namespaces();
      const rows = await ledger.usage({
        fromMs,
        toMs,
        groupBy: dims,
        namespaces: namespaces && [...namespaces],
      });
      return { ...range, source: 'ledger', rows };
    }
    const ctx = intervalContext(this.state, this.config, Date.now());
    const rows = aggregateUsage(intervalsOf(scope.workloads(), ctx), {
      fromMs,
      toMs,
      groupBy: dims,
      tenantOf: (ns) => ctx.tenantOfNamespace.get(ns) ?? '',
    });
    return { ...range, source: 'workload-status', rows };
  }
}
