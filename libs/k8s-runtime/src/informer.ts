import type { KubeClient, KubeObject, WatchEvent } from './client';
import { realClock, type Clock } from './clock';
import { KubeApiError, type KubeStatus } from './errors';
import type { ResourceType } from './resource-types';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  client: KubeClient;
  type: ResourceType;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock?: Clock;
  /** Backoff between restarts after errors: doubles from initialMs to maxMs, reset by a healthy watch. */
  backoff?: { initialMs: number; maxMs: number };
  /** The server ends each watch after this long; the informer re-watches from its resourceVersion. */
  watchTimeoutSeconds?: number;
  /** Called on every restart with its cause, for logs and the informer-restarts metric. */
  onRestart?: (cause: unknown) => void;
  /**
   * Trims each object before it is cached and handed to handlers (as client-go's SetTransform):
   * a cache of many objects keeps only the fields its readers use. Keep metadata.name, namespace
   * and resourceVersion.
   */
  transform?: (obj: KubeObject) => KubeObject;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key of the cache and of work queues. */
export function objectKey(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? '');
}

class WatchEnded extends Error {}

/**
 * Keeps a cache of one resource current by list + watch. Unlike a bare watch it never gives up:
 * any error (410 Gone, an ERROR event, a broken connection, 5xx, 429) restarts it after a backoff
 * with a relist, and a relist emits deletes for objects that vanished while the watch was down.
 * A watch the server ends normally (its timeout) resumes from the last resourceVersion at once. Handlers run synchronously in event order; objects handed out are the cache's
 * own and must not be mutated (copy before changing).
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  /** Secondary indexes (client-go's Indexer): index name → value → keys of the cached objects. */
  private readonly indexes = new Map<string, Index<T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private resourceVersion: string | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  /** One signal for the informer's whole life: stop() must also end a watch that is only about to start. */
  private readonly lifetime = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly clock: Clock;
  /** When the cache stopped following the server (a failed watch), until the relist that follows. */
  private staleSince: number | undefined;
  restarts = 0;

  constructor(private readonly o: InformerOptions) {
    this.clock = o.clock ?? realClock;
  }

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.lifetime.abort();
    this.wake?.();
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /**
   * Keeps the cached objects findable by `valueOf(obj)` (e.g. the workload a pod belongs to), so a
   * reader asks {@link byIndex} instead of filtering the whole cache: a reconcile of one object must
   * not cost the size of the cluster. Objects whose value is undefined are not indexed.
   */
  addIndex(name: string, valueOf: (obj: T) => string | undefined): void {
    if (this.indexes.has(name)) throw new Error(`informer index ${name} already exists`);
    const index: Index<T> = { valueOf, keys: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.cache) indexAdd(index, key, obj);
  }

  /** The cached objects whose value in index `name` is `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer index ${name} does not exist: addIndex it first`);
    const keys = index.keys.get(value);
    return keys ? [...keys].map((k) => this.cache.get(k)!) : [];
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Up to when the cache is known to reflect the server: `now` while its watch runs, else the
   * moment the watch failed (until the relist after it). Readers that turn the cache into records
   * that cannot be revised later (usage billed up to a time) stop there.
   */
  currentUntil(now: number = this.clock.now()): number {
    return this.synced ? (this.staleSince ?? now) : -Infinity;
  }

  private async loop(): Promise<void> {
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 500, maxMs: 30_000 };
    let delay = initialMs;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        await this.watchOnce();
        delay = initialMs; // the server closed a healthy watch (timeout): re-watch at once
      } catch (e) {
        if (this.stopped) break;
        // Relist after every failure (as client-go's reflector does): resuming from the same
        // resourceVersion may be exactly what failed (410 Gone, "too large resource version").
        this.resourceVersion = undefined;
        this.staleSince ??= this.clock.now();
        this.restarts++;
        this.o.onRestart?.(e);
        await this.sleep(delay * (0.75 + Math.random() * 0.5));
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        t.cancel();
        resolve();
      };
    });
  }

  private async relist(): Promise<void> {
    const { client, type, namespace, labelSelector, fieldSelector } = this.o;
    const list = await client.listAll<T>(type, { namespace, labelSelector, fieldSelector });
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = this.trimmed(item);
      seen.add(objectKey(obj));
      this.upsert(obj);
    }
    for (const [key, obj] of this.cache) {
      if (!seen.has(key)) {
        this.remove(key);
        for (const h of this.handlers) h.onDelete?.(obj);
      }
    }
    this.resourceVersion = list.metadata.resourceVersion;
    this.staleSince = undefined;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watchOnce(): Promise<void> {
    const { client, type, namespace, labelSelector, fieldSelector } = this.o;
    if (this.stopped) return;
    const events = client.watch<T>(type, {
      namespace,
      labelSelector,
      fieldSelector,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.o.watchTimeoutSeconds ?? 300,
      signal: this.lifetime.signal,
    });
    for await (const ev of events) this.apply(ev);
  }

  private apply(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') {
      const status = ev.object as unknown as KubeStatus;
      if (status.code === 410)
        throw new KubeApiError({ statusCode: 410, method: 'WATCH', path: this.o.type.plural, status });
      throw new WatchEnded(`watch ERROR event: ${status.message ?? JSON.stringify(status)}`);
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      this.resourceVersion = rv ?? this.resourceVersion;
      return;
    }
    const obj = this.trimmed(ev.object);
    if (ev.type === 'DELETED') {
      this.remove(objectKey(obj));
      // The event carries the final state (a pod that left a field selector's set carries its end).
      for (const h of this.handlers) h.onDelete?.(obj);
    } else {
      this.upsert(obj);
    }
    this.resourceVersion = rv ?? this.resourceVersion;
  }

  private remove(key: string): void {
    const old = this.cache.get(key);
    if (!old) return;
    for (const index of this.indexes.values()) indexRemove(index, key, old);
    this.cache.delete(key);
  }

  private trimmed(obj: T): T {
    return this.o.transform ? (this.o.transform(obj) as T) : obj;
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (old?.metadata?.resourceVersion === obj.metadata?.resourceVersion && old) return;
    for (const index of this.indexes.values()) {
      if (old) indexRemove(index, key, old);
      indexAdd(index, key, obj);
    }
    this.cache.set(key, obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }
}

interface Index<T> {
  valueOf: (obj: T) => string | undefined;
  keys: Map<string, Set<string>>;
}

function indexAdd<T>(index: Index<T>, key: string, obj: T): void {
  const value = index.valueOf(obj);
  if (value === undefined) return;
  let keys = index.keys.get(value);
  if (!keys) index.keys.set(value, (keys = new Set()));
  keys.add(key);
}

function indexRemove<T>(index: Index<T>, key: string, obj: T): void {
  const value = index.valueOf(obj);
  if (value === undefined) return;
  const keys = index.keys.get(value);
  keys?.delete(key);
  if (keys?.size === 0) index.keys.delete(value);
}
