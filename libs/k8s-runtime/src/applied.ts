import type { KubeObject } from './client';

/**
 * Whether `actual` (from the API server) already holds everything `wanted` says: objects may carry
 * more keys (defaults, other managers' fields), arrays must match element by element. Used to skip
 * an apply that would change nothing, so a resync costs no writes.
 */
export function contains(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted))
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => contains(actual[i], w))
    );
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(wanted).every(([k, v]) => v === undefined || contains(a[k], v));
  }
  return actual === wanted;
}

/** Whether the cached object already matches the desired one (labels and content; never names). */
export function isApplied(desired: KubeObject, cached: KubeObject | undefined): boolean {
  if (!cached) return false;
  const { apiVersion: _v, kind: _k, metadata, ...content } = desired as KubeObject & Record<string, unknown>;
  return contains(cached.metadata?.labels ?? {}, metadata?.labels ?? {}) && contains(cached, content);
}
