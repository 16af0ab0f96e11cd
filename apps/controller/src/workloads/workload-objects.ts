import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod, PodTemplateSpec, Service } from 'kubernetes-types/core/v1';
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1';
import {
  admissionObjectName,
  parseDuration,
  type AcceleratorPool,
  type Workload,
  type WorkloadPhase,
} from '@kentaur/api';
import { MASTER_PORT, poolPlacement, type VendorRegistry } from '@kentaur/vendors';
import {
  ADMITTED_PRIORITY_CLASS,
  ATTEMPT_LABEL,
  POOL_LABEL,
  TENANT_LABEL,
  WORKLOAD_LABEL,
  workloadKeyOfObject,
} from '@kentaur/api';

export { ATTEMPT_LABEL, TENANT_LABEL, WORKLOAD_LABEL };
/** On objects in remote sites (which carry no owner reference): the uid of their Workload. */
export const WORKLOAD_UID_ANNOTATION = 'kentaur.io/workload-uid';
const SANDBOX_PREFIX = 'sandbox.kentaur.io/';
/** Port a Service-kind workload is expected to serve on (the template has no port field yet). */
export const SERVICE_PORT = 8000;

export interface DesiredObjects {
  job?: Job;
  deployment?: Deployment;
  services: Service[];
}

function ownerRef(w: Workload): OwnerReference {
  return {
    apiVersion: 'kentaur.io/v1alpha1',
    kind: 'Workload',
    name: w.metadata.name!,
    uid: w.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The name of the Job or Deployment of the workload's current admission (ADR 16). */
export function objectNameOf(w: Workload): string {
  return admissionObjectName(w.metadata.name!, attemptOf(w));
}

/**
 * Whether an object was made for another Workload of the same name (one deleted and created again):
 * its owner's uid, or in a remote site (no owner there) its annotated uid, is not this one's. Pure.
 */
export function madeForAnother(obj: { metadata?: ObjectMeta }, w: Workload): boolean {
  const uid =
    obj.metadata?.annotations?.[WORKLOAD_UID_ANNOTATION] ??
    obj.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
  return uid !== undefined && uid !== w.metadata.uid;
}

/**
 * Whether a Job or Deployment of the workload belongs to its current admission: made for this
 * Workload (not for an earlier one of the same name: owner or annotated uid), with this admission's
 * name, or (created before objects were named per admission) the workload's own name and this
 * admission's attempt label, so an upgrade does not restart running work. Pure.
 */
export function isCurrentObject(obj: { metadata?: ObjectMeta }, w: Workload): boolean {
  if (madeForAnother(obj, w)) return false;
  const name = obj.metadata?.name;
  if (name === objectNameOf(w)) return true;
  return name === w.metadata.name && obj.metadata?.labels?.[ATTEMPT_LABEL] === attemptOf(w);
}

/**
 * The Kubernetes objects of an admitted Workload, rendered by its vendor's adapter: an Indexed Job
 * (completions = parallelism = replicas, activeDeadlineSeconds from maxDuration, no retries: a
 * failed gang is reported, not silently re-run) for Batch, a Deployment for Service, each named
 * for this admission (`objectNameOf`); a headless Service for the gang's rendezvous when
 * replicas > 1, and a Service for Service workloads, each named after the workload.
 * All owned by the Workload, so deleting it removes them. Pure.
 */
export function desiredObjects(o: {
  workload: Workload;
  tenant: string;
  pool: AcceleratorPool;
  registry: VendorRegistry;
  sandbox: boolean;
  /**
   * The objects go to a remote site's cluster (ADR 13): no owner reference (the Workload is not in
   * that cluster; its garbage collector would delete them at once), the Workload's uid in an
   * annotation instead, and (fenced work) a Job's deadline no further away than the fence lease.
   */
  remote?: { fenceLeaseSeconds: number | undefined };
}): DesiredObjects {
  const { workload: w, pool } = o;
  const name = w.metadata.name!;
  const namespace = w.metadata.namespace!;
  const annotations = o.sandbox
    ? Object.fromEntries(
        Object.entries(w.metadata.annotations ?? {}).filter(([k]) => k.startsWith(SANDBOX_PREFIX)),
      )
    : {};
  const labels = { [WORKLOAD_LABEL]: name, [TENANT_LABEL]: o.tenant, [ATTEMPT_LABEL]: attemptOf(w) };
  const objectName = objectNameOf(w);
  const template: PodTemplateSpec = o.registry.adapter(pool.spec.vendor).renderPodTemplate({
    workload: { name, namespace, uid: w.metadata.uid, spec: w.spec },
    objectName,
    pool: poolPlacement(pool),
    annotations,
    labels,
  });
  const serviceMetadata = {
    name,
    namespace,
    labels: { ...labels, [POOL_LABEL]: pool.metadata.name! },
    ...(o.remote
      ? { annotations: { [WORKLOAD_UID_ANNOTATION]: w.metadata.uid! } }
      : { ownerReferences: [ownerRef(w)] }),
  };
  const metadata = { ...serviceMetadata, name: objectName };
  pinToPlan(template, w);
  // The tenant namespace kit's device quota exempts only pods of this class (see tenants/namespace-kit.ts).
  if (template.spec) template.spec.priorityClassName = ADMITTED_PRIORITY_CLASS;
  const replicas = w.spec.replicas ?? 1;
  const services: Service[] = [];
  if (replicas > 1 || w.spec.kind === 'Service') {
    const headless = w.spec.kind === 'Batch';
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: serviceMetadata,
      spec: {
        ...(headless ? { clusterIP: 'None', publishNotReadyAddresses: true } : {}),
        selector: { [WORKLOAD_LABEL]: name },
        ports: headless
          ? [{ name: 'rendezvous', port: Number(MASTER_PORT) }]
          : [{ name: 'http', port: SERVICE_PORT, targetPort: SERVICE_PORT }],
      },
    });
  }
  if (w.spec.kind === 'Service') {
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: { replicas, selector: { matchLabels: { [WORKLOAD_LABEL]: name } }, template },
    };
    return { deployment, services };
  }
  const seconds = w.spec.maxDuration ? parseDuration(w.spec.maxDuration) : undefined;
  const lease = o.remote?.fenceLeaseSeconds;
  const deadline = lease !== undefined ? fencedDeadline(seconds, 0, lease) : seconds;
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      completionMode: 'Indexed',
      completions: replicas,
      parallelism: replicas,
      backoffLimit: 0,
      ...(deadline ? { activeDeadlineSeconds: Math.ceil(deadline) } : {}),
      template,
    },
  };
  return { job, services };
}

