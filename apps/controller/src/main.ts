import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { openLedger, type Ledger } from '@kentaur/ledger';
import { UsageAccountant } from './accounting/usage-accountant';
import { ControllerModule } from './app.module';
import { controllerConfig, type ControllerConfig } from './config';
import { HealthServer } from './health/health.server';
import { KubeConnection } from './kube/kube.module';
import { LeadershipService } from './leader/leadership.service';
import { ControllerMetrics } from './metrics/controller-metrics';
import { registerStateGauges } from './metrics/state-gauges';
import { PoolDiscoveryReconciler } from './pools/pool-discovery.reconciler';
import { SchedulingLoop } from './scheduling/scheduling.loop';
import { admittedPriorityClass, PriorityClasses, TenantReconciler } from './tenants';
import { WorkloadReconciler } from './workloads/workload.reconciler';

export { controllerConfig, type ControllerConfig };
export type { PowerConfig } from './accounting/power-reader';

export interface RunningController {
  healthPort: number;
  pools: PoolDiscoveryReconciler;
  scheduling: SchedulingLoop;
  workloads: WorkloadReconciler;
  leadership: LeadershipService;
  accountant: UsageAccountant;
  ledger: Ledger;
  stop(): Promise<void>;
}

/**
 * Starts the controller: caches first, then leader election; the reconcilers write only while this
 * replica leads. Returns once the health server listens (readiness follows the caches' sync).
 */
export async function startController(
  config: ControllerConfig,
  options: { ledger?: Ledger } = {},
): Promise<RunningController> {
  const metrics = new ControllerMetrics();
  const ledger = options.ledger ?? (await openLedger(config.ledger));
  const app = await NestFactory.createApplicationContext(
    ControllerModule.forRoot(config, { metrics, ledger }),
    {
      logger: ['log', 'warn', 'error'],
    },
  );
  const kube = app.get(KubeConnection);
  const leadership = app.get(LeadershipService);
  const pools = app.get(PoolDiscoveryReconciler);
  const scheduling = app.get(SchedulingLoop);
  const workloads = app.get(WorkloadReconciler);
  const tenants = app.get(TenantReconciler);
  const accountant = app.get(UsageAccountant);
  const { sites } = kube;
  const { informers } = kube;
  registerStateGauges(metrics, {
    pools: () => informers.pools.list(),
    workloads: () => informers.workloads.list(),
    tenants: () => informers.tenants.list(),
    sites: () => informers.sites.list(),
  });
  const health = new HealthServer({
    live: () => true,
    ready: () => informers.hasSynced(),
    metrics: { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() },
  });
  const healthPort = await health.listen(config.healthHost, config.healthPort);
  kube.informers.start();
  await kube.informers.waitForSync();
  // Remote sites' caches start now and are followed on followers too; none blocks readiness.
  sites.start();
  // Rendered pods name this PriorityClass; pods naming a missing one are refused, so it exists first.
  const priorityClass = admittedPriorityClass().object;
  await kube.client.patch(PriorityClasses, priorityClass.metadata!.name!, priorityClass, {
    patchType: 'apply',
    fieldManager: 'kentaur-controller',
    force: true,
  });
  leadership.onChange((leading) => {
    metrics.leading.set(leading ? 1 : 0);
    sites.setEnabled(leading);
    pools.setEnabled(leading);
    tenants.setEnabled(leading);
    accountant.setEnabled(leading);
    scheduling.setEnabled(leading);
    workloads.setEnabled(leading);
  });
  leadership.start();
  return {
    healthPort,
    pools,
    scheduling,
    workloads,
    leadership,
    accountant,
    ledger,
    async stop() {
      // Release the Lease and finish in-flight reconciles while the client is still open.
      await leadership.onApplicationShutdown();
      await scheduling.onApplicationShutdown();
      await pools.onApplicationShutdown();
      await workloads.onApplicationShutdown();
      await tenants.onApplicationShutdown();
      await accountant.onApplicationShutdown();
      await health.close();
      await app.close();
      // A ledger handed in (kentaur up shares one with the gateway) is its owner's to close.
      if (!options.ledger) await ledger.close();
    },
  };
}
