import type { Pod } from 'kubernetes-types/core/v1';
import { ATTEMPT_LABEL, WORKLOAD_LABEL, type Workload } from '@kentaur/api';
import type { InformerHandlers } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { PodMeter } from './pod-meter';

/** The two calls the meter makes on its pod cache, over a plain map. */
class PodCache {
  readonly pods = new Map<string, Pod>();
  private readonly handlers: InformerHandlers<Pod>[] = [];
  addHandlers(h: InformerHandlers<Pod>): void {
    this.handlers.push(h);
  }
  list(): Pod[] {
    return [...this.pods.values()];
  }
  put(p: Pod): void {
    this.pods.set(p.metadata!.name!, p);
  }
  delete(name: string): void {
    const p = this.pods.get(name)!;
    this.pods.delete(name);
    for (const h of this.handlers) h.onDelete?.(p);
  }
}

const T0 = Date.parse('2026-11-22T10:00:00Z');
const iso = (sec: number) => new Date(T0 + sec * 1000).toISOString();

function pod(name: string, o: { workload?: string; attempt?: number; start?: number; end?: number }): Pod {
  return {
    metadata: {
      name,
      namespace: 'tenant-acme',
      uid: `uid-${name}`,
      labels: { [WORKLOAD_LABEL]: o.workload ?? 'train', [ATTEMPT_LABEL]: String(o.attempt ?? 1) },
    },
    status: {
      phase: o.end === undefined ? 'Running' : 'Succeeded',
      startTime: o.start === undefined ? undefined : iso(o.start),
      containerStatuses:
        o.end === undefined
          ? []
          : [
              {
                name: 'main',
                image: '',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { terminated: { exitCode: 0, finishedAt: iso(o.end) } },
              },
            ],
    },
  };
}

function workload(attempts: number): Workload {
  const w = makeWorkload('train', 'tenant-acme').replicas(3).accelerators({ count: 4 }).obj();
  w.status = { phase: 'Running', attempts };
  return w;
}

describe('PodMeter', () => {
  let cache: PodCache;
  let now: number;
  let meter: PodMeter;
  beforeEach(() => {
    cache = new PodCache();
    now = T0;
    meter = new PodMeter(cache, () => now);
  });

  it("gives the runs of the workload's current attempt only", () => {
    cache.put(pod('a', { start: 1, end: 30 }));
    cache.put(pod('b', { start: 2 }));
    cache.put(pod('c', {})); // not started
    cache.put(pod('old', { attempt: 0, start: 0, end: 1 }));
    cache.put(pod('other', { workload: 'serve', start: 0 }));
    expect(meter.view().runsOf(workload(1))).toEqual([
      { devices: 4, startMs: T0 + 1000, endMs: T0 + 30_000 },
      { devices: 4, startMs: T0 + 2000 },
    ]);
  });

  it('remembers a pod deleted while running, ending when it went, until the attempt is forgotten', () => {
    cache.put(pod('a', { start: 1 }));
    now = T0 + 40_500;
    cache.delete('a');
    const w = workload(1);
    expect(meter.view().runsOf(w)).toEqual([{ devices: 4, startMs: T0 + 1000, endMs: T0 + 40_000 }]);
    meter.forget(w);
    expect(meter.view().runsOf(w)).toEqual([]);
  });

  it('keeps a finished pod that is deleted at its finish, not at its deletion', () => {
    cache.put(pod('a', { start: 1, end: 10 }));
    now = T0 + 300_000;
    cache.delete('a');
    expect(meter.view().runsOf(workload(1))).toEqual([
      { devices: 4, startMs: T0 + 1000, endMs: T0 + 10_000 },
    ]);
  });

  it('prunes what it remembers for workloads that are gone', () => {
    cache.put(pod('a', { start: 1 }));
    cache.delete('a');
    meter.prune([workload(1)]);
    expect(meter.view().runsOf(workload(1))).toHaveLength(1);
    meter.prune([]);
    expect(meter.view().runsOf(workload(1))).toEqual([]);
  });
});
