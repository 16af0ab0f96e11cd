import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { countryCode, dnsLabel } from './fields';
import { s, type Infer } from './schema';
import type { Condition } from './workload';

export const SiteSpecSchema = s.object({
  country: countryCode(),
  kubeconfigSecretRef: s.optional(
    s
      .object({
        namespace: dnsLabel('namespace name'),
        name: s.string({ maxLength: 253, minLength: 1 }),
        key: s.string({ maxLength: 253, minLength: 1 }),
      })
      .describe("Where the kubeconfig of this site's cluster is; absent: the cluster Kentaur runs in."),
  ),
  pue: s.optional(
    s.number({ minimum: 1, maximum: 3 }).describe('Power usage effectiveness: facility energy / IT energy.'),
  ),
  gridCarbonGramsPerKWh: s.optional(s.number({ minimum: 0, maximum: 2000 })),
  heatReuseFraction: s.optional(s.number({ minimum: 0, maximum: 1 })),
  pricePerKWhEUR: s.optional(s.number({ minimum: 0, maximum: 100 })),
});

export type SiteSpec = Infer<typeof SiteSpecSchema>;

export interface Site {
  apiVersion: 'kentaur.io/v1alpha1';
  kind: 'Site';
  metadata: ObjectMeta;
  spec: SiteSpec;
  status?: {
    reachable?: boolean;
    observedGeneration?: number;
    conditions?: Condition[];
  };
}

/**
 * Whether the controller last reached the site's cluster: `status.reachable`, else its `Reachable`
 * condition; undefined when it has said neither (a Site just created, or no controller running).
 */
export function siteReachable(site: Site | undefined): boolean | undefined {
  if (typeof site?.status?.reachable === 'boolean') return site.status.reachable;
  const c = site?.status?.conditions?.find((x) => x.type === 'Reachable');
  return c?.status === 'True' ? true : c?.status === 'False' ? false : undefined;
}
