/**
 * Wording helpers: a waiting workload's reason is read by its tenant, so numbers are rounded the
 * way people write them and lists are joined with commas.
 */

/** At most two decimals, no trailing zeros: 15.84, 16, 0.5. */
export function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function list(items: readonly string[]): string {
  return items.join(', ');
}

/** Distinct values in first-seen order. */
export function distinct<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function durationWords(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function unknownTenantReason(tenant: string): string {
  return `tenant ${tenant} not found: no Tenant object lists this namespace`;
}
