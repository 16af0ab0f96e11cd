import type { AcceleratorPool, Tenant } from '@kentaur/api';
import type { VendorRegistry } from '@kentaur/vendors';
import {
  acceleratorResourceNames,
  admittedPriorityClass,
  type KitObject,
  namespaceKit,
} from '../tenants/namespace-kit';
import { TENANTS_FIELD_MANAGER } from '../tenants/tenant-reconciler-core';
import type { SiteConnection } from './site-connections';

/**
 * The namespace kit (Pod Security restricted, device quota, container defaults, default-deny
 * network) and the admitted PriorityClass in a remote site's cluster, applied before the first
 * object of a tenant's namespace is created there. The tenant reconciler keeps the management
 * cluster's kit; a remote site has no Tenant objects to watch, so its kit is applied on use,
 * remembered per site and namespace, and applied again when it changes or the site reconnects.
 *
 * Applied with force: a tenant namespace in a site is Kentaur's, and its Pod Security labels are
 * what keeps tenants' pods restricted (in the management cluster an admin's label may win; ADR 13).
 */
export class SiteKit {
  /** `site/namespace` → the kit last applied there. */
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly registry: VendorRegistry,
    private readonly pools: () => readonly AcceleratorPool[],
  ) {}

  /** The site's objects may have changed while it was away: its kit is applied again on next use. */
  forget(site: string): void {
    for (const key of this.applied.keys()) if (key.startsWith(`${site}/`)) this.applied.delete(key);
  }

  async ensure(conn: SiteConnection, tenant: Tenant, namespace: string): Promise<void> {
    const resourceNames = acceleratorResourceNames({ pools: this.pools(), registry: this.registry });
    const kit: KitObject[] = [admittedPriorityClass(), ...namespaceKit({ tenant, namespace, resourceNames })];
    const key = `${conn.site}/${namespace}`;
    const digest = JSON.stringify(kit.map((k) => k.object));
    if (this.applied.get(key) === digest) return;
    for (const k of kit) {
      const { name, namespace: ns } = k.object.metadata!;
      await conn.client.patch(k.type, name!, k.object, {
        patchType: 'apply',
        fieldManager: TENANTS_FIELD_MANAGER,
        force: true,
        namespace: ns,
      });
    }
    this.applied.set(key, digest);
  }
}
