import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { inClusterCredentials, KubeClient, loadKubeconfig } from '@kentaur/k8s-runtime';
import { CONTROLLER_CONFIG, type ControllerConfig } from '../config';
import { ControllerMetrics } from '../metrics/controller-metrics';
import { InformerHub } from './informer-hub';
import { SiteConnections } from '../sites/site-connections';

/**
 * Owns the management cluster's API client and informer caches, and the federation's other
 * clusters (`sites`: the remote sites' clients and caches, ADR 13); all are closed when the
 * application stops.
 */
@Injectable()
export class KubeConnection implements OnApplicationShutdown {
  readonly client: KubeClient;
  readonly informers: InformerHub;
  readonly sites: SiteConnections;
  private readonly log = new Logger('kube');

  constructor(
    @Inject(CONTROLLER_CONFIG) config: ControllerConfig,
    @Inject(ControllerMetrics) metrics: ControllerMetrics,
  ) {
    const credentials = config.kubeconfig ? loadKubeconfig(config.kubeconfig) : inClusterCredentials();
    this.client = new KubeClient({
      credentials,
      userAgent: `kentaur-controller/${config.identity}`,
      observe: metrics.apiObserver(),
    });
    this.informers = new InformerHub(this.client, (resource, cause) => {
      metrics.informerRestarts.inc({ resource, site: '' });
      this.log.warn(
        `${resource} informer restarting: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
    });
    this.sites = new SiteConnections({ config, metrics, client: this.client, informers: this.informers });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sites.stop();
    await this.informers.stop();
    this.client.close();
  }
}

@Module({ providers: [KubeConnection], exports: [KubeConnection] })
export class KubeModule {}
