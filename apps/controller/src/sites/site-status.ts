import type { Site } from '@kentaur/api';
import { setCondition } from '@kentaur/k8s-runtime';

/** What the controller knows of a site's cluster now. */
export type SiteHealth =
  | { state: 'management' }
  | { state: 'reachable' | 'unreachable'; server: string; sinceMs: number | undefined; error: string }
  | { state: 'unconnected'; sinceMs: number | undefined; error: string }
  /** A remote Site whose Secret has not been read yet: neither reachable nor unreachable. */
  | { state: 'connecting' };

/**
 * A Site's status: `reachable`, and a `Reachable` condition that says why. The message names the
 * API server and the error, never the kubeconfig's content. Pure.
 */
export function siteStatus(site: Site, h: SiteHealth, now: string): NonNullable<Site['status']> {
  const since = 'sinceMs' in h && h.sinceMs !== undefined ? new Date(h.sinceMs).toISOString() : '';
  const condition = (() => {
    switch (h.state) {
      case 'management':
        return {
          status: 'True' as const,
          reason: 'ManagementCluster',
          message: 'the cluster Kentaur runs in (no kubeconfigSecretRef)',
        };
      case 'reachable':
        return { status: 'True' as const, reason: 'Probed', message: `${h.server} answers; caches in sync` };
      case 'unreachable':
        return {
          status: 'False' as const,
          reason: 'Unreachable',
          message: `${h.server}: ${h.error}${since ? ` (unreachable since ${since})` : ''}`,
        };
      case 'unconnected':
        return { status: 'False' as const, reason: 'KubeconfigUnusable', message: h.error };
      case 'connecting':
        return {
          status: 'Unknown' as const,
          reason: 'Connecting',
          message: 'reading its kubeconfig Secret and connecting',
        };
    }
  })();
  return {
    // Left out while connecting: readers (gateway, metrics) then say "unknown", not "unreachable".
    ...(condition.status === 'Unknown' ? {} : { reachable: condition.status === 'True' }),
    observedGeneration: site.metadata.generation,
    conditions: setCondition(
      site.status?.conditions,
      { type: 'Reachable', ...condition, observedGeneration: site.metadata.generation },
      now,
    ),
  };
}
