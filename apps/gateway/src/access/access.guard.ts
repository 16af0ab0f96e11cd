import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { forbidden, unauthenticated } from '../errors';
import type { GatewayContext } from './context';
import type { TenantScope } from './tenant-scope';

const ACCESS = 'kentaur:access';
type Access = 'public' | 'admin';

/** Answers without a token (the transparency figures). */
export const Public = () => SetMetadata(ACCESS, 'public' satisfies Access);
/** Administrators only. */
export const AdminOnly = () => SetMetadata(ACCESS, 'admin' satisfies Access);

type Handler = ReturnType<ExecutionContext['getHandler']>;
type ResolverClass = ReturnType<ExecutionContext['getClass']>;

const contextOf = (ctx: ExecutionContext) => GqlExecutionContext.create(ctx).getContext<GatewayContext>();

/**
 * Applied to every resolver (APP_GUARD): an operation needs a verified principal unless it is
 * marked @Public, and an administrator if it is marked @AdminOnly. What a principal may see
 * inside an operation is decided by its TenantScope, given to resolvers by @Scope().
 */
@Injectable()
export class AccessGuard implements CanActivate {
  /**
   * Each resolver's @Public/@AdminOnly, read once: decorators are fixed when the classes are
   * defined, and reading the metadata (up the prototype chains) on every request was a few
   * percent of the CPU time of `workload(id)`. By handler, then by class (a handler may be inherited).
   */
  private readonly accessOf = new WeakMap<Handler, WeakMap<ResolverClass, { access: Access | undefined }>>();

  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  private access(handler: Handler, cls: ResolverClass): Access | undefined {
    let byClass = this.accessOf.get(handler);
    if (!byClass) this.accessOf.set(handler, (byClass = new WeakMap()));
    let known = byClass.get(cls);
    if (!known) {
      const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [handler, cls]);
      byClass.set(cls, (known = { access }));
    }
    return known.access;
  }

  canActivate(ctx: ExecutionContext): boolean {
    const access = this.access(ctx.getHandler(), ctx.getClass());
    if (access === 'public') return true;
    const { principal } = contextOf(ctx);
    if (!principal)
      throw unauthenticated('this operation needs a token: send "Authorization: Bearer <token>"');
    if (access === 'admin' && principal.role !== 'admin')
      throw forbidden('this operation is for administrators');
    return true;
  }
}

/** The request's TenantScope, for resolvers of non-public operations (the guard has checked it). */
export const Scope = createParamDecorator((_data: unknown, ctx: ExecutionContext): TenantScope => {
  const { scope } = contextOf(ctx);
  if (!scope) throw unauthenticated('this operation needs a token');
  return scope;
});

/** The request's whole context, for resolvers that must handle a missing principal themselves. */
export const CurrentContext = createParamDecorator((_data: unknown, ctx: ExecutionContext) => contextOf(ctx));
