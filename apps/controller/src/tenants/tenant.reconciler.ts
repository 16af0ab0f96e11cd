import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { KubeConnection } from '../kube/kube.module';
import { ControllerMetrics } from '../metrics/controller-metrics';
import { TenantReconcilerCore } from './tenant-reconciler-core';
import { VendorRegistry } from '@kentaur/vendors';

/**
 * The Nest provider of the tenant reconciler: each Tenant's namespaces get the namespace kit
 * (Pod Security restricted, devices only through Kentaur, container defaults, default-deny network)
 * and each Tenant's status follows its workloads. The work is done by TenantReconcilerCore.
 *
 * Register it beside the other reconcilers and call `setEnabled(leading)` on leadership changes;
 * Kentaur-rendered pods must carry `priorityClassName: kentaur-admitted` (ADMITTED_PRIORITY_CLASS),
 * or the kit's quota refuses their devices.
 */
@Injectable()
export class TenantReconciler implements OnApplicationShutdown {
  readonly core: TenantReconcilerCore;

  constructor(
    kube: KubeConnection,
    @Inject(ControllerMetrics) metrics: ControllerMetrics,
    @Inject(VendorRegistry) registry: VendorRegistry,
  ) {
    this.core = new TenantReconcilerCore({
      client: kube.client,
      registry,
      informers: kube.informers,
      observe: metrics.reconcileObserver('tenants'),
      log: new Logger('tenants'),
    });
  }

  /** Writes only while this replica leads; the caches stay warm either way. */
  setEnabled(enabled: boolean): void {
    this.core.setEnabled(enabled);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.core.stop();
  }
}
