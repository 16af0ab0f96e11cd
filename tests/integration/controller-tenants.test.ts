// The tenant reconciler against the real API server: a Tenant's namespaces (one that exists, one that
// does not yet) get the namespace kit; the API server really enforces it (Pod Security "restricted",
// device pods refused by quota unless Kentaur admitted them); the Tenant's status follows its
// workloads; a deleted kit object comes back; and a pass with nothing to do writes nothing.
// The controller does not wire the reconciler in yet, so the test drives TenantReconcilerCore itself.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { LimitRange, Namespace, Pod, ResourceQuota } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { AcceleratorPool, Tenant, Workload } from '@kentaur/api';
// Relative imports until the controller's index exports these (the reconciler is not wired in yet).
import { CONTROLLER_CONFIG, controllerConfig } from '../../apps/controller/src/config';
import { InformerHub } from '../../apps/controller/src/kube/informer-hub';
import { KubeModule } from '../../apps/controller/src/kube/kube.module';
import { ControllerMetrics } from '../../apps/controller/src/metrics/controller-metrics';
import {
  ADMITTED_PRIORITY_CLASS,
  NetworkPolicies,
  PriorityClasses,
  TenantReconciler,
  TenantReconcilerCore,
  TENANTS_FIELD_MANAGER,
  VENDOR_QUOTA,
} from '../../apps/controller/src/tenants';
import {
  AcceleratorPools,
  KubeApiError,
  type KubeClient,
  LimitRanges,
  Namespaces,
  Pods,
  ResourceQuotas,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { VendorRegistry } from '@kentaur/vendors';
import { createTestNamespace, deleteTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { installCrds } from '../support/crds';

const suffix = randomBytes(3).toString('hex');
const tenantName = `tenants-test-${suffix}`;
const poolName = `tenants-test-npu-${suffix}`;
const writes = (c: KubeClient) =>
  ['POST', 'PUT', 'PATCH', 'DELETE'].reduce((n, verb) => n + (c.requestCounts.get(verb) ?? 0), 0);

/** A pod that Pod Security "restricted" admits, asking for one AMD GPU. */
const devicePod = (name: string, namespace: string, priorityClassName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: {
    ...(priorityClassName ? { priorityClassName } : {}),
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'c',
        image: 'registry.example/x:1',
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        resources: { limits: { 'amd.com/gpu': '1' } },
      },
    ],
  },
});

