import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CONTROLLER_CONFIG, type ControllerConfig } from './config';
import { KubeModule } from './kube/kube.module';
import { LeadershipService } from './leader/leadership.service';
import { PoolDiscoveryReconciler } from './pools/pool-discovery.reconciler';
import { SchedulingLoop } from './scheduling/scheduling.loop';
import { TenantReconciler } from './tenants/tenant.reconciler';
import { WorkloadReconciler } from './workloads/workload.reconciler';

/** Configuration is the one global provider (STYLE.md: no @Global except config and logging). */
@Global()
@Module({})
class ConfigModule {
  static forRoot(config: ControllerConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CONTROLLER_CONFIG, useValue: config }],
      exports: [CONTROLLER_CONFIG],
    };
  }
}

const reconcilers = [
  LeadershipService,
  PoolDiscoveryReconciler,
  SchedulingLoop,
  WorkloadReconciler,
  TenantReconciler,
];

@Module({ imports: [KubeModule], providers: reconcilers, exports: reconcilers })
class ReconcilersModule {}

@Module({})
export class ControllerModule {
  static forRoot(config: ControllerConfig): DynamicModule {
    return {
      module: ControllerModule,
      imports: [ConfigModule.forRoot(config), KubeModule, ReconcilersModule],
    };
  }
}
