import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { AcceleratorPool } from '@kentaur/api';
import { AcceleratorPools, Informer, type KubeClient, Nodes, Pods } from '@kentaur/k8s-runtime';

/**
 * The shared informers of the controller: one cache per resource, started once, read by every
 * reconciler (controllers only keep the caches current; no reconciler lists from the API server).
 */
export class InformerHub {
  readonly nodes: Informer<Node>;
  readonly pods: Informer<Pod>;
  readonly pools: Informer<AcceleratorPool>;
  private readonly all: Informer<never>[];

  constructor(client: KubeClient, onRestart: (resource: string, cause: unknown) => void) {
    const make = <T extends object>(type: typeof Nodes, fieldSelector?: string) =>
      new Informer<T & { metadata?: object }>({
        client,
        type,
        fieldSelector,
        onRestart: (e) => onRestart(type.plural, e),
      });
    this.nodes = make<Node>(Nodes);
    // Only pods that hold node resources: finished pods release their devices.
    this.pods = make<Pod>(Pods, 'status.phase!=Succeeded,status.phase!=Failed');
    this.pools = make<AcceleratorPool>(AcceleratorPools);
    this.all = [this.nodes, this.pods, this.pools] as unknown as Informer<never>[];
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.all.map((i) => i.waitForSync()));
  }

  hasSynced(): boolean {
    return this.all.every((i) => i.hasSynced());
  }

  get restarts(): number {
    return this.all.reduce((n, i) => n + i.restarts, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }
}
