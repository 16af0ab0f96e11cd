import type {
  Container,
  EnvVar,
  PodResourceClaim,
  PodSpec,
  PodTemplateSpec,
  ResourceRequirements,
  Volume,
} from 'kubernetes-types/core/v1';
import { RESERVED_ENV, type VendorName } from '@kentaur/api';
import { formatBytes, parseMemoryBytes } from './quantity';
import type { RenderInput, ResourceClaimTemplate } from './vendor-adapter';

/** What differs between vendors when rendering a replica's pod; everything else is shared. */
export interface RuntimeProfile {
  vendor: VendorName;
  /** Key of the taint on the vendor's nodes (tolerated with operator Exists, effect NoSchedule). */
  taintKey: string;
  /** RuntimeClass the vendor's container runtime is registered as, when pods need it. */
  runtimeClassName?: string;
  /** PyTorch device string (cuda, xpu, hpu) or the framework's own (ttnn). */
  torchDevice?: string;
  /** torch.distributed backend. */
  distBackend?: string;
  /** The variable the device plugin or runtime fills with the allocated devices; never set here. */
  visibleDevicesEnv?: string;
  /** Fixed env the vendor's runtime needs. */
  env?: Record<string, string>;
  /** Groups that own the device nodes on the host (host-specific GIDs: make them configurable). */
  supplementalGroups?: number[];
  /** DRA DeviceClass for pools with allocation: dra. */
  deviceClassName?: string;
  /** CEL selectors for the DRA request, from the workload's needs. */
  draSelectors?(input: RenderInput): string[];
}

/**
 * Groups owning the device nodes (AMD /dev/kfd, AMD and Intel /dev/dri/renderD*) that a non-root
 * container must be in: video (44 on Debian/Ubuntu) and render (109 on a stock Ubuntu 22.04 host).
 * The render GID is allocated per host by the distribution, so operators set the real ones through
 * the adapter options (Helm values).
 */
export const DEFAULT_DEVICE_GROUPS: readonly number[] = [44, 109];

export const CLAIM_NAME = 'accelerators';
export const MASTER_PORT = '29500';
const SHM_DEFAULT = '16Gi';
const COMPLETION_INDEX = "metadata.annotations['batch.kubernetes.io/job-completion-index']";
const RUN_AS = 1000;

export function claimTemplateName(workload: string): string {
  return `${workload}-${CLAIM_NAME}`;
}

/** Kentaur's own pod labels: who the pod belongs to and where it runs. */
export function kentaurLabels(input: RenderInput): Record<string, string> {
  return {
    'kentaur.io/workload': input.workload.name,
    'kentaur.io/pool': input.pool.name,
    'kentaur.io/vendor': input.pool.vendor,
  };
}

/** The image for the vendor; throws when the workload has none for it. */
export function imageFor(input: RenderInput): string {
  const { template } = input.workload.spec;
  const vendor = input.pool.vendor;
  const image = template.images?.[vendor] ?? template.image;
  if (image) return image;
  const { namespace, name } = input.workload;
  throw new Error(
    `workload ${namespace}/${name} has no image for vendor ${vendor}: set spec.template.images.${vendor} (or spec.template.image for all vendors)`,
  );
}

/** Names a tenant may not set: device selection (RESERVED_ENV, *_VISIBLE_DEVICES). */
function isDeviceSelection(name: string): boolean {
  return (RESERVED_ENV as readonly string[]).includes(name) || name.endsWith('_VISIBLE_DEVICES');
}

function value(name: string, v: string | number): EnvVar {
  return { name, value: String(v) };
}

function kentaurEnv(profile: RuntimeProfile, input: RenderInput): EnvVar[] {
  const optional: [string, string | undefined][] = [
    ['KENTAUR_VISIBLE_DEVICES_ENV', profile.visibleDevicesEnv],
    ['KENTAUR_TORCH_DEVICE', profile.torchDevice],
    ['KENTAUR_DIST_BACKEND', profile.distBackend],
  ];
  return [
    value('KENTAUR_VENDOR', input.pool.vendor),
    value('KENTAUR_MODEL', input.pool.model),
    value('KENTAUR_DEVICES', input.workload.spec.accelerators.count),
    ...optional.filter((e): e is [string, string] => e[1] !== undefined).map(([n, v]) => value(n, v)),
    ...Object.entries(profile.env ?? {}).map(([n, v]) => value(n, v)),
  ];
}

/** torchrun-style rendezvous for gangs: replica 0 of the indexed Job is the master. */
function rendezvousEnv(input: RenderInput): EnvVar[] {
  const replicas = input.workload.spec.replicas ?? 1;
  if (replicas <= 1) return [];
  const { name, namespace } = input.workload;
  return [
    value('KENTAUR_REPLICAS', replicas),
    value('MASTER_ADDR', `${input.objectName}-0.${name}.${namespace}.svc`),
    value('MASTER_PORT', MASTER_PORT),
    { name: 'NODE_RANK', valueFrom: { fieldRef: { fieldPath: COMPLETION_INDEX } } },
  ];
}

/**
 * Kentaur's variables, then the tenant's. Device-selection variables are left to the device plugin
 * or CDI (they are filled from what was allocated); a tenant entry for them, or for a name Kentaur
 * sets, is dropped so the placement cannot be overridden.
 */
