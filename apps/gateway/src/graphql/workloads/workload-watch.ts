import type { Workload } from '@kentaur/api';
import type { Informer } from '@kentaur/k8s-runtime';

export interface WatchedChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  workload: Workload;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);

/**
 * Fans the gateway's one Workload watch out to subscriptions: a subscription listens to one key,
 * and costs the API server nothing. The stream starts with the current state (so no change between
 * a query and the subscription is missed), sends every change after it, and ends after a terminal
 * phase or the deletion.
 */
export class WorkloadWatch {
  private readonly listeners = new Map<string, Set<(c: WatchedChange) => void>>();

  constructor(informer: Informer<Workload>) {
    const emit = (type: WatchedChange['type'], w: Workload) => {
      for (const l of this.listeners.get(`${w.metadata.namespace}/${w.metadata.name}`) ?? [])
        l({ type, workload: w });
    };
    informer.addHandlers({
      onAdd: (w) => emit('ADDED', w),
      onUpdate: (_old, w) => emit('MODIFIED', w),
      onDelete: (w) => emit('DELETED', w),
    });
  }

  get subscriptions(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /** Changes of one workload; `current` is sent first when given. */
  watch(key: string, current: Workload | undefined): AsyncIterableIterator<WatchedChange> {
    const queue: WatchedChange[] = current ? [{ type: 'ADDED', workload: current }] : [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener = (c: WatchedChange) => {
      queue.push(c);
      wake?.();
    };
    const set = this.listeners.get(key) ?? new Set();
    set.add(listener);
    this.listeners.set(key, set);
    const close = () => {
      done = true;
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
      wake?.();
    };
    const iterator: AsyncIterableIterator<WatchedChange> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        while (!done && queue.length === 0) await new Promise<void>((r) => (wake = r));
        const change = queue.shift();
        if (!change) return { done: true, value: undefined };
        if (change.type === 'DELETED' || TERMINAL.has(change.workload.status?.phase ?? '')) {
          close();
          queue.length = 0; // the stream ends with this change
        }
        return { done: false, value: change };
      },
      return: () => {
        close();
        queue.length = 0;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    return iterator;
  }
}
