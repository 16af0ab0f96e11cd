import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CONTROLLER_CONFIG, type ControllerConfig } from './config';
import type { Ledger } from '@kentaur/ledger';
import { VendorRegistry } from '@kentaur/vendors';
import { LEDGER, UsageAccountant } from './accounting/usage-accountant';
import { KubeModule } from './kube/kube.module';
import { ControllerMetrics } from './metrics/controller-metrics';
import { LeadershipService } from './leader/leadership.service';
import { PoolDiscoveryReconciler } from './pools/pool-discovery.reconciler';
import { SchedulingLoop } from './scheduling/scheduling.loop';
import { TenantReconciler } from './tenants/tenant.reconciler';
import { WorkloadReconciler } from './workloads/workload.reconciler';

/** What main.ts builds and owns (connections the application outlives): metrics and the ledger. */
export interface ControllerDeps {
  metrics: ControllerMetrics;
  ledger: Ledger;
}

/**
 * Configuration and metrics are the global providers (STYLE.md: no @Global except config and
 * logging; metrics are of the same kind, something every part reports to).
 */
@Global()
@Module({})
class ConfigModule {
  static forRoot(config: ControllerConfig, deps: ControllerDeps): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: CONTROLLER_CONFIG, useValue: config },
        { provide: ControllerMetrics, useValue: deps.metrics },
        { provide: LEDGER, useValue: deps.ledger },
        // Built-in vendors plus those configured by data (`--vendors-file`).
        { provide: VendorRegistry, useValue: new VendorRegistry({ generic: config.vendors }) },
      ],
      exports: [CONTROLLER_CONFIG, ControllerMetrics, LEDGER, VendorRegistry],
    };
  }
}

const reconcilers = [
  LeadershipService,
  UsageAccountant,
  PoolDiscoveryReconciler,
  SchedulingLoop,
  WorkloadReconciler,
  TenantReconciler,
];

@Module({ imports: [KubeModule], providers: reconcilers, exports: reconcilers })
class ReconcilersModule {}

@Module({})
export class ControllerModule {
  static forRoot(config: ControllerConfig, deps: ControllerDeps): DynamicModule {
    return {
      module: ControllerModule,
      imports: [ConfigModule.forRoot(config, deps), KubeModule, ReconcilersModule],
    };
  }
}
