import type { Node } from 'kubernetes-types/core/v1';
import type { Precision, VendorName } from '@kentaur/api';
import { AmdAdapter } from './amd/amd.adapter';
import { findModel, type PoolClass } from './catalog';
import { GenericAdapter, type GenericVendorConfig } from './generic/generic.adapter';
import { IntelAdapter } from './intel/intel.adapter';
import { NvidiaAdapter } from './nvidia/nvidia.adapter';
import { TenstorrentAdapter } from './tenstorrent/tenstorrent.adapter';
import type { DiscoveredDevices, VendorAdapter } from './vendor-adapter';

/** What placement, quotas and energy estimates need to know about one model, from catalog or config. */
export interface ModelInfo {
  vendor: VendorName;
  model: string;
  memoryGB?: number;
  boardPowerW?: number;
  computeUnits?: number;
  precisions: Precision[];
  classes: PoolClass[];
  interconnect?: string;
  source: 'catalog' | 'config';
}

export interface VendorRegistryOptions {
  /** Vendors added by configuration (already validated with parseGenericVendorConfig). */
  generic?: readonly GenericVendorConfig[];
  /** The built-in adapters; default NVIDIA, AMD, Intel and Tenstorrent with their default options. */
  builtins?: readonly VendorAdapter[];
}

export function builtinAdapters(): VendorAdapter[] {
  return [new NvidiaAdapter(), new AmdAdapter(), new IntelAdapter(), new TenstorrentAdapter()];
}

/** Every vendor Kentaur can place on: the built-in adapters plus configured ones. Immutable. */
export class VendorRegistry {
  private readonly adapters: ReadonlyMap<VendorName, VendorAdapter>;
  private readonly generic: ReadonlyMap<VendorName, GenericAdapter>;

  constructor(options: VendorRegistryOptions = {}) {
    const generic = (options.generic ?? []).map((config) => new GenericAdapter({ config }));
    const adapters = new Map<VendorName, VendorAdapter>();
    for (const adapter of [...(options.builtins ?? builtinAdapters()), ...generic]) {
      if (adapters.has(adapter.vendor)) {
        throw new Error(
          `vendor ${adapter.vendor} is registered twice: give the configured vendor another name`,
        );
      }
      adapters.set(adapter.vendor, adapter);
    }
    this.adapters = adapters;
    this.generic = new Map(generic.map((a) => [a.vendor, a]));
    this.checkResourceOwners();
  }

  /** Two vendors advertising one resource would make discovery and rendering ambiguous. */
  private checkResourceOwners(): void {
    const owners = new Map<string, VendorName>();
    for (const adapter of this.adapters.values()) {
      for (const resource of adapter.resourceNames) {
        const owner = owners.get(resource);
        if (owner !== undefined && owner !== adapter.vendor) {
          throw new Error(
            `resource ${resource} is claimed by vendors ${owner} and ${adapter.vendor}: give one of them its own resourceName`,
          );
        }
        owners.set(resource, adapter.vendor);
      }
    }
  }

  /** The adapter of a vendor; throws naming the known vendors when there is none. */
  adapter(vendor: VendorName): VendorAdapter {
    const adapter = this.adapters.get(vendor);
    if (adapter) return adapter;
    throw new Error(
      `unknown vendor "${vendor}": known vendors are ${this.vendors().join(', ')}; add it as a generic vendor in the configuration to use it`,
    );
  }

  vendors(): VendorName[] {
    return [...this.adapters.keys()];
  }

  /** Every vendor's devices on the node (a node may carry more than one vendor's). */
  discover(node: Node): DiscoveredDevices[] {
    return [...this.adapters.values()].flatMap((adapter) => {
      if (adapter.discoverAll) return adapter.discoverAll(node);
      const one = adapter.discover(node);
      return one ? [one] : [];
    });
  }

  /** Catalog facts for built-in vendors, configured ones for generic vendors. */
  modelInfo(vendor: VendorName, model: string): ModelInfo | undefined {
    const configured = this.generic.get(vendor)?.model(model);
    if (configured) {
      return {
        vendor,
        model: configured.name,
        ...(configured.memoryGB !== undefined ? { memoryGB: configured.memoryGB } : {}),
        ...(configured.boardPowerW !== undefined ? { boardPowerW: configured.boardPowerW } : {}),
        ...(configured.computeUnits !== undefined ? { computeUnits: configured.computeUnits } : {}),
        precisions: [...(configured.precisions ?? [])],
        classes: [...(configured.classes ?? ['training', 'inference'])],
        source: 'config',
      };
    }
    const found = this.generic.has(vendor) ? undefined : findModel(vendor, model);
    if (!found) return undefined;
    const { memoryGB, boardPowerW, computeUnits, interconnect } = found;
    const optional = { memoryGB, boardPowerW, computeUnits, interconnect };
    const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
    return {
      vendor,
      model: found.model,
      ...defined,
      precisions: found.precisions,
      classes: found.classes,
      source: 'catalog',
    };
  }
}
