import type { Pod } from 'kubernetes-types/core/v1';

/** Devices of `resource` one pod's containers ask for (extended resources: limits = requests). */
export function podDevices(pod: Pod, resource: string): number {
  return (pod.spec?.containers ?? []).reduce((n, c) => n + Number(c.resources?.limits?.[resource] ?? 0), 0);
}