export function renderEnv(profile: RuntimeProfile, input: RenderInput): EnvVar[] {
  const ours = [...kentaurEnv(profile, input), ...rendezvousEnv(input)].filter(
    (e) => !isDeviceSelection(e.name),
  );
  const taken = new Set(ours.map((e) => e.name));
  const tenant = (input.workload.spec.template.env ?? [])
    .filter((e) => !isDeviceSelection(e.name) && !taken.has(e.name))
    .map((e) => ({ name: e.name, value: e.value ?? '' }));
  return [...ours, ...tenant];
}

function cpuMemory(input: RenderInput): Record<string, string> {
  const { cpu, memory } = input.workload.spec.template;
  return {
    ...(cpu !== undefined ? { cpu: String(cpu) } : {}),
    ...(memory !== undefined ? { memory: String(memory) } : {}),
  };
}

export function renderResources(input: RenderInput): ResourceRequirements {
  const base = cpuMemory(input);
  const requests = Object.keys(base).length ? { requests: base } : {};
  if (input.pool.allocation === 'dra') {
    return {
      ...(Object.keys(base).length ? { limits: { ...base } } : {}),
      ...requests,
      claims: [{ name: CLAIM_NAME }],
    };
  }
  const limits = { [input.pool.resourceName]: String(input.workload.spec.accelerators.count), ...base };
  return { limits, ...requests };
}

/** Half of the pod's memory when it parses as a quantity, else 16Gi (it counts against the limit). */
export function shmSize(memory: string | number | undefined): string {
  const bytes = parseMemoryBytes(memory);
  return bytes === undefined ? SHM_DEFAULT : formatBytes(bytes / 2);
}

function shmVolume(input: RenderInput): Volume {
  return {
    name: 'dshm',
    emptyDir: { medium: 'Memory', sizeLimit: shmSize(input.workload.spec.template.memory) },
  };
}

function mainContainer(profile: RuntimeProfile, input: RenderInput): Container {
  const { command, args } = input.workload.spec.template;
  return {
    name: 'main',
    image: imageFor(input),
    ...(command ? { command: [...command] } : {}),
    ...(args ? { args: [...args] } : {}),
    env: renderEnv(profile, input),
    resources: renderResources(input),
    volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }],
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/**
 * Gangs run as an Indexed Job named `input.objectName` with a headless Service named after the
 * workload (the caller's contract); the subdomain gives replica i the DNS name
 * `<objectName>-<i>.<workload>`, which MASTER_ADDR names for i = 0.
 */
function gangDns(input: RenderInput): Pick<PodSpec, 'subdomain'> {
  return (input.workload.spec.replicas ?? 1) > 1 ? { subdomain: input.workload.name } : {};
}

// kubernetes-types 1.30 still has the alpha `source` shape; resource.k8s.io/v1 pods name the template directly.
type PodResourceClaimV1 = PodResourceClaim & { resourceClaimTemplateName: string };

function podSpec(profile: RuntimeProfile, input: RenderInput): PodSpec {
  const groups = profile.supplementalGroups?.length
    ? { supplementalGroups: [...profile.supplementalGroups] }
    : {};
  const claims: PodResourceClaimV1[] = [
    { name: CLAIM_NAME, resourceClaimTemplateName: claimTemplateName(input.workload.name) },
  ];
  return {
    restartPolicy: input.workload.spec.kind === 'Batch' ? 'Never' : 'Always',
    ...gangDns(input),
    ...(profile.runtimeClassName ? { runtimeClassName: profile.runtimeClassName } : {}),
    nodeSelector: { ...input.pool.nodeSelector },
    tolerations: [{ key: profile.taintKey, operator: 'Exists', effect: 'NoSchedule' }],
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS,
      runAsGroup: RUN_AS,
      fsGroup: RUN_AS,
      ...groups,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...(input.pool.allocation === 'dra' ? { resourceClaims: claims } : {}),
    containers: [mainContainer(profile, input)],
    volumes: [shmVolume(input)],
  };
}

/** The pod template of one replica (see VendorAdapter.renderPodTemplate). Pure and deterministic. */
export function renderPod(profile: RuntimeProfile, input: RenderInput): PodTemplateSpec {
  const annotations =
    input.annotations && Object.keys(input.annotations).length ? { ...input.annotations } : undefined;
  return {
    metadata: {
      labels: { ...input.labels, ...kentaurLabels(input) },
      ...(annotations ? { annotations } : {}),
    },
    spec: podSpec(profile, input),
  };
}

/** One claim of `count` devices of the vendor's DeviceClass per pod. */
export function renderClaimTemplate(profile: RuntimeProfile, input: RenderInput): ResourceClaimTemplate {
  if (!profile.deviceClassName) {
    throw new Error(
      `vendor ${profile.vendor} has no DRA DeviceClass configured: set deviceClassName for it, or use allocation: devicePlugin for pool ${input.pool.name}`,
    );
  }
  const selectors = profile.draSelectors?.(input) ?? [];
  return {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaimTemplate',
    metadata: {
      name: claimTemplateName(input.workload.name),
      namespace: input.workload.namespace,
      labels: kentaurLabels(input),
    },
    spec: {
      spec: {
        devices: {
          requests: [
            {
              name: CLAIM_NAME,
              exactly: {
                deviceClassName: profile.deviceClassName,
                allocationMode: 'ExactCount',
                count: input.workload.spec.accelerators.count,
                ...(selectors.length
                  ? { selectors: selectors.map((expression) => ({ cel: { expression } })) }
                  : {}),
              },
            },
          ],
        },
      },
    },
  };
}
