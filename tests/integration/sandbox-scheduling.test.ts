// The sandbox is a real control plane: kube-scheduler binds pods that request vendor resources onto
// the fake nodes that have them, and KWOK runs them to completion after the annotated duration.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { type KubeClient, Nodes, Pods, waitFor } from '@kentaur/k8s-runtime';
import { createTestNamespace, deleteTestNamespace, testClient } from '../support/cluster';

// Vendor taints are keyed by the resource name, so the toleration is derived from it.
function acceleratorPod(name: string, resource: string, count: number, runFor?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: runFor ? { 'sandbox.kentaur.io/run-for': runFor } : {} },
    spec: {
      restartPolicy: 'Never',
      tolerations: [{ key: resource, operator: 'Exists', effect: 'NoSchedule' }],
      containers: [
        {
          name: 'main',
          image: 'registry.example/train:1',
          resources: { limits: { [resource]: String(count), cpu: '1', memory: '1Gi' } },
        },
      ],
    },
  };
}

describe('sandbox scheduling', () => {
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    client = testClient();
    ns = await createTestNamespace(client, 'sched');
  });
  afterAll(async () => {
    await deleteTestNamespace(client, ns);
    client.close();
  });

  it('lists the default fleet with vendor resources in allocatable', async () => {
    const nodes = (await client.listAll<Node>(Nodes, { labelSelector: 'type=kwok' })).items;
    const allocatable = (resource: string) =>
      nodes.reduce((sum, n) => sum + Number(n.status?.allocatable?.[resource] ?? 0), 0);
    expect(allocatable('nvidia.com/gpu')).toBeGreaterThanOrEqual(16);
    expect(allocatable('amd.com/gpu')).toBeGreaterThanOrEqual(16);
    expect(allocatable('habana.ai/gaudi')).toBeGreaterThanOrEqual(16);
    expect(allocatable('tenstorrent.com/chip')).toBeGreaterThanOrEqual(8);
  });

  it('binds an amd.com/gpu: 8 pod to an AMD MI300X node and KWOK completes it', async () => {
    await client.create(Pods, acceleratorPod('amd-8', 'amd.com/gpu', 8, '3s'), {
      namespace: ns,
    });
    const bound = await waitFor('the AMD pod to be bound', async () => {
      const pod = await client.get<Pod>(Pods, 'amd-8', ns);
      return pod.spec?.nodeName ? pod : undefined;
    });
    const node = await client.get<Node>(Nodes, bound.spec!.nodeName!);
    expect(node.metadata?.labels?.['amd.com/gpu.product-name']).toBe('AMD_Instinct_MI300X_OAM');
    expect(node.status?.allocatable?.['amd.com/gpu']).toBe('8');

    const done = await waitFor(
      'KWOK to complete the AMD pod',
      async () => {
        const pod = await client.get<Pod>(Pods, 'amd-8', ns);
        return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? pod : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  });

  it('keeps a nvidia.com/gpu: 16 pod Pending: no node has 16', async () => {
    await client.create(Pods, acceleratorPod('nvidia-16', 'nvidia.com/gpu', 16), {
      namespace: ns,
    });
    const unschedulable = await waitFor('the scheduler to report the pod unschedulable', async () => {
      const pod = await client.get<Pod>(Pods, 'nvidia-16', ns);
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return cond?.status === 'False' ? { pod, cond } : undefined;
    });
    expect(unschedulable.cond.reason).toBe('Unschedulable');
    expect(unschedulable.cond.message).toMatch(/Insufficient nvidia\.com\/gpu/);
    expect(unschedulable.pod.status?.phase).toBe('Pending');
    expect(unschedulable.pod.spec?.nodeName).toBeUndefined();
  });

  it('fails a pod whose annotation asks for a non-zero exit code', async () => {
    const pod = acceleratorPod('tt-fail', 'tenstorrent.com/chip', 1, '1s');
    pod.metadata!.annotations!['sandbox.kentaur.io/exit-code'] = '3';
    await client.create(Pods, pod, { namespace: ns });
    const done = await waitFor(
      'KWOK to fail the pod',
      async () => {
        const p = await client.get<Pod>(Pods, 'tt-fail', ns);
        return p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded' ? p : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
  });

  it('leaves a pod without a run-for annotation running', async () => {
    await client.create(Pods, acceleratorPod('gaudi-svc', 'habana.ai/gaudi', 2), {
      namespace: ns,
    });
    await waitFor('the Gaudi pod to run', async () => {
      const p = await client.get<Pod>(Pods, 'gaudi-svc', ns);
      return p.status?.phase === 'Running' ? p : undefined;
    });
    // Longer than the completed pods above took: still Running.
    await new Promise((r) => setTimeout(r, 4000));
    const p = await client.get<Pod>(Pods, 'gaudi-svc', ns);
    expect(p.status?.phase).toBe('Running');
    expect(
      (await client.get<Node>(Nodes, p.spec!.nodeName!)).metadata?.labels?.['habana.ai/device.type'],
    ).toBe('GAUDI3');
  });
});
