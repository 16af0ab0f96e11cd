import type { Tenant } from '@kentaur/api';
import { type KubeClient, Tenants } from '@kentaur/k8s-runtime';
import { createTestNamespace } from './cluster';

export interface TestTenant {
  name: string;
  quota: { guaranteedCU: number; limitCU: number };
  tier?: Tenant['spec']['tier'];
  allowEmergency?: boolean;
}

/**
 * A tenant with one fresh namespace enforcing Pod Security "restricted"; the Tenant object is named
 * after the namespace, so parallel files never collide. Returns that name; the caller deletes both.
 */
export async function createTenant(client: KubeClient, t: TestTenant): Promise<string> {
  const ns = await createTestNamespace(client, `tenant-${t.name}`, {
    'pod-security.kubernetes.io/enforce': 'restricted',
  });
  const tenant: Tenant = {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: ns },
    spec: {
      displayName: t.name,
      tier: t.tier ?? 'sme',
      namespaces: [ns],
      quota: t.quota,
      allowEmergency: t.allowEmergency ?? false,
    },
  };
  await client.create(Tenants, tenant);
  return ns;
}
