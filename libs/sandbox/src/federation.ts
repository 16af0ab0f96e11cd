import { readFileSync } from 'node:fs';
import type { Namespace, Secret } from 'kubernetes-types/core/v1';
import type { Site } from '@kentaur/api';
import { KubeClient, loadKubeconfig, Namespaces, Secrets, Sites } from '@kentaur/k8s-runtime';
import { installCrds } from './crds';
import type { FleetSite } from './fleet';

/** Where the management cluster keeps the other sites' kubeconfigs (DESIGN.md, Site). */
export const SITE_SECRET_NAMESPACE = 'kentaur-system';
export const SITE_KUBECONFIG_KEY = 'kubeconfig';

export function siteSecretName(site: string): string {
  return `site-${site}`;
}

/**
 * The Site object of one fleet site. The management cluster's own site has no kubeconfigSecretRef
 * ("absent: this cluster"); every other site points at its Secret. Pure.
 */
export function siteObject(site: FleetSite, management: boolean): Site {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'Site',
    metadata: { name: site.name, labels: { 'app.kubernetes.io/managed-by': 'kentaur-sandbox' } },
    spec: {
      ...site.spec,
      ...(management
        ? {}
        : {
            kubeconfigSecretRef: {
              namespace: SITE_SECRET_NAMESPACE,
              name: siteSecretName(site.name),
              key: SITE_KUBECONFIG_KEY,
            },
          }),
    },
  };
}

/** The Secret holding a site's admin kubeconfig (certificates inlined, so it stands alone). Pure. */
export function siteSecret(site: string, kubeconfig: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: siteSecretName(site),
      namespace: SITE_SECRET_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'kentaur-sandbox', 'kentaur.io/site': site },
    },
    type: 'Opaque',
    data: { [SITE_KUBECONFIG_KEY]: Buffer.from(kubeconfig).toString('base64') },
  };
}

export interface SiteCluster {
  site: FleetSite;
  /** Path of the site's admin kubeconfig. */
  kubeconfig: string;
}

/**
 * Makes the first cluster the management cluster of the others: installs Kentaur's CRDs there, puts
 * every other site's kubeconfig in a Secret in kentaur-system and creates one Site object per site.
 * Server-side apply throughout, so running it again converges instead of failing.
 */
export async function registerSites(managementKubeconfig: string, sites: SiteCluster[]): Promise<void> {
  const client = new KubeClient({
    credentials: loadKubeconfig(managementKubeconfig),
    userAgent: 'kentaur-sandbox',
  });
  const apply = { patchType: 'apply' as const, fieldManager: 'kentaur-sandbox', force: true };
  try {
    await installCrds(client);
    const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SITE_SECRET_NAMESPACE } };
    await client.patch(Namespaces, SITE_SECRET_NAMESPACE, ns, apply);
    for (const [i, { site, kubeconfig }] of sites.entries()) {
      const management = i === 0;
      if (!management) {
        const secret = siteSecret(site.name, readFileSync(kubeconfig, 'utf8'));
        await client.patch(Secrets, secret.metadata!.name!, secret, {
          ...apply,
          namespace: SITE_SECRET_NAMESPACE,
        });
      }
      await client.patch(Sites, site.name, siteObject(site, management), apply);
    }
  } finally {
    client.close();
  }
}
