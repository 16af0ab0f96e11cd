import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { LeaderElector } from '@kentaur/k8s-runtime';
import { CONTROLLER_CONFIG, type ControllerConfig } from '../config';
import { KubeConnection } from '../kube/kube.module';

type Listener = (leading: boolean) => void;

/**
 * Leadership of this replica. Only the leader writes (pools, admissions); followers keep their
 * caches warm to take over fast. Safety does not depend on it: every write is optimistic.
 */
@Injectable()
export class LeadershipService implements OnApplicationShutdown {
  private readonly elector: LeaderElector | undefined;
  private readonly listeners: Listener[] = [];
  private leading = false;
  private readonly log = new Logger('leader');

  constructor(@Inject(CONTROLLER_CONFIG) config: ControllerConfig, kube: KubeConnection) {
    if (!config.leaderElection) return;
    this.elector = new LeaderElector({
      client: kube.client,
      namespace: config.namespace,
      name: 'kentaur-controller',
      identity: config.identity,
      onStartedLeading: () => this.set(true),
      onStoppedLeading: () => this.set(false),
      onNewLeader: (id) => this.log.log(`leader is ${id}`),
    });
  }

  /** Calls `listener` now and on every change of leadership. */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
    listener(this.leading);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.elector) this.elector.start();
    else this.set(true);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.elector?.stop();
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.log(leading ? 'leading' : 'not leading');
    for (const l of this.listeners) l(leading);
  }
}
