// The gateway runs as its own ServiceAccount with deploy/rbac/gateway.yaml, and that is enough:
// a tenant submits through it (Workload and Pod dry runs, the create), an API key is kept in its
// namespace. And it is no more: `kubectl auth can-i` as the ServiceAccount says what it cannot do,
// and a real (not dry-run) Pod create by it is refused by the admission policy.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { KubeApiError, KubeClient, loadKubeconfig, Pods, Tenants, waitFor } from '@kentaur/k8s-runtime';
import { binaryPaths } from '@kentaur/sandbox';
import { createTestNamespace, deleteTestNamespace, testClient, testKubeconfig } from '../support/cluster';
import { installCrds } from '../support/crds';
import { restrictedPod } from '../support/pods';
import { aSpec, gql, startTestGateway, SUBMIT, type TestGateway } from '../support/gateway';
import { createTenant } from '../support/tenants';

const RBAC_FILE = resolve(__dirname, '../../deploy/rbac/gateway.yaml');

describe('gateway RBAC (deploy/rbac/gateway.yaml)', () => {
  let client: KubeClient;
  let system: string;
  let tenant: string;
  let account: string;
  let manifest: string;
  let saKubeconfig: string;
  let gw: TestGateway;
  const kubectl = (...args: string[]) =>
    execFileSync(binaryPaths().kubectl, ['--kubeconfig', testKubeconfig(), ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    system = await createTestNamespace(client, 'kentaur-system');
    tenant = await createTenant(client, { name: 'rbac', quota: { guaranteedCU: 10, limitCU: 20 } });
    // Cluster-scoped names get a suffix so that runs never collide; the file is applied as it is otherwise.
    account = `kentaur-gateway-${randomBytes(3).toString('hex')}`;
    manifest = join(mkdtempSync(join(tmpdir(), 'kentaur-rbac-')), 'gateway.yaml');
    writeFileSync(
      manifest,
      readFileSync(RBAC_FILE, 'utf8')
        .replaceAll('kentaur-system', system)
        .replaceAll('kentaur-gateway', account),
    );
    kubectl('apply', '-f', manifest);
    const token = await client.request<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${system}/serviceaccounts/${account}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    });
    const admin = loadKubeconfig(testKubeconfig());
    saKubeconfig = join(mkdtempSync(join(tmpdir(), 'kentaur-sa-')), 'kubeconfig');
    writeFileSync(
      saKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'sandbox',
            cluster: { server: admin.server, 'certificate-authority-data': admin.caData!.toString('base64') },
          },
        ],
        users: [{ name: account, user: { token: token.status.token } }],
        contexts: [{ name: 'gateway', context: { cluster: 'sandbox', user: account } }],
        'current-context': 'gateway',
      }),
    );
    gw = await startTestGateway({ kubeconfig: saKubeconfig, namespace: system });
  });

  afterAll(async () => {
    await gw?.stop();
    if (manifest) kubectl('delete', '--ignore-not-found', '-f', manifest);
    for (const ns of [system, tenant]) if (ns) await deleteTestNamespace(client, ns);
    if (tenant) await client.delete(Tenants, tenant).catch(() => undefined);
    client.close();
  });

  it('is enough to submit a workload (Workload and Pod dry runs, then the create) and to keep an API key', async () => {
    const token = await gw.token({ tenant });
    await waitFor('tenant cached', () => Promise.resolve(gw.gateway.state.tenant(tenant)));
    const r = await gql<{ submitWorkload: { created: boolean } }>(gw.gateway.url, token, SUBMIT, {
      input: { spec: aSpec() },
    });
    expect(r.errors).toBeUndefined();
    expect(r.data?.submitWorkload.created).toBe(true);
    const key = await gql<{ createApiKey: { key: string } }>(
      gw.gateway.url,
      token,
      'mutation { createApiKey(description: "ci") { key } }',
    );
    expect(key.errors).toBeUndefined();
    expect(key.data?.createApiKey.key).toMatch(/^kt_/);
  });

  it.each([
    ['create workloads', ['create', 'workloads.kentaur.io', '-n', 'default'], 'yes'],
    ['patch acceleratorpools', ['patch', 'acceleratorpools.kentaur.io'], 'yes'],
    ['read secrets of its own namespace', ['get', 'secrets', '-n', 'SYSTEM'], 'yes'],
    ['read secrets of another namespace', ['get', 'secrets', '-n', 'default'], 'no'],
    ['list secrets cluster-wide', ['list', 'secrets', '--all-namespaces'], 'no'],
    ['delete workloads', ['delete', 'workloads.kentaur.io', '-n', 'default'], 'no'],
    [
      'write Workload status',
      ['update', 'workloads.kentaur.io', '--subresource=status', '-n', 'default'],
      'no',
    ],
    ['create or change Tenants', ['create', 'tenants.kentaur.io'], 'no'],
    ['create Jobs', ['create', 'jobs.batch', '-n', 'default'], 'no'],
    ['delete pods', ['delete', 'pods', '-n', 'default'], 'no'],
    ['exec into pods', ['create', 'pods', '--subresource=exec', '-n', 'default'], 'no'],
    ['change nodes', ['patch', 'nodes'], 'no'],
    ['bind roles', ['create', 'rolebindings', '-n', 'default'], 'no'],
  ])('can %s: %s', (_what, args, expected) => {
    const withNs = args.map((a) => (a === 'SYSTEM' ? system : a));
    let answer: string;
    try {
      answer = kubectl('auth', 'can-i', ...withNs, `--as=system:serviceaccount:${system}:${account}`).trim();
    } catch (e) {
      // can-i exits 1 when the answer is no, printing "no".
      answer = String((e as { stdout?: string }).stdout ?? '').trim();
    }
    expect(answer).toBe(expected);
  });

  it('may create Pods only as a dry run: a real create is refused by the admission policy', async () => {
    const asGateway = new KubeClient({ credentials: loadKubeconfig(saKubeconfig) });
    const pod = restrictedPod('not-allowed', tenant);
    try {
      await expect(asGateway.create(Pods, pod, { dryRun: true })).resolves.toBeDefined();
      const refused = await asGateway.create(Pods, pod).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(KubeApiError);
      // A ValidatingAdmissionPolicy denial is 422 Invalid unless the validation names another reason.
      expect((refused as KubeApiError).statusCode).toBe(422);
      expect((refused as KubeApiError).message).toMatch(/may only dry-run pods/);
    } finally {
      asGateway.close();
    }
  });
});
