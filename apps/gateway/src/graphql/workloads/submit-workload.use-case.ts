import { createHash, randomBytes } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  ADMITTED_PRIORITY_CLASS,
  admissionObjectName,
  imageProblem,
  registriesFor,
  TENANT_LABEL,
  WORKLOAD_LABEL,
  validateResource,
  type AcceleratorPool,
  type Tenant,
  type Workload,
} from '@kentaur/api';
import { isAlreadyExists, KubeApiError, Pods, Workloads } from '@kentaur/k8s-runtime';
import { poolPlacement, type VendorRegistry } from '@kentaur/vendors';
import type { TenantScope } from '../../access/tenant-scope';
import { badInput, GatewayError, type FieldProblem } from '../../errors';
import type { GatewayState } from '../../kube/gateway-state';
import type { SubmitWorkloadInput } from './workload.inputs';
import { specFromInput } from './workload.mapper';
import { inputProblems, toInputField } from './input-checks';

export const IDEMPOTENCY_LABEL = 'kentaur.io/idempotency-key';
export const REQUEST_HASH_ANNOTATION = 'kentaur.io/request-hash';
export const SUBMITTED_BY_ANNOTATION = 'kentaur.io/submitted-by';
const FIELD_MANAGER = 'kentaur-gateway';

export interface SubmitResult {
  workload: Workload;
  created: boolean;
}

/**
 * submitWorkload: validate with the CRD's rules, dry-run the Workload and a pod rendered from it on
 * the API server (admission, Pod Security, quota), then create it in the tenant's namespace.
 * Idempotent: the name comes from the idempotency key, so a retry meets the first object
 * (409 AlreadyExists) and gets it back instead of a duplicate, on any gateway replica.
 */
export class SubmitWorkload {
  constructor(
    private readonly o: {
      state: GatewayState;
      registry: VendorRegistry;
      sandbox: boolean;
      /** The installation's image allow-list (GatewayConfig.imageRegistries); absent: any image. */
      imageRegistries?: readonly string[];
    },
  ) {}

  async execute(scope: TenantScope, input: SubmitWorkloadInput): Promise<SubmitResult> {
    const tenant = scope.tenant().metadata.name!;
    const namespace = scope.submitNamespace();
    const obj = this.workloadObject({ input, tenant, namespace, subject: scope.principal.subject });
    const problems = [
      ...inputProblems(input, { sandbox: this.o.sandbox, knownVendors: this.knownVendors() }),
      ...validateResource('Workload', obj, { vendors: this.o.registry.vendors() }).map((e) => ({
        field: toInputField(e.field),
        message: e.message,
      })),
      ...this.imageProblems(scope.tenant(), input),
    ];
    if (problems.length) throw badInput(problems);
    const replay = this.replayOf(obj);
    if (replay) return replay;
    await this.dryRun(obj);
    try {
      const created = await this.o.state.client.create<Workload>(Workloads, obj, {
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
      });
      return { workload: created, created: true };
    } catch (e) {
      if (!isAlreadyExists(e)) throw kubeInputError(e);
      const existing = await this.o.state.client.get<Workload>(Workloads, obj.metadata.name!, namespace);
      const result = this.sameRequest(existing, obj);
      if (result) return result;
      throw nameTaken(obj, input);
    }
  }

  /**
   * Images outside the allow-list in force (the tenant's, else the installation's), at their input
   * fields. The controller refuses to admit them anyway; this says so before anything is created.
   */
  private imageProblems(tenant: Tenant, input: SubmitWorkloadInput): FieldProblem[] {
    const allowed = registriesFor(tenant.spec.imageRegistries, this.o.imageRegistries);
    const list = tenant.spec.imageRegistries
      ? `tenant ${tenant.metadata.name}'s image allow-list`
      : "the installation's image allow-list";
    const { image, images } = input.spec.template;
    const candidates: [string, string | undefined][] = [
      ['input.spec.template.image', image ?? undefined],
      ...(images ?? []).map((e, i): [string, string] => [`input.spec.template.images[${i}].image`, e.image]),
    ];
    return candidates.flatMap(([field, ref]) => {
      const message = ref === undefined ? undefined : imageProblem(ref, allowed, list);
      return message ? [{ field, message }] : [];
    });
  }

  private knownVendors(): string[] {
    const inFleet = this.o.state.pools.list().map((p) => p.spec.vendor);
    return [...new Set([...this.o.registry.vendors(), ...inFleet])].sort();
  }

  private workloadObject(o: {
    input: SubmitWorkloadInput;
    tenant: string;
    namespace: string;
    subject: string;
  }): Workload {
    const { input, tenant, namespace } = o;
    const spec = specFromInput(input.spec);
    const key = input.idempotencyKey;
    const keyHash = key === undefined ? undefined : sha256(`${tenant}\u0000${key}`).slice(0, 40);
    const name = input.name ?? `w-${keyHash?.slice(0, 12) ?? randomBytes(6).toString('hex')}`;
    const annotations: Record<string, string> = {
      [SUBMITTED_BY_ANNOTATION]: o.subject,
      [REQUEST_HASH_ANNOTATION]: sha256(JSON.stringify({ spec, sandbox: input.sandbox ?? null })).slice(
        0,
        40,
      ),
    };
    if (input.sandbox) {
      annotations['sandbox.kentaur.io/run-for'] = input.sandbox.runFor;
      if (input.sandbox.exitCode)
        annotations['sandbox.kentaur.io/exit-code'] = String(input.sandbox.exitCode);
    }
    return {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Workload',
      metadata: {
        name,
        namespace,
        labels: { [TENANT_LABEL]: tenant, ...(keyHash ? { [IDEMPOTENCY_LABEL]: keyHash } : {}) },
        annotations,
      },
      spec,
    };
  }

