// The image registry allow-list (ADR 12) on the sandbox, end to end. The controller is the
// authority: Workloads created directly (as with kubectl) whose images match none of the prefixes
// in force are never admitted, and their status says which field and which prefixes; fixing the
// image admits them. A Tenant's own list replaces the installation's. The gateway refuses the same
// submissions early, as BAD_USER_INPUT naming the input field, and creates nothing.
import type { Job } from 'kubernetes-types/batch/v1';
import { WORKLOAD_LABEL, type Workload } from '@kentaur/api';
import type { RunningController } from '@kentaur/controller';
import { Jobs, type KubeClient, Tenants, waitFor, Workloads } from '@kentaur/k8s-runtime';
import { makeWorkload } from '@kentaur/testing';
import { createTestNamespace, deleteTestNamespacesAndWait, testClient } from '../support/cluster';
import { startTestController } from '../support/controller';
import { installCrds } from '../support/crds';
import { aSpec, gql, startTestGateway, SUBMIT, type TestGateway } from '../support/gateway';
import { createTenant } from '../support/tenants';

const GLOBAL = ['registry.example/acme/'];
const HUB_ONLY = ['docker.io/library/'];

describe('e2e: image registry allow-list', () => {
  let client: KubeClient;
  let controller: RunningController;
  let gw: TestGateway;
  const namespaces: string[] = [];
  const tenants: string[] = [];
  /** Uses the installation's list. */
  let acme: string;
  /** Has its own list (official Docker Hub images only), which replaces the installation's. */
  let hub: string;

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    const system = await createTestNamespace(client, 'kentaur-system');
    namespaces.push(system);
    controller = await startTestController({
      namespace: system,
      identity: 'e2e-images',
      imageRegistries: GLOBAL,
      // A cycle at least every second, so "several cycles later" is quick.
      schedulingResyncMs: 1000,
    });
    gw = await startTestGateway({ namespace: system, imageRegistries: GLOBAL });
    acme = await createTenant(client, { name: 'acme', quota: { guaranteedCU: 20, limitCU: 80 } });
    hub = await createTenant(client, { name: 'hub', quota: { guaranteedCU: 20, limitCU: 80 } });
    namespaces.push(acme, hub);
    tenants.push(acme, hub);
    await client.patch(Tenants, hub, { spec: { imageRegistries: HUB_ONLY } });
    await waitFor('tenants (and hub list) cached by the gateway', () =>
      Promise.resolve(
        gw.gateway.state.tenant(acme) && gw.gateway.state.tenant(hub)?.spec.imageRegistries
          ? true
          : undefined,
      ),
    );
  });

  afterAll(async () => {
    await gw?.stop();
    await controller?.stop();
    await deleteTestNamespacesAndWait(client, namespaces);
    for (const t of tenants) await client.delete(Tenants, t).catch(() => undefined);
    client.close();
  });

  const create = (ns: string, name: string, template: Workload['spec']['template']) => {
    const w = makeWorkload(name, ns).accelerators({ count: 1 }).maxDuration('1h').obj();
    w.spec.template = template;
    w.metadata.annotations = { 'sandbox.kentaur.io/run-for': '10m' };
    return client.create<Workload>(Workloads, w);
  };

  /** Waits for a status; on timeout the error shows the last status seen. */
  async function until(ns: string, name: string, ok: (w: Workload) => boolean, what: string) {
    let last: Workload | undefined;
    try {
      return await waitFor(
        `${ns}/${name}: ${what}`,
        async () => {
          last = await client.get<Workload>(Workloads, name, ns);
          return ok(last) ? last : undefined;
        },
        { timeoutMs: 60_000 },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: e });
    }
  }

  const admitted = (w: Workload) => Boolean(w.status?.admission);
  const refusal = (w: Workload) =>
    w.status?.conditions?.find((c) => c.type === 'Admitted' && c.reason === 'ImageRegistry');

  it('the controller admits allowed images and never admits the others, saying which field and which prefixes', async () => {
    await create(acme, 'allowed', { image: 'registry.example/acme/train:1.4' });
    await create(acme, 'look-alike', { image: 'registry.example/acme-evil/train:1' });
    await create(acme, 'per-vendor', {
      images: { amd: 'registry.example/acme/train:rocm', nvidia: 'evil.example/acme/train:cuda' },
    });
    await create(hub, 'official', { image: 'ubuntu:22.04' });
    await create(hub, 'not-hub', { image: 'registry.example/acme/train:1.4' });

    await until(acme, 'allowed', admitted, 'admitted');
    await until(hub, 'official', admitted, 'admitted (its own list allows docker.io/library/)');

    const lookAlike = await until(acme, 'look-alike', (w) => Boolean(refusal(w)), 'refused');
    expect(lookAlike.status).toMatchObject({ phase: 'Queued', queue: { position: 0 } });
    expect(refusal(lookAlike)!.message).toBe(
      `spec.template.image "registry.example/acme-evil/train:1" is not from a registry that the installation's image allow-list allows (registry.example/acme/): use an image under one of these prefixes, or ask the platform team to allow its registry`,
    );
    const perVendor = await until(acme, 'per-vendor', (w) => Boolean(refusal(w)), 'refused');
    expect(refusal(perVendor)!.message).toMatch(
      /^spec\.template\.images\.nvidia "evil\.example\/acme\/train:cuda" is not from a registry/,
    );
    const notHub = await until(hub, 'not-hub', (w) => Boolean(refusal(w)), 'refused');
    expect(refusal(notHub)!.message).toMatch(
      new RegExp(
        `tenant ${hub}'s image allow-list \\(spec\\.imageRegistries\\) allows \\(docker\\.io/library/\\)`,
      ),
    );

    // Several more cycles later, still not admitted, and nothing runs for them.
    const cycles = controller.scheduling.cycles;
    await waitFor('three more scheduling cycles', () =>
      Promise.resolve(controller.scheduling.cycles >= cycles + 3 ? true : undefined),
    );
    for (const [ns, name] of [
      [acme, 'look-alike'],
      [acme, 'per-vendor'],
      [hub, 'not-hub'],
    ] as const) {
      expect((await client.get<Workload>(Workloads, name, ns)).status?.admission).toBeUndefined();
      const jobs = await client.list<Job>(Jobs, {
        namespace: ns,
        labelSelector: `${WORKLOAD_LABEL}=${name}`,
      });
      expect(jobs.items).toEqual([]);
    }
  });

  it('admits a refused workload once its image is fixed (level-triggered)', async () => {
    await client.patch(
      Workloads,
      'look-alike',
      { spec: { template: { image: 'registry.example/acme/train:1.4' } } },
      { namespace: acme },
    );
    const w = await until(acme, 'look-alike', admitted, 'admitted after the fix');
    expect(w.status?.conditions?.find((c) => c.type === 'Admitted')?.status).toBe('True');
  });

  describe('the gateway refuses early', () => {
    const submit = async (
      tenant: string,
      template: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) =>
      gql<{ submitWorkload: { created: boolean } }>(gw.gateway.url, await gw.token({ tenant }), SUBMIT, {
        input: { spec: aSpec({ template, ...extra }) },
      });
    const countIn = async (ns: string) =>
      (await client.list<Workload>(Workloads, { namespace: ns })).items.length;

    it.each([
      {
        name: 'a look-alike registry',
        tenant: () => acme,
        template: { image: 'registry.example/acme-evil/x:1' },
        field: 'input.spec.template.image',
        message:
          /"registry\.example\/acme-evil\/x:1" is not from a registry that the installation's image allow-list allows \(registry\.example\/acme\/\)/,
      },
      {
        name: 'a Docker Hub short name (normalised)',
        tenant: () => acme,
        template: { image: 'ubuntu:22.04' },
        field: 'input.spec.template.image',
        message: /"ubuntu:22\.04" \(docker\.io\/library\/ubuntu:22\.04\) is not from a registry/,
      },
      {
        name: 'a per-vendor build from elsewhere',
        tenant: () => acme,
        template: {
          image: 'registry.example/acme/x:1',
          images: [{ vendor: 'nvidia', image: 'evil.example/x:cuda' }],
        },
        field: 'input.spec.template.images[0].image',
        message: /"evil\.example\/x:cuda" is not from a registry/,
      },
      {
        name: "an image outside the tenant's own list",
        tenant: () => hub,
        template: { image: 'registry.example/acme/x:1' },
        field: 'input.spec.template.image',
        message: /image allow-list allows \(docker\.io\/library\/\)/,
      },
      {
        name: 'a cpu of 1e400 cores',
        tenant: () => acme,
        template: { image: 'registry.example/acme/x:1', cpu: '1e400' },
        field: 'input.spec.template.cpu',
        message: /at most 1024/,
      },
    ])(
      '$name: BAD_USER_INPUT naming the field, nothing created',
      async ({ tenant, template, field, message }) => {
        const ns = tenant();
        const before = await countIn(ns);
        const r = await submit(ns, template);
        expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
        expect(r.errors?.[0]?.message).toMatch(message);
        expect(await countIn(ns)).toBe(before);
      },
    );

    it('accepts what the list in force allows', async () => {
      const official = await submit(hub, { image: 'python:3.12' });
      expect(official.errors).toBeUndefined();
      expect(official.data?.submitWorkload.created).toBe(true);
      const own = await submit(acme, { image: 'registry.example/acme/team/x:2' });
      expect(own.errors).toBeUndefined();
    });
  });
});