describe('controller: tenant namespace kit and status', () => {
  let client: KubeClient;
  /** The reconciler's own client, so its writes can be counted. */
  let reconcilerClient: KubeClient;
  let hub: InformerHub;
  let core: TenantReconcilerCore;
  let existing: string;
  /** A namespace an admin labelled Pod Security "baseline" before it became the tenant's. */
  let adminLabelled: string;
  const fresh = `tenants-new-${suffix}`;
  const warnings: string[] = [];

  beforeAll(async () => {
    client = testClient();
    reconcilerClient = testClient();
    await installCrds(client);
    existing = await createTestNamespace(client, 'tenants-old', { team: 'kept' });
    adminLabelled = await createTestNamespace(client, 'tenants-admin', {
      'pod-security.kubernetes.io/enforce': 'baseline',
    });
    const tenant: Tenant = {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name: tenantName },
      spec: {
        displayName: 'Tenant test',
        tier: 'sme',
        namespaces: [existing, fresh, adminLabelled],
        quota: { guaranteedCU: 10, limitCU: 40 },
        weight: 1,
      },
    };
    await client.create(Tenants, tenant);
    hub = new InformerHub(reconcilerClient, () => undefined);
    hub.start();
    await hub.waitForSync();
    core = new TenantReconcilerCore({
      client: reconcilerClient,
      informers: hub,
      resyncMs: 1000,
      log: { warn: (m) => warnings.push(m) },
    });
    core.setEnabled(true);
  });
  afterAll(async () => {
    await core?.stop();
    await hub?.stop();
    reconcilerClient?.close();
    await client.delete(Tenants, tenantName).catch(() => undefined);
    await client.delete(AcceleratorPools, poolName).catch(() => undefined);
    await deleteTestNamespace(client, existing);
    await deleteTestNamespace(client, fresh);
    await deleteTestNamespace(client, adminLabelled);
    client.close();
  });

  const get = <T>(type: Parameters<KubeClient['get']>[0], name: string, namespace?: string) =>
    client.get<T & { metadata?: object }>(type, name, namespace);
  const present = <T>(type: Parameters<KubeClient['get']>[0], name: string, namespace: string) =>
    waitFor(`${type.kind} ${namespace}/${name}`, () => get<T>(type, name, namespace).catch(() => undefined));

  it('labels both namespaces Pod Security "restricted", creating the one that did not exist', async () => {
    for (const name of [existing, fresh]) {
      const ns = await waitFor(`namespace ${name} labelled`, async () => {
        const n = await get<Namespace>(Namespaces, name).catch(() => undefined);
        return n?.metadata?.labels?.['kentaur.io/tenant'] === tenantName ? n : undefined;
      });
      expect(ns.metadata?.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      });
      const managers = (ns.metadata?.managedFields ?? []).map((m) => `${m.manager}:${m.operation}`);
      expect(managers).toContain(`${TENANTS_FIELD_MANAGER}:Apply`);
    }
    // Labels someone else set on a namespace that existed are kept.
    expect((await get<Namespace>(Namespaces, existing)).metadata?.labels?.team).toBe('kept');
  });

  it("keeps a Pod Security label an admin set to another value, and applies Kentaur's others", async () => {
    const ns = await waitFor('admin-labelled namespace gets the tenant label', async () => {
      const n = await get<Namespace>(Namespaces, adminLabelled);
      return n.metadata?.labels?.['kentaur.io/tenant'] === tenantName ? n : undefined;
    });
    expect(ns.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    await present<ResourceQuota>(ResourceQuotas, VENDOR_QUOTA, adminLabelled);
    expect(warnings).toContain(
      `namespace ${adminLabelled}: another manager set pod-security.kubernetes.io/enforce=baseline; keeping their values, Kentaur's other labels applied`,
    );
  });

  it('creates the quota, limit range and network policies, and the PriorityClass', async () => {
    for (const ns of [existing, fresh, adminLabelled]) {
      const quota = await present<ResourceQuota>(ResourceQuotas, VENDOR_QUOTA, ns);
      expect(quota.spec?.hard).toMatchObject({
        'requests.nvidia.com/gpu': '0',
        'requests.amd.com/gpu': '0',
        'requests.habana.ai/gaudi': '0',
        'requests.tenstorrent.com/chip': '0',
      });
      expect(quota.spec?.scopeSelector?.matchExpressions).toEqual([
        { scopeName: 'PriorityClass', operator: 'NotIn', values: [ADMITTED_PRIORITY_CLASS] },
      ]);
      const limits = await present<LimitRange>(LimitRanges, 'kentaur-defaults', ns);
      expect(limits.spec?.limits[0]).toMatchObject({ type: 'Container', default: { memory: '8Gi' } });
      for (const name of ['kentaur-default-deny', 'kentaur-allow-dns', 'kentaur-allow-same-workload']) {
        const policy = await present<NetworkPolicy>(NetworkPolicies, name, ns);
        expect(policy.metadata?.labels).toEqual({
          'app.kubernetes.io/managed-by': 'kentaur',
          'kentaur.io/tenant': tenantName,
        });
      }
    }
    const pc = await get<PriorityClass>(PriorityClasses, ADMITTED_PRIORITY_CLASS);
    expect(pc).toMatchObject({ value: 1000, preemptionPolicy: 'Never' });
    expect(pc.globalDefault ?? false).toBe(false);
  });

  it("adds a new pool's device resource to every quota", async () => {
    const pool: AcceleratorPool = {
      apiVersion: 'kentaur.io/v1alpha1',
      kind: 'AcceleratorPool',
      metadata: { name: poolName },
      spec: {
        site: 'dk-1',
        vendor: 'example',
        model: 'npu1',
        nodeSelector: { 'example.com/npu.model': 'npu1' },
        resourceName: 'example.com/npu',
      },
    };
    await client.create(AcceleratorPools, pool);
    for (const ns of [existing, fresh]) {
      await waitFor(`quota in ${ns} covers example.com/npu`, async () => {
        const q = await get<ResourceQuota>(ResourceQuotas, VENDOR_QUOTA, ns);
        return q.spec?.hard?.['requests.example.com/npu'] === '0' ? q : undefined;
      });
    }
  });

  it('refuses a pod that asks for devices directly, and admits a kentaur-admitted one', async () => {
    // Until the quota controller has counted usage, the API server refuses with "status unknown":
    // wait for the count so the refusal below is the quota's verdict, not that.
    await waitFor('quota usage counted', async () => {
      const q = await get<ResourceQuota>(ResourceQuotas, VENDOR_QUOTA, existing);
      return q.status?.used?.['requests.amd.com/gpu'] !== undefined ? q : undefined;
    });
    const refused = await client.create(Pods, devicePod('direct', existing)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).statusCode).toBe(403);
    expect((refused as KubeApiError).message).toMatch(/exceeded quota: kentaur-vendor-resources/);

    const admitted = await client.create(Pods, devicePod('admitted', existing, ADMITTED_PRIORITY_CLASS), {
      dryRun: true,
    });
    expect(admitted.spec?.priority).toBe(1000);
    // The LimitRange filled in what the container did not state.
    expect(admitted.spec?.containers[0]?.resources).toMatchObject({
      requests: { cpu: '1', memory: '2Gi', 'amd.com/gpu': '1' },
      limits: { cpu: '4', memory: '8Gi', 'amd.com/gpu': '1' },
    });

    // The quota is about devices: a pod without them is not touched by it.
    const plain = devicePod('no-devices', existing);
    plain.spec!.containers[0]!.resources = {};
    await expect(client.create(Pods, plain, { dryRun: true })).resolves.toBeDefined();
  });

  it("reports the tenant's usage from its workloads, keeping the ledger's monthSpentEUR", async () => {
    await client.patch(Tenants, tenantName, { status: { monthSpentEUR: 12.5 } }, { subresource: 'status' });
    const admit = async (name: string, ns: string, status: Workload['status']) => {
      await client.create(Workloads, makeWorkload(name, ns).obj());
      await client.patch(Workloads, name, { status }, { namespace: ns, subresource: 'status' });
    };
    const admission = (vendor: string, computeUnits: number) => ({
      site: 'dk-1',
      pool: `dk-1-${vendor}`,
      vendor,
      model: 'm',
      computeUnits,
      admittedAt: new Date().toISOString(),
    });
    await admit('train-amd', existing, { phase: 'Admitted', admission: admission('amd', 2.62) });
    await admit('train-nvidia', fresh, { phase: 'Running', admission: admission('nvidia', 1.98) });
    await admit('waits', fresh, { phase: 'Queued' });

    const t = await waitFor('tenant status', async () => {
      const x = await get<Tenant>(Tenants, tenantName);
      return x.status?.admitted === 2 && x.status?.queued === 1 ? x : undefined;
    });
    expect(t.status).toEqual({
      usageCU: 4.6,
      usageByVendor: { amd: 2.62, nvidia: 1.98 },
      admitted: 2,
      queued: 1,
      // sme tier weight 2: 4.6 / (10 × 1 × 2)
      dominantShare: 0.23,
      monthSpentEUR: 12.5,
      observedGeneration: t.metadata.generation,
    });
  });

  it('recreates the quota when it is deleted', async () => {
    const before = await get<ResourceQuota>(ResourceQuotas, VENDOR_QUOTA, fresh);
    await client.delete(ResourceQuotas, VENDOR_QUOTA, { namespace: fresh });
    const after = await waitFor('quota recreated', async () => {
      const q = await get<ResourceQuota>(ResourceQuotas, VENDOR_QUOTA, fresh).catch(() => undefined);
      return q && q.metadata?.uid !== before.metadata?.uid ? q : undefined;
    });
    expect(after.spec?.hard).toEqual(before.spec?.hard);
  });

  it('writes nothing when nothing changed (resyncs are reads from the caches)', async () => {
    const settled = async () => {
      const passes = core.passes;
      await waitFor('two more resync passes', () =>
        Promise.resolve(core.passes >= passes + 2 ? true : undefined),
      );
    };
    await settled();
    const before = writes(reconcilerClient);
    await settled();
    expect(writes(reconcilerClient)).toBe(before);
  });

  it('applies "restricted" once the admin drops their own value', async () => {
    await client.patch(Namespaces, adminLabelled, {
      metadata: { labels: { 'pod-security.kubernetes.io/enforce': null } },
    });
    await waitFor('enforce: restricted', async () => {
      const n = await get<Namespace>(Namespaces, adminLabelled);
      return n.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted' ? n : undefined;
    });
    // Nothing else went wrong along the way (the yield above is the only warning).
    expect(warnings).toHaveLength(1);
  });
});

describe('controller: the tenant reconciler as a Nest provider', () => {
  it('resolves beside the KubeModule, as the controller module will register it, and shuts down', async () => {
    const config = controllerConfig({
      kubeconfig: testKubeconfig(),
      healthPort: 0,
      identity: 'tenants-test',
    });
    @Global()
    @Module({
      providers: [
        { provide: CONTROLLER_CONFIG, useValue: config },
        { provide: ControllerMetrics, useValue: new ControllerMetrics() },
        { provide: VendorRegistry, useValue: new VendorRegistry() },
      ],
      exports: [CONTROLLER_CONFIG, ControllerMetrics, VendorRegistry],
    })
    class ConfigModule {}
    @Module({ imports: [ConfigModule, KubeModule], providers: [TenantReconciler] })
    class TenantsTestModule {}

    // abortOnError: false — a missing provider must fail this test, not exit the whole Jest run.
    const app = await NestFactory.createApplicationContext(TenantsTestModule, {
      logger: false,
      abortOnError: false,
    });
    const reconciler = app.get(TenantReconciler);
    expect(reconciler.core).toBeInstanceOf(TenantReconcilerCore);
    reconciler.setEnabled(false); // a follower: nothing starts, nothing is written
    await app.close();
  });
});
