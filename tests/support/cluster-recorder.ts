// What happened on the cluster while controllers ran, recorded from watches by the test itself
// (not through any fault proxy): used by the controller-HA e2e and the chaos suite.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { ATTEMPT_LABEL, WORKLOAD_LABEL, type Workload } from '@kentaur/api';
import { Jobs, type KubeObject, Nodes, Pods, type ResourceType, Workloads } from '@kentaur/k8s-runtime';
import { testClient } from './cluster';

const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Overallocation {
  at: string;
  node: string;
  resource: string;
  requested: number;
  allocatable: number;
  pods: string[];
}

/**
 * Records, from watches on the tenant namespace, every Job and pod ever created per Workload (by
 * UID) and the highest status.attempts each Workload ever showed; and samples every ~200 ms the
 * devices requested by the unfinished pods bound to each node against the node's allocatable.
 */
export class Recorder {
  readonly jobUids = new Map<string, Set<string>>();
  readonly podUids = new Map<string, Set<string>>();
  /** Per Workload: each Job ever created (UID) and the attempt it was labelled with. */
  readonly jobAttempts = new Map<string, Map<string, string>>();
  readonly maxAttempts = new Map<string, number>();
  readonly overallocations: Overallocation[] = [];
  /**
   * Per Workload: pods whose reported finish (containers' terminated.finishedAt) changed after it
   * was first reported. A real kubelet never does that; KWOK does when it retries a status patch
   * whose answer was lost (it renders the stage again with a new Now), e.g. across a kube-apiserver
   * restart. The ledger bills what the server said at the time, so such a pod's device-time cannot
   * be compared with it (docs/reliability.md).
   */
  readonly finishRewrites = new Map<string, string[]>();
  private readonly firstFinish = new Map<string, string>();
  samples = 0;
  private readonly abort = new AbortController();
  private readonly tasks: Promise<void>[] = [];
  private readonly client = testClient();

  constructor(readonly namespace: string) {}

  async start(): Promise<void> {
    const nodes = (await this.client.list<Node>(Nodes)).items;
    const allocatable = new Map(nodes.map((n) => [n.metadata!.name!, n.status?.allocatable ?? {}]));
    const byWorkload = (into: Map<string, Set<string>>) => (o: KubeObject) => {
      const owner = o.metadata?.labels?.[WORKLOAD_LABEL];
      if (!owner || !o.metadata?.uid) return;
      into.set(owner, (into.get(owner) ?? new Set()).add(o.metadata.uid));
    };
    const jobs = byWorkload(this.jobUids);
    this.tasks.push(
      this.watch(Jobs, (o) => {
        jobs(o);
        const owner = o.metadata?.labels?.[WORKLOAD_LABEL];
        if (!owner || !o.metadata?.uid) return;
        const m = this.jobAttempts.get(owner) ?? new Map<string, string>();
        this.jobAttempts.set(owner, m.set(o.metadata.uid, o.metadata.labels?.[ATTEMPT_LABEL] ?? '?'));
      }),
      this.watch(Pods, (o) => {
        byWorkload(this.podUids)(o);
        this.noteFinish(o as Pod);
      }),
      this.watch(Workloads, (o) => {
        const w = o as Workload;
        const name = w.metadata.name!;
        this.maxAttempts.set(name, Math.max(this.maxAttempts.get(name) ?? 0, w.status?.attempts ?? 0));
      }),
      this.sampleNodes(allocatable),
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.tasks);
    this.client.close();
  }

  private noteFinish(p: Pod): void {
    const uid = p.metadata?.uid;
    const owner = p.metadata?.labels?.[WORKLOAD_LABEL];
    const finishes = (p.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt ?? '');
    if (!uid || !owner || finishes.length === 0 || finishes.some((f) => !f)) return;
    const finish = finishes.sort().at(-1)!;
    const first = this.firstFinish.get(uid);
    if (first === undefined) this.firstFinish.set(uid, finish);
    else if (first !== finish) {
      const list = this.finishRewrites.get(owner) ?? [];
      list.push(`${p.metadata?.name}: finished ${first.slice(11, 19)}, then ${finish.slice(11, 19)}`);
      this.finishRewrites.set(owner, list);
      this.firstFinish.set(uid, finish); // later events with this finish are no new rewrite
    }
  }

  /** Lists, then watches from the list's resourceVersion; relists when the watch breaks. */
  private async watch(type: ResourceType, seen: (o: KubeObject) => void): Promise<void> {
    const { signal } = this.abort;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          const list = await this.client.list(type, { namespace: this.namespace });
          list.items.forEach(seen);
          rv = list.metadata.resourceVersion;
        }
        for await (const ev of this.client.watch(type, {
          namespace: this.namespace,
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds: 60,
          signal,
        })) {
          if (ev.type === 'ERROR') {
            rv = undefined;
            break;
          }
          rv = ev.object.metadata?.resourceVersion ?? rv;
          if (ev.type !== 'BOOKMARK') seen(ev.object);
        }
      } catch {
        if (!signal.aborted) await sleep(200);
      }
    }
  }

  private async sampleNodes(allocatable: Map<string, Record<string, string>>): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        const pods = (
          await this.client.list<Pod>(Pods, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' })
        ).items;
        this.check(pods, allocatable);
        this.samples++;
      } catch {
        // a failed sample is only a missed one
      }
      await sleep(200);
    }
  }

  /** Sums the extended resources (devices) that unfinished bound pods ask for, per node. */
  private check(pods: Pod[], allocatable: Map<string, Record<string, string>>): void {
    const requested = new Map<string, Map<string, { n: number; pods: string[] }>>();
    for (const pod of pods) {
      const node = pod.spec?.nodeName;
      if (!node || TERMINAL.has(pod.status?.phase ?? '')) continue;
      for (const c of pod.spec?.containers ?? []) {
        for (const [resource, value] of Object.entries(c.resources?.limits ?? {})) {
          if (!resource.includes('/')) continue; // cpu, memory: not devices
          const perNode = requested.get(node) ?? new Map<string, { n: number; pods: string[] }>();
          requested.set(node, perNode);
          const entry = perNode.get(resource) ?? { n: 0, pods: [] };
          entry.n += Number(value);
          entry.pods.push(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
          perNode.set(resource, entry);
        }
      }
    }
    const at = new Date().toISOString();
    for (const [node, perNode] of requested) {
      for (const [resource, { n, pods: names }] of perNode) {
        const max = Number(allocatable.get(node)?.[resource] ?? 0);
        if (n > max)
          this.overallocations.push({ at, node, resource, requested: n, allocatable: max, pods: names });
      }
    }
  }
}
