import type { Workload, WorkloadPhase } from '@kentaur/api';
import type { Informer, InformerHandlers } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { WorkloadWatch, type WatchedChange } from './workload-watch';

/**
 * The informer's side of the contract: WorkloadWatch registers its handlers once and the informer
 * calls them for every change it sees. This stands in for the informer only, not for Kubernetes.
 */
class HandlerSource {
  private readonly handlers: InformerHandlers<Workload>[] = [];
  addHandlers(h: InformerHandlers<Workload>): void {
    this.handlers.push(h);
  }
  add(w: Workload): void {
    for (const h of this.handlers) h.onAdd?.(w);
  }
  update(w: Workload): void {
    for (const h of this.handlers) h.onUpdate?.(w, w);
  }
  delete(w: Workload): void {
    for (const h of this.handlers) h.onDelete?.(w);
  }
}

function setup() {
  const source = new HandlerSource();
  // WorkloadWatch uses only addHandlers of the informer.
  const watch = new WorkloadWatch(source as unknown as Informer<Workload>);
  return { source, watch };
}

const KEY = 'team-a/train';
const wl = (phase?: WorkloadPhase, name = 'train'): Workload => {
  const w = makeWorkload(name, 'team-a').obj();
  return phase ? { ...w, status: { phase } } : w;
};

const PENDING = Symbol('pending');
/** The next result, or PENDING when none arrives before pending I/O callbacks have run. */
async function nextOrPending(it: AsyncIterator<WatchedChange>) {
  return Promise.race([it.next(), new Promise<typeof PENDING>((r) => setImmediate(() => r(PENDING)))]);
}

const summary = (c: WatchedChange) =>
  `${c.type} ${c.workload.metadata.name} ${c.workload.status?.phase ?? '-'}`;

async function nextSummary(it: AsyncIterator<WatchedChange>) {
  const r = await it.next();
  return r.done ? 'done' : summary(r.value);
}

describe('WorkloadWatch', () => {
  it('sends the current state first, then each change', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, wl('Queued'));
    source.update(wl('Admitted'));
    source.update(wl('Running'));
    expect(await nextSummary(it)).toBe('ADDED train Queued');
    expect(await nextSummary(it)).toBe('MODIFIED train Admitted');
    expect(await nextSummary(it)).toBe('MODIFIED train Running');
    await it.return!();
  });

  it('without a current state, starts with the first change', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, undefined);
    expect(await nextOrPending(it)).toBe(PENDING);
    source.add(wl('Pending'));
    expect(await nextSummary(it)).toBe('ADDED train Pending');
    await it.return!();
  });

  it('wakes a waiting reader when a change arrives', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, undefined);
    const next = it.next();
    source.update(wl('Running'));
    expect(summary((await next).value as WatchedChange)).toBe('MODIFIED train Running');
    await it.return!();
  });

  it('does not deliver changes of other workloads', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, undefined);
    source.update(wl('Running', 'other'));
    source.update({ ...wl('Running'), metadata: { name: 'train', namespace: 'team-b' } });
    expect(await nextOrPending(it)).toBe(PENDING);
    source.update(wl('Running'));
    expect(await nextSummary(it)).toBe('MODIFIED train Running');
    await it.return!();
  });

  it.each(['Succeeded', 'Failed', 'Cancelled'] as const)(
    'ends after the %s phase and stops listening',
    async (phase) => {
      const { source, watch } = setup();
      const it = watch.watch(KEY, wl('Running'));
      await it.next();
      source.update(wl(phase));
      expect(await nextSummary(it)).toBe(`MODIFIED train ${phase}`);
      expect(watch.subscriptions).toBe(0);
      source.update(wl(phase));
      expect(await nextSummary(it)).toBe('done');
    },
  );

  it('ends at once when the current state is already terminal', async () => {
    const { watch } = setup();
    const it = watch.watch(KEY, wl('Succeeded'));
    expect(await nextSummary(it)).toBe('ADDED train Succeeded');
    expect(await nextSummary(it)).toBe('done');
    expect(watch.subscriptions).toBe(0);
  });

  it('ends after the deletion', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, wl('Running'));
    await it.next();
    source.delete(wl('Running'));
    expect(await nextSummary(it)).toBe('DELETED train Running');
    expect(await nextSummary(it)).toBe('done');
    expect(watch.subscriptions).toBe(0);
  });

  it('delivers nothing after the terminal change, even changes already queued behind it', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, wl('Running'));
    source.update(wl('Succeeded'));
    source.update(wl('Succeeded'));
    source.delete(wl('Succeeded'));
    const seen: string[] = [];
    for await (const c of { [Symbol.asyncIterator]: () => it }) seen.push(summary(c));
    expect(seen).toEqual(['ADDED train Running', 'MODIFIED train Succeeded']);
  });

  it('return() removes the listener and ends a waiting reader', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, undefined);
    expect(watch.subscriptions).toBe(1);
    const waiting = it.next();
    await it.return!();
    expect(watch.subscriptions).toBe(0);
    expect(await waiting).toEqual({ done: true, value: undefined });
    source.update(wl('Running'));
    expect(await nextSummary(it)).toBe('done');
  });

  it('return() drops changes not yet read', async () => {
    const { source, watch } = setup();
    const it = watch.watch(KEY, wl('Queued'));
    source.update(wl('Running'));
    await it.return!();
    expect(await nextSummary(it)).toBe('done');
  });

  it('sends every change to each subscriber of a key', async () => {
    const { source, watch } = setup();
    const a = watch.watch(KEY, undefined);
    const b = watch.watch(KEY, undefined);
    expect(watch.subscriptions).toBe(2);
    source.update(wl('Running'));
    expect(await nextSummary(a)).toBe('MODIFIED train Running');
    expect(await nextSummary(b)).toBe('MODIFIED train Running');
    await a.return!();
    expect(watch.subscriptions).toBe(1);
    source.update(wl('Succeeded'));
    expect(await nextSummary(b)).toBe('MODIFIED train Succeeded');
    expect(watch.subscriptions).toBe(0);
  });

  it('counts subscriptions across keys', async () => {
    const { watch } = setup();
    const its = [
      watch.watch(KEY, undefined),
      watch.watch('team-a/other', undefined),
      watch.watch(KEY, undefined),
    ];
    expect(watch.subscriptions).toBe(3);
    for (const it of its) await it.return!();
    expect(watch.subscriptions).toBe(0);
  });
});