/**
 * Steers the replicas to the nodes the scheduler planned (required node affinity on the hostname)
 * and keeps them on distinct nodes (anti-affinity on the workload label): the devices Kentaur
 * counted as taken are the ones the pods take, so admission and binding cannot disagree.
 */
function pinToPlan(template: PodTemplateSpec, w: Workload): void {
  const nodes = (w.status?.admission?.placement ?? []).map((p) => p.node);
  if (!template.spec || nodes.length === 0) return;
  template.spec.affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: 'kubernetes.io/hostname', operator: 'In', values: [...new Set(nodes)].sort() },
            ],
          },
        ],
      },
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: { [WORKLOAD_LABEL]: w.metadata.name! } },
          topologyKey: 'kubernetes.io/hostname',
        },
      ],
    },
  };
}

export function attemptOf(w: Workload): string {
  return String(w.status?.attempts ?? 0);
}

/**
 * The workloads (`namespace/name`) to look at again when some sites' connection or reachability
 * changed: those admitted to one of them, and those with a Job or Deployment in one of them (of an
 * admission that moved away while the site was gone). The rest are not concerned. Pure.
 */
export function affectedBySiteChange(o: {
  sites: ReadonlySet<string>;
  workloads: readonly Workload[];
  /** The Jobs and Deployments cached from each of those sites that is connected. */
  objects: readonly { metadata?: ObjectMeta }[];
}): Set<string> {
  const keys = new Set<string>();
  for (const w of o.workloads) {
    const site = w.status?.admission?.site;
    if (site !== undefined && o.sites.has(site)) keys.add(`${w.metadata.namespace}/${w.metadata.name}`);
  }
  for (const obj of o.objects) {
    const key = workloadKeyOfObject(obj);
    if (key) keys.add(key);
  }
  return keys;
}

