import type { Node } from 'kubernetes-types/core/v1';
import { ProfileAdapter } from '../base.adapter';
import { catalogVendorsOf } from '../catalog';
import { compact, deviceGroup } from '../discovery';
import { KENTAUR_MODEL_LABEL, labelsOf, allocatableCount } from '../node-signals';
import type { RuntimeProfile } from '../render-pod';
import type { DiscoveredDevices, DiscoverySource } from '../vendor-adapter';
import type { GenericModelConfig, GenericVendorConfig } from './generic-config';

export * from './generic-config';

interface GenericIdentity {
  model: string;
  source: DiscoverySource;
  nodeSelector: Record<string, string>;
  warnings: string[];
}

const format = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** A vendor described entirely by configuration (see GenericVendorConfig). */
export class GenericAdapter extends ProfileAdapter {
  readonly vendor: string;
  readonly resourceNames: readonly string[];
  private readonly config: GenericVendorConfig;

  constructor(options: { config: GenericVendorConfig }) {
    super();
    this.config = structuredClone(options.config);
    this.vendor = this.config.vendor;
    this.resourceNames = [this.config.resourceName];
  }

  /** The configured model with this name (case-insensitive). */
  model(name: string): GenericModelConfig | undefined {
    const found = this.config.models?.find((m) => m.name.toLowerCase() === name.toLowerCase());
    return found && structuredClone(found);
  }

  modelNames(): string[] {
    return (this.config.models ?? []).map((m) => m.name);
  }

  discoverAll(node: Node): DiscoveredDevices[] {
    const labels = labelsOf(node);
    const selected = Object.entries(this.config.nodeSelector).every(([k, v]) => labels[k] === v);
    if (!selected && allocatableCount(node, this.config.resourceName) === undefined) return [];
    const identity = this.identify(labels, selected);
    const group = deviceGroup(node, this.config.resourceName);
    const model = this.model(identity.model);
    const unlisted =
      !model && identity.model !== 'unknown' && this.config.models?.length
        ? [
            `model ${identity.model} is not among the models configured for ${this.vendor} (${this.modelNames().join(', ')}): add it there`,
          ]
        : [];
    return [
      compact<DiscoveredDevices>({
        vendor: this.vendor,
        model: model?.name ?? identity.model,
        resourceName: group.resourceName,
        devicesPerNode: group.devicesPerNode,
        memoryGB: model?.memoryGB,
        precisions: [...(model?.precisions ?? [])],
        nodeSelector: identity.nodeSelector,
        source: identity.source,
        warnings: [...identity.warnings, ...unlisted, ...(group.warnings ?? [])],
      }),
    ];
  }

  private identify(labels: Record<string, string>, selected: boolean): GenericIdentity {
    const { modelLabel, defaultModel, nodeSelector, resourceName } = this.config;
    const base = selected ? { ...nodeSelector } : {};
    const warnings = selected
      ? []
      : [
          `the node has allocatable ${resourceName} but not the labels that identify ${this.vendor} nodes (${format(nodeSelector)}): label it, or fix nodeSelector in the ${this.vendor} vendor configuration`,
        ];
    const named = modelLabel ? labels[modelLabel] : undefined;
    if (modelLabel && named) {
      return {
        model: named,
        source: 'feature-labels',
        nodeSelector: { ...base, [modelLabel]: named },
        warnings,
      };
    }
    const kentaur = labels[KENTAUR_MODEL_LABEL];
    if (kentaur && (this.model(kentaur) || !catalogVendorsOf(kentaur).length)) {
      return {
        model: kentaur,
        source: 'kentaur-label',
        nodeSelector: { ...base, [KENTAUR_MODEL_LABEL]: kentaur },
        warnings,
      };
    }
    const source: DiscoverySource = selected ? 'feature-labels' : 'allocatable';
    if (defaultModel) return { model: defaultModel, source, nodeSelector: base, warnings };
    const how = modelLabel ? `${modelLabel} or ${KENTAUR_MODEL_LABEL}` : KENTAUR_MODEL_LABEL;
    const fix = `label the nodes with ${how}=<model>, or set defaultModel in the ${this.vendor} vendor configuration`;
    return { model: 'unknown', source, nodeSelector: base, warnings: [...warnings, `model unknown: ${fix}`] };
  }

  profile(): RuntimeProfile {
    const c = this.config;
    return compact<RuntimeProfile>({
      vendor: c.vendor,
      taintKey: c.taintKey ?? c.resourceName,
      runtimeClassName: c.runtimeClassName,
      torchDevice: c.torchDevice,
      distBackend: c.distBackend,
      visibleDevicesEnv: c.visibleDevicesEnv,
      env: c.env && { ...c.env },
      supplementalGroups: c.supplementalGroups && [...c.supplementalGroups],
      deviceClassName: c.deviceClassName,
    });
  }
}
