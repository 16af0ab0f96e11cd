import { randomBytes } from 'node:crypto';
import type { Namespace } from 'kubernetes-types/core/v1';
import { KubeClient, loadKubeconfig, Namespaces, type KubeClientOptions } from '@kentaur/k8s-runtime';

/** The kubeconfig of the cluster under test (the run's sandbox, or KENTAUR_TEST_KUBECONFIG). */
export function testKubeconfig(): string {
  const file = process.env.KENTAUR_TEST_KUBECONFIG;
  if (!file)
    throw new Error(
      'KENTAUR_TEST_KUBECONFIG is not set: run this suite through jest (the global setup starts the sandbox)',
    );
  return file;
}

export function testClient(options: Omit<KubeClientOptions, 'credentials'> = {}): KubeClient {
  return new KubeClient({
    credentials: loadKubeconfig(testKubeconfig()),
    userAgent: 'kentaur-tests',
    ...options,
  });
}

/** A fresh namespace per test file keeps files independent on the shared sandbox. */
export async function createTestNamespace(
  client: KubeClient,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await client.create<Namespace>(Namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
  return name;
}

/** Deletes a test namespace (its pods go with it), so later files find the fleet free again. */
export async function deleteTestNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(Namespaces, name).catch(() => undefined);
}

/**
 * Deletes the namespaces of an e2e file and waits until the namespace controller has removed them
 * (up to `timeoutMs`): the next file's controller must not find this file's workloads still pending
 * and admit them into a namespace that is being terminated, holding devices the next file counts on.
 */
export async function deleteTestNamespacesAndWait(
  client: KubeClient,
  names: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  for (const name of names) await deleteTestNamespace(client, name);
  const deadline = Date.now() + timeoutMs;
  for (const name of names)
    while (Date.now() < deadline) {
      const ns = await client.get<Namespace>(Namespaces, name).catch(() => undefined);
      if (!ns) break;
      await new Promise((r) => setTimeout(r, 250));
    }
}