/** The phase of an admitted workload from its objects and pods. Pure. */
export function observedPhase(o: {
  workload: Workload;
  job?: Job;
  deployment?: Deployment;
  pods: readonly Pod[];
}): WorkloadPhase {
  const replicas = o.workload.spec.replicas ?? 1;
  const conditions = o.job?.status?.conditions ?? [];
  // SuccessCriteriaMet (Kubernetes >= 1.31) comes first; Complete follows once the pods are cleaned up.
  if (
    conditions.some((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True')
  )
    return 'Succeeded';
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'Failed';
  // Started = running or already finished. Finished pods leave the controller's pod cache (it
  // keeps only pods that hold devices), so finished replicas are counted from the Job's status;
  // pods succeed a moment before the Job says Complete, and that moment is not "not started".
  // Only this attempt's pods: an earlier admission's may still run or terminate after its Job was
  // deleted (the garbage collector removes them later), and counting them once called a new
  // attempt Running while its own Job had no pod at all (`npm run bench -- e2e`, 2026-12-07).
  const attempt = attemptOf(o.workload);
  const pods = o.pods.filter((p) => p.metadata?.labels?.[ATTEMPT_LABEL] === attempt);
  const running = pods.filter((p) => p.status?.phase === 'Running').length;
  const succeeded = Math.max(
    o.job?.status?.succeeded ?? 0,
    pods.filter((p) => p.status?.phase === 'Succeeded').length,
  );
  const ready = o.deployment?.status?.readyReplicas ?? 0;
  return Math.max(running + succeeded, ready) >= replicas ? 'Running' : 'Admitted';
}

/**
 * A fenced Job's activeDeadlineSeconds (ADR 13): `leaseSeconds` beyond the seconds it has run, but
 * never beyond the workload's own maxDuration. Pure.
 */
export function fencedDeadline(
  maxSeconds: number | undefined,
  elapsedSeconds: number,
  leaseSeconds: number,
): number {
  const fence = Math.ceil(elapsedSeconds + leaseSeconds);
  return maxSeconds === undefined ? fence : Math.min(Math.ceil(maxSeconds), fence);
}

/**
 * The new deadline of a fenced Job when the time left on it has fallen below two thirds of the
 * lease (renewed a few times per lease, not on every event); undefined when no renewal is due. Pure.
 */
export function fenceRenewal(o: {
  job: Job;
  maxSeconds: number | undefined;
  nowMs: number;
  leaseSeconds: number;
}): number | undefined {
  const current = o.job.spec?.activeDeadlineSeconds;
  const started = Date.parse(o.job.status?.startTime ?? o.job.metadata?.creationTimestamp ?? '');
  if (current === undefined || !Number.isFinite(started)) return undefined;
  const elapsed = Math.max(0, (o.nowMs - started) / 1000);
  const next = fencedDeadline(o.maxSeconds, elapsed, o.leaseSeconds);
  if (next <= current) return undefined;
  return current - elapsed < (o.leaseSeconds * 2) / 3 ? next : undefined;
}

/**
 * Whether a failed Job was stopped by its fence (the site lost the controller for longer than the
 * lease) rather than by the workload's own maxDuration or its pods. Pure.
 */
export function stoppedByFence(job: Job | undefined, maxSeconds: number | undefined): boolean {
  const failed = job?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed?.reason !== 'DeadlineExceeded') return false;
  const deadline = job?.spec?.activeDeadlineSeconds;
  return deadline !== undefined && (maxSeconds === undefined || deadline < Math.ceil(maxSeconds));
}
