import type { GatewayConfig } from '../../config';
import type { GatewayState } from '../../kube/gateway-state';
import type { IntervalContext } from './intervals';

export function intervalContext(
  state: GatewayState,
  config: GatewayConfig,
  nowMs: number,
): IntervalContext & { tenantOfNamespace: Map<string, string> } {
  const tenantOfNamespace = new Map<string, string>();
  for (const t of state.tenants.list())
    for (const ns of t.spec.namespaces) tenantOfNamespace.set(ns, t.metadata.name!);
  return {
    pools: new Map(state.pools.list().map((p) => [p.metadata.name!, p])),
    sites: new Map(state.sites.list().map((s) => [s.metadata.name!, s])),
    defaults: config.snapshotDefaults,
    nowMs,
    tenantOfNamespace,
  };
}
