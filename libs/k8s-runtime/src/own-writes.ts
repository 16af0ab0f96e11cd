import type { KubeObject } from './client';
import { objectKey } from './informer';

/**
 * Objects this process wrote, as the API server answered the write, kept until the informer's
 * cache has caught up with them (client-go's MutationCache; kube-scheduler "assumes" its pods the
 * same way). A loop that decides from its cache must see its own last decisions even while the
 * watch that would bring them back lags, is cut or is being relisted: a scheduler that did not
 * would count a tenant's admission of a moment ago as still queued and admit past the tenant's
 * limit (found by the chaos suite's watch scenario, docs/reliability.md).
 *
 * Newer is decided by resourceVersion, compared as the integers the API server's etcd storage
 * issues (as client-go's MutationCache does); the format is opaque by contract, so where either
 * side is not an integer the cache wins. An entry is dropped once the cache holds that version or
 * a later one, when the object has left the cache (deleted), or after `ttlMs`.
 */
export class OwnWrites<T extends KubeObject> {
  private readonly written = new Map<string, { obj: T; atMs: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(o: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = o.ttlMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Remembers the object a write returned. */
  remember(obj: T): void {
    this.written.set(objectKey(obj), { obj, atMs: this.now() });
  }

  get size(): number {
    return this.written.size;
  }

  /**
   * The cached objects, each replaced by the one this process wrote when that is newer; prunes
   * what the cache has caught up with. Never mutates what it is given.
   */
  overlay(cached: readonly T[]): T[] {
    if (this.written.size === 0) return [...cached];
    const now = this.now();
    const seen = new Set<string>();
    const out = cached.map((c) => {
      const key = objectKey(c);
      seen.add(key);
      const w = this.written.get(key);
      if (!w) return c;
      if (now - w.atMs <= this.ttlMs && isNewer(w.obj, c)) return w.obj;
      this.written.delete(key);
      return c;
    });
    for (const key of this.written.keys()) if (!seen.has(key)) this.written.delete(key);
    return out;
  }
}

/** Whether `a` is a later version of the object than `b` (integer resourceVersions only). */
export function isNewer(a: KubeObject, b: KubeObject): boolean {
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (!/^\d+$/.test(ra) || !/^\d+$/.test(rb)) return false;
  return BigInt(ra) > BigInt(rb);
}
