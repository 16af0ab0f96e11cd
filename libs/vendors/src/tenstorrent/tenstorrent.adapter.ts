import type { Node } from 'kubernetes-types/core/v1';
import { ProfileAdapter } from '../base.adapter';
import { findModel } from '../catalog';
import { deviceGroup, discoverWith, type VendorSignals } from '../discovery';
import { attributeEquals } from '../dra-selectors';
import { allocatableMatching, pciLabelKeys, type PciSignature } from '../node-signals';
import type { RuntimeProfile } from '../render-pod';
import type { DiscoveredDevices, RenderInput } from '../vendor-adapter';

/**
 * The DRA driver's DeviceClass maps this extended resource onto DRA (accelerator-vendors.md §1.5);
 * there is no official device plugin.
 */
const CHIP = 'tenstorrent.com/chip';
const DOMAIN = 'tenstorrent.com';

/** Wormhole and Blackhole boards are class 1200 (processing accelerators). */
export const TENSTORRENT_PCI: PciSignature = { vendorId: '1e52', classes: ['1200'], vendorOnly: true };

// No feature discovery publishes the board, so the model comes from the Kentaur label (or is unknown).
const signals: VendorSignals = {
  vendor: 'tenstorrent',
  featureIdentity: () => undefined,
  presenceLabels: pciLabelKeys(TENSTORRENT_PCI),
  resources: (node) => allocatableMatching(node, /^tenstorrent\.com\/chip$/),
};

function draSelectors(input: RenderInput): string[] {
  // Catalog names are the driver's boardName values (n300, p150).
  const model = findModel('tenstorrent', input.pool.model);
  return model ? [attributeEquals(DOMAIN, 'boardName', model.model)] : [];
}

/** Tenstorrent Wormhole / Blackhole boards through tt-dra-driver (DRA or its extended resource). */
export class TenstorrentAdapter extends ProfileAdapter {
  readonly vendor = 'tenstorrent';
  readonly resourceNames: readonly string[] = [CHIP];

  discoverAll(node: Node): DiscoveredDevices[] {
    return discoverWith(node, signals, (n) => [deviceGroup(n, CHIP)]);
  }

  profile(): RuntimeProfile {
    return {
      vendor: 'tenstorrent',
      taintKey: CHIP,
      // TT-NN is Tenstorrent's own stack, not a torch device; no torch.distributed backend is known.
      torchDevice: 'ttnn',
      deviceClassName: DOMAIN,
      draSelectors,
    };
  }
}
