import type { Pod } from 'kubernetes-types/core/v1';
import { ATTEMPT_LABEL, WORKLOAD_LABEL, type Workload } from '@kentaur/api';
import { type KubeClient, Pods } from '@kentaur/k8s-runtime';

/**
 * The device-time a finished workload's pods really ran, computed here from the pods' own times
 * (status.startTime to the last container's terminated.finishedAt) independently of the
 * controller's meter: the figure the ledger's usage must match.
 */
export async function podDeviceHours(client: KubeClient, w: Workload): Promise<number> {
  const selector = `${WORKLOAD_LABEL}=${w.metadata.name},${ATTEMPT_LABEL}=${w.status?.attempts ?? 0}`;
  const pods = (await client.list<Pod>(Pods, { namespace: w.metadata.namespace, labelSelector: selector }))
    .items;
  if (pods.length === 0) throw new Error(`no pods left for ${w.metadata.name}`);
  let deviceMs = 0;
  for (const p of pods) {
    const finishes = (p.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt);
    if (!p.status?.startTime || finishes.some((f) => !f))
      throw new Error(`pod ${p.metadata?.name} of ${w.metadata.name} has not finished: ${p.status?.phase}`);
    const end = Math.max(...finishes.map((f) => Date.parse(f!)));
    deviceMs += w.spec.accelerators.count * (end - Date.parse(p.status.startTime));
  }
  return deviceMs / 3_600_000;
}

/** Kubernetes' resolution of pod times: metered intervals start and end on whole seconds. */
export const floorToSecond = (t: number): number => Math.floor(t / 1000) * 1000;

/** A bare Pod that passes Pod Security "restricted" (for admission and RBAC checks, never run). */
export function restrictedPod(name: string, namespace: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'registry.example/x:1',
          securityContext: {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        },
      ],
    },
  };
}

/** A bare privileged Pod: what Pod Security "restricted" must refuse (the control of its tests). */
export function privilegedPod(name: string, namespace: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      containers: [{ name: 'c', image: 'registry.example/x:1', securityContext: { privileged: true } }],
    },
  };
}
