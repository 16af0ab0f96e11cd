import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { AcceleratorPool } from '@kentaur/api';
import { AcceleratorPools, isNotFound } from '@kentaur/k8s-runtime';
import { AdminOnly, Scope } from '../../access/access.guard';
import type { TenantScope } from '../../access/tenant-scope';
import { ApiKeyStore } from '../../auth/api-keys';
import { forbidden, GatewayError, notFound } from '../../errors';
import { GatewayState } from '../../kube/gateway-state';
import { TenantInfo, toTenantInfo } from '../me/tenant.types';
import { ApiKey, CreatedApiKey, Pool, toPool } from './admin.types';

const MAX_DESCRIPTION = 200;

@Resolver()
export class AdminResolver {
  constructor(
    @Inject(GatewayState) private readonly state: GatewayState,
    @Inject(ApiKeyStore) private readonly keyStore: ApiKeyStore,
  ) {}

  @AdminOnly()
  @Query(() => [TenantInfo], { description: 'Admin: every tenant with its quota and usage.' })
  tenants(): TenantInfo[] {
    return this.state.tenants
      .list()
      .map(toTenantInfo)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  @AdminOnly()
  @Query(() => [Pool], { description: 'Admin: every accelerator pool.' })
  pools(): Pool[] {
    return this.state.pools
      .list()
      .map(toPool)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  @AdminOnly()
  @Mutation(() => Pool, {
    description: 'Admin: stop (or, with cordoned: false, resume) new admissions to a pool.',
  })
  cordonPool(
    @Args('name') name: string,
    @Args('cordoned', { defaultValue: true }) cordoned: boolean,
  ): Promise<Pool> {
    return this.patchPool(name, { cordoned });
  }

  @AdminOnly()
  @Mutation(() => Pool, {
    description:
      'Admin: cordon a pool and move its portable running work to other pools (evacuate: false stops).',
  })
  evacuatePool(
    @Args('name') name: string,
    @Args('evacuate', { defaultValue: true }) evacuate: boolean,
  ): Promise<Pool> {
    return this.patchPool(name, evacuate ? { cordoned: true, evacuate } : { evacuate });
  }

  private async patchPool(name: string, spec: Partial<AcceleratorPool['spec']>): Promise<Pool> {
    try {
      const p = await this.state.client.patch<AcceleratorPool>(
        AcceleratorPools,
        name,
        { spec },
        {
          patchType: 'merge',
          fieldManager: 'kentaur-gateway',
        },
      );
      return toPool(p);
    } catch (e) {
      if (isNotFound(e) || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw notFound('pool', name);
      throw e;
    }
  }

  @Query(() => [ApiKey], { description: 'API keys of your tenant (admin: of every tenant, or of `tenant`).' })
  apiKeys(@Scope() scope: TenantScope, @Args('tenant', { nullable: true }) tenant?: string): ApiKey[] {
    const of = scope.isAdmin ? tenant : scope.tenant().metadata.name!;
    return this.keyStore.list(of);
  }

  @Mutation(() => CreatedApiKey, {
    description:
      'Creates an API key for your tenant (admin: for any tenant, or an admin key). The key is shown once.',
  })
  async createApiKey(
    @Scope() scope: TenantScope,
    @Args('description') description: string,
    @Args('tenant', { nullable: true, description: 'Admin only.' }) tenant?: string,
    @Args('admin', { defaultValue: false, description: 'Admin only: an administrator key.' }) admin?: boolean,
  ): Promise<CreatedApiKey> {
    if (!this.keyStore.enabled)
      throw new GatewayError('UNAVAILABLE', 'API keys are not configured on this gateway (no pepper)');
    if (description.length === 0 || description.length > MAX_DESCRIPTION)
      throw new GatewayError('BAD_USER_INPUT', `description: must be 1–${MAX_DESCRIPTION} characters`, {
        field: 'description',
      });
    const target = this.keyTarget(scope, tenant, admin ?? false);
    const { key, info } = await this.keyStore.create({ ...target, description });
    return { key, info };
  }

  private keyTarget(scope: TenantScope, tenant: string | undefined, admin: boolean) {
    if (!scope.isAdmin) {
      if (tenant !== undefined || admin)
        throw forbidden('tenant and admin are for administrators; leave them out');
      return { tenant: scope.tenant().metadata.name!, role: 'tenant' as const };
    }
    if (admin) return { tenant, role: 'admin' as const };
    if (!tenant || !this.state.tenant(tenant))
      throw new GatewayError('BAD_USER_INPUT', 'tenant: name an existing tenant, or set admin: true', {
        field: 'tenant',
      });
    return { tenant, role: 'tenant' as const };
  }

  @Mutation(() => Boolean, {
    description: 'Revokes an API key of your tenant (admin: any key). false: no such key.',
  })
  async revokeApiKey(@Scope() scope: TenantScope, @Args('id') id: string): Promise<boolean> {
    const info = await this.keyStore.get(id);
    if (!info) return false;
    if (!scope.isAdmin && info.tenant !== scope.tenant().metadata.name) return false;
    return this.keyStore.revoke(id);
  }
}
