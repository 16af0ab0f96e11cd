import type { Tenant, Workload } from '@kentaur/api';
import type { Principal } from '../auth/principal';
import { forbidden, notFound } from '../errors';
import { BY_NAMESPACE, type GatewayState } from '../kube/gateway-state';

/**
 * The one place where a principal becomes the set of things it may see and touch. Resolvers never
 * decide access themselves: they ask this scope for the tenant, its namespaces and its workloads.
 * A workload of another tenant is "not found", exactly as one that does not exist, so ids cannot
 * be probed.
 */
export class TenantScope {
  constructor(
    readonly principal: Principal,
    private readonly state: GatewayState,
  ) {}

  get isAdmin(): boolean {
    return this.principal.role === 'admin';
  }

  /** The principal's Tenant; FORBIDDEN when the token names none or one that does not exist. */
  tenant(): Tenant {
    const name = this.principal.tenant;
    if (name === undefined)
      throw forbidden('this operation acts for a tenant: use a token issued for a tenant');
    const t = this.state.tenant(name);
    if (!t) throw forbidden(`tenant ${name} of this token does not exist: ask the platform team`);
    return t;
  }

  /** Namespaces whose workloads the principal may see; undefined: all (an administrator). */
  namespaces(): ReadonlySet<string> | undefined {
    if (this.isAdmin) return undefined;
    return new Set(this.tenant().spec.namespaces);
  }

  /** Where the principal's submissions go: the first namespace of its Tenant. */
  submitNamespace(): string {
    const ns = this.tenant().spec.namespaces[0];
    if (!ns) throw forbidden(`tenant ${this.principal.tenant} has no namespace: ask the platform team`);
    return ns;
  }

  canSee(w: Workload): boolean {
    const allowed = this.namespaces();
    return allowed === undefined || allowed.has(w.metadata.namespace ?? '');
  }

  /** The workload with this id, if the principal may see it; NOT_FOUND otherwise. */
  workload(id: string): Workload {
    const parsed = parseWorkloadId(id);
    const w = parsed && this.state.workloads.get(`${parsed.namespace}/${parsed.name}`);
    if (!w || !this.canSee(w)) throw notFound('workload', id);
    return w;
  }

  /** Every workload the principal may see. */
  workloads(): Workload[] {
    const allowed = this.namespaces();
    if (allowed === undefined) return this.state.workloads.list();
    return [...allowed].flatMap((ns) => this.state.workloads.byIndex(BY_NAMESPACE, ns));
  }
}

/** Workload ids are `namespace/name`: readable in GraphiQL, and checked against the scope on every use. */
export function workloadId(w: Pick<Workload, 'metadata'>): string {
  return `${w.metadata.namespace}/${w.metadata.name}`;
}

export function parseWorkloadId(id: string): { namespace: string; name: string } | undefined {
  const m = /^([a-z0-9][-a-z0-9]{0,62})\/([a-z][-a-z0-9]{0,62})$/.exec(id);
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}
