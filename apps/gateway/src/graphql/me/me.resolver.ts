import { Query, Resolver } from '@nestjs/graphql';
import { Scope } from '../../access/access.guard';
import type { TenantScope } from '../../access/tenant-scope';
import { Me, toTenantInfo } from './tenant.types';

@Resolver(() => Me)
export class MeResolver {
  @Query(() => Me, {
    description: 'Who the token acts for: tenant, tier, quota, usage, budget, vendors and sites.',
  })
  me(@Scope() scope: TenantScope): Me {
    const p = scope.principal;
    const tenant = p.tenant === undefined && p.role === 'admin' ? undefined : toTenantInfo(scope.tenant());
    return { subject: p.subject, role: p.role, via: p.via, tenant };
  }
}