  /** A retry whose first attempt is already in the cache: answered without touching the API server. */
  private replayOf(obj: Workload): SubmitResult | undefined {
    if (!obj.metadata.labels?.[IDEMPOTENCY_LABEL]) return undefined;
    const cached = this.o.state.workloads.get(`${obj.metadata.namespace}/${obj.metadata.name}`);
    return cached && this.sameRequest(cached, obj);
  }

  /** The existing object answers this request when both carry the same idempotency key. */
  private sameRequest(existing: Workload, obj: Workload): SubmitResult | undefined {
    const key = obj.metadata.labels?.[IDEMPOTENCY_LABEL];
    if (!key || existing.metadata.labels?.[IDEMPOTENCY_LABEL] !== key) return undefined;
    const hash = REQUEST_HASH_ANNOTATION;
    if (existing.metadata.annotations?.[hash] !== obj.metadata.annotations?.[hash])
      throw new GatewayError(
        'CONFLICT',
        'input.idempotencyKey: this key was already used for a different workload; use a new key for a new submission',
        { field: 'input.idempotencyKey' },
      );
    return { workload: existing, created: false };
  }

  /**
   * The API server's verdict without side effects: the Workload (CRD schema and CEL rules, strict
   * fields), and one pod per vendor it could run on (Pod Security "restricted", LimitRange, quota)
   * rendered by that vendor's adapter for a pool of the fleet. The requests go at once: one after
   * another, a submission on a four-vendor fleet waited for five of them before its create (21
   * against 34 submissions a second from one connection, docs/benchmarks.md). The refusal reported
   * is the first in that order; the pods' refusals are not read when the Workload's name is taken.
   */
  private async dryRun(obj: Workload): Promise<void> {
    const client = this.o.state.client;
    const options = { dryRun: true, fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' as const };
    const rendered = this.renderedPods(obj);
    const [workload, ...pods] = await Promise.allSettled([
      client.create(Workloads, obj, options),
      ...rendered.map((pod) => client.create(Pods, pod, options)),
    ]);
    if (workload.status === 'rejected') {
      // A taken name is answered by the create that follows (an idempotent replay, or CONFLICT).
      if (isAlreadyExists(workload.reason)) return;
      throw kubeInputError(workload.reason);
    }
    const refused = pods.find((p) => p.status === 'rejected');
    if (refused) throw kubeInputError(refused.reason);
  }

  private renderedPods(w: Workload): Pod[] {
    const byVendor = new Map<string, AcceleratorPool>();
    for (const pool of this.o.state.pools.list()) {
      const vendor = pool.spec.vendor;
      const allowed = w.spec.accelerators.vendors?.includes(vendor) ?? true;
      const image = w.spec.template.image ?? w.spec.template.images?.[vendor];
      if (allowed && image && pool.spec.resourceName && !byVendor.has(vendor)) byVendor.set(vendor, pool);
    }
    return [...byVendor.values()].flatMap((pool) => {
      const adapter = this.o.registry.adapter(pool.spec.vendor);
      const labels = { [WORKLOAD_LABEL]: w.metadata.name! };
      const template = adapter.renderPodTemplate({
        workload: { name: w.metadata.name!, namespace: w.metadata.namespace!, spec: w.spec },
        objectName: admissionObjectName(w.metadata.name!, 1),
        pool: poolPlacement(pool),
        annotations: {},
        labels,
      });
      const spec = { ...template.spec!, priorityClassName: ADMITTED_PRIORITY_CLASS };
      const name = `${w.metadata.name}-dry-run-${pool.spec.vendor}`.slice(0, 63).replace(/-+$/, '');
      return [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: w.metadata.namespace, labels }, spec },
      ];
    });
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function nameTaken(obj: Workload, input: SubmitWorkloadInput): GatewayError {
  const field = input.name ? 'input.name' : 'input.idempotencyKey';
  return new GatewayError(
    'CONFLICT',
    `${field}: a workload named ${obj.metadata.name} already exists; choose another name`,
    { field },
  );
}

/** An API server refusal of the tenant's input, as field problems; anything else is not the client's fault. */
function kubeInputError(e: unknown): Error {
  if (!isInputRefusal(e)) return e as Error;
  const problems: FieldProblem[] = e.causes.length
    ? e.causes.map((c) => ({
        field: toInputField(c.field ?? 'spec'),
        message: c.message ?? c.reason ?? 'invalid',
      }))
    : [{ field: 'input.spec', message: e.status.message ?? 'refused by the API server' }];
  return badInput(problems);
}

/**
 * 400/422: schema or validation; 403 from admission (Pod Security, quota, LimitRange). A 403 of
 * RBAC ("User ... cannot ...") is the gateway's own misconfiguration, not the tenant's input.
 */
function isInputRefusal(e: unknown): e is KubeApiError {
  if (!(e instanceof KubeApiError)) return false;
  if (e.statusCode === 400 || e.statusCode === 422) return true;
  return e.statusCode === 403 && !/\bcannot \w+ resource\b/.test(e.status.message ?? '');
}
