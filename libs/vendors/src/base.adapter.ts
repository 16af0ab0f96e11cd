import type { Node, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { VendorName } from '@kentaur/api';
import { renderClaimTemplate, renderPod, type RuntimeProfile } from './render-pod';
import type { DiscoveredDevices, RenderInput, ResourceClaimTemplate, VendorAdapter } from './vendor-adapter';

/**
 * What every adapter shares: `discover` is the first of `discoverAll`, and rendering is the common
 * renderer driven by the vendor's runtime profile for the pool. Subclasses are data plus discovery.
 */
export abstract class ProfileAdapter implements VendorAdapter {
  abstract readonly vendor: VendorName;
  abstract readonly resourceNames: readonly string[];

  abstract discoverAll(node: Node): DiscoveredDevices[];

  /** The runtime profile for the pool the workload was admitted to. */
  abstract profile(input: RenderInput): RuntimeProfile;

  discover(node: Node): DiscoveredDevices | undefined {
    return this.discoverAll(node)[0];
  }

  renderPodTemplate(input: RenderInput): PodTemplateSpec {
    return renderPod(this.checkedProfile(input), input);
  }

  renderResourceClaimTemplate(input: RenderInput): ResourceClaimTemplate {
    return renderClaimTemplate(this.checkedProfile(input), input);
  }

  private checkedProfile(input: RenderInput): RuntimeProfile {
    if (input.pool.vendor !== this.vendor) {
      throw new Error(
        `the ${this.vendor} adapter cannot render for pool ${input.pool.name} of vendor ${input.pool.vendor}`,
      );
    }
    return this.profile(input);
  }
}
