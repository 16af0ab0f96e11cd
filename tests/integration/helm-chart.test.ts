// The Helm chart (helm/kentaur) with the Helm the sandbox tooling builds: `helm lint --strict` and
// `helm template` with every ci/*-values.yaml, and what the rendered objects must hold (restricted
// pods, no Secret access cluster-wide, CRDs, gateway RBAC, alerts and dashboards from their one
// source); values the schema or the templates refuse; then a real `helm install` into the sandbox,
// the RBAC checked as the service accounts (`kubectl auth can-i`, and the controller itself running
// on its ServiceAccount's token), `helm test`, `helm upgrade` and `helm uninstall`.
//
// The sandbox's CRDs are shared with every other test file (tests/support/crds.ts installs them), so
// the release adopts them (Helm's ownership annotations) with crds.keep=true: the uninstall leaves
// them, and afterAll hands them back to installCrds. No test here ever deletes a CRD.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1';
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { Workload } from '@kentaur/api';
import type { RunningController } from '@kentaur/controller';
import {
  CustomResourceDefinitions,
  Deployments,
  Jobs,
  KubeApiError,
  KubeClient,
  type KubeObject,
  Leases,
  loadKubeconfig,
  Pods,
  ResourceQuotas,
  Services,
  Tenants,
  waitFor,
  Workloads,
} from '@kentaur/k8s-runtime';
import { binaryPaths } from '@kentaur/sandbox';
import { makeWorkload } from '@kentaur/testing';
import { parseVendorsFile } from '@kentaur/vendors';
import {
  createTestNamespace,
  deleteTestNamespacesAndWait,
  testClient,
  testKubeconfig,
} from '../support/cluster';
import { startTestController } from '../support/controller';
import { installCrds } from '../support/crds';
import { restrictedPod } from '../support/pods';
import { createTenant } from '../support/tenants';

const ROOT = resolve(__dirname, '../..');
const CHART = join(ROOT, 'helm/kentaur');
const CI_FILES = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();
const RESTRICTED_UID = 10001;

interface Obj extends KubeObject {
  kind: string;
  spec?: Record<string, unknown>;
  rules?: PolicyRule[];
  data?: Record<string, string>;
}

// Helm keeps its own config and cache out of the user's home.
const helmHome = mkdtempSync(join(tmpdir(), 'kentaur-helm-'));
const helmEnv = {
  ...process.env,
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_DATA_HOME: join(helmHome, 'data'),
};

function helm(...args: string[]): string {
  return execFileSync(binaryPaths().helm, args, { encoding: 'utf8', env: helmEnv, stdio: 'pipe' });
}

/** Runs a helm command that must fail; returns what it printed. */
function helmError(...args: string[]): string {
  try {
    helm(...args);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  throw new Error(`helm ${args.join(' ')} succeeded, but it must fail`);
}

function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => Boolean(o?.kind));
}

function render(...args: string[]): Obj[] {
  return docs(helm('template', 'kentaur', CHART, '--namespace', 'kentaur-system', ...args));
}

const ciFile = (name: string) => join(CHART, 'ci', name);
const podSpecs = (objects: Obj[]): [string, PodSpec][] =>
  objects.flatMap((o): [string, PodSpec][] => {
    if (o.kind === 'Pod') return [[`Pod ${o.metadata!.name}`, o.spec as unknown as PodSpec]];
    const template = (o.spec?.template as { spec?: PodSpec } | undefined)?.spec;
    return template ? [[`${o.kind} ${o.metadata!.name}`, template]] : [];
  });
/** The rules of the gateway's ClusterRole and Role in deploy/rbac/gateway.yaml. */
const fileRules = (kind: string) =>
  docs(readFileSync(join(ROOT, 'deploy/rbac/gateway.yaml'), 'utf8')).find((o) => o.kind === kind)!.rules;

describe('Helm chart: lint and render', () => {
  it('has the ci values files the issue asks for', () => {
    expect(CI_FILES).toEqual(
      expect.arrayContaining([
        'defaults-values.yaml',
        'ha-external-postgres-values.yaml',
        'single-replica-pglite-values.yaml',
        'oidc-values.yaml',
        'custom-vendor-values.yaml',
      ]),
    );
  });

  it.each(CI_FILES)('passes helm lint --strict with %s', (file) => {
    expect(helm('lint', '--strict', CHART, '-f', ciFile(file))).toMatch(
      /1 chart\(s\) linted, 0 chart\(s\) failed/,
    );
  });

  it.each(CI_FILES)('%s: every pod runs Pod Security "restricted" with a read-only root and /tmp', (file) => {
    const specs = podSpecs(render('-f', ciFile(file)));
    // controller, gateway, two helm test pods
    expect(specs.length).toBeGreaterThanOrEqual(4);
    for (const [what, spec] of specs) {
      expect({ what, pod: spec.securityContext }).toMatchObject({
        what,
        pod: { runAsNonRoot: true, runAsUser: RESTRICTED_UID, seccompProfile: { type: 'RuntimeDefault' } },
      });
      const tmp = spec.volumes?.find((v) => v.name === 'tmp');
      expect({ what, tmp: tmp?.emptyDir }).toEqual({ what, tmp: expect.any(Object) });
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect({ what, container: c.name, sc: c.securityContext }).toMatchObject({
          what,
          container: c.name,
          sc: {
            runAsNonRoot: true,
            runAsUser: RESTRICTED_UID,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        });
        expect(c.securityContext?.capabilities?.add).toBeUndefined();
        expect(c.volumeMounts).toContainEqual(expect.objectContaining({ name: 'tmp', mountPath: '/tmp' }));
      }
    }
  });

  it.each(CI_FILES)(
    '%s: no ClusterRole grants Secrets or wildcards; only the gateway reads Secrets',
    (file) => {
      const objects = render('-f', ciFile(file));
      const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
      expect(roles.length).toBeGreaterThanOrEqual(4);
      for (const role of roles) {
        for (const rule of role.rules ?? []) {
          const where = `${role.kind} ${role.metadata!.name}`;
          expect({ where, verbs: rule.verbs }).not.toEqual({ where, verbs: expect.arrayContaining(['*']) });
          expect({ where, resources: rule.resources }).not.toEqual({
            where,
            resources: expect.arrayContaining(['*']),
          });
          if (rule.resources?.includes('secrets')) {
            // The one exception: the gateway's API-key Role, in the release namespace.
            expect(role.kind).toBe('Role');
            expect(role.metadata!.name).toBe('kentaur-gateway-api-keys');
          }
        }
      }
    },
  );

  it('renders the CRDs exactly as libs/api generates them, upgradable, kept on uninstall', () => {
    const generated = docs(readFileSync(join(ROOT, 'libs/api/generated/kentaur-crds.yaml'), 'utf8'));
    const crds = render().filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata!.name)).toEqual(generated.map((c) => c.metadata!.name));
    crds.forEach((crd, i) => {
      expect(crd.spec).toEqual(generated[i]!.spec);
      expect(crd.metadata!.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      expect(crd.metadata!.labels).toMatchObject({
        ...generated[i]!.metadata!.labels,
        'app.kubernetes.io/managed-by': 'Helm',
      });
    });
    expect(render('--set', 'crds.keep=false').find((o) => o.kind === 'CustomResourceDefinition')).toEqual(
      expect.objectContaining({ metadata: expect.not.objectContaining({ annotations: expect.anything() }) }),
    );
    expect(render('--set', 'crds.install=false').some((o) => o.kind === 'CustomResourceDefinition')).toBe(
      false,
    );
  });

  it("renders the gateway's rules of deploy/rbac/gateway.yaml and its dry-run-only policy for the release's account", () => {
    const objects = render();
    const clusterRole = objects.find(
      (o) => o.kind === 'ClusterRole' && o.metadata!.name === 'kentaur-gateway',
    );
    const role = objects.find((o) => o.kind === 'Role' && o.metadata!.name === 'kentaur-gateway-api-keys');
    expect(clusterRole?.rules).toEqual(fileRules('ClusterRole'));
    expect(role?.rules).toEqual(fileRules('Role'));
    const policy = objects.find((o) => o.kind === 'ValidatingAdmissionPolicy');
    const source = docs(readFileSync(join(ROOT, 'deploy/rbac/gateway.yaml'), 'utf8')).find(
      (o) => o.kind === 'ValidatingAdmissionPolicy',
    );
    expect(policy?.spec).toEqual(source?.spec); // same account name as the file in namespace kentaur-system
    const elsewhere = render('--namespace', 'factory', '--set', 'gateway.serviceAccount.name=gw').find(
      (o) => o.kind === 'ValidatingAdmissionPolicy',
    );
    expect(JSON.stringify(elsewhere?.spec)).toContain("'system:serviceaccount:factory:gw'");
  });

  it('renders the PrometheusRule from deploy/prometheus/alerts.yaml only when the Prometheus Operator API is served', () => {
    const values = ['-f', ciFile('ha-external-postgres-values.yaml')];
    expect(render(...values).some((o) => o.kind === 'PrometheusRule' || o.kind === 'ServiceMonitor')).toBe(
      false,
    );
    const objects = render(...values, '--api-versions', 'monitoring.coreos.com/v1');
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    const source = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8')) as {
      groups: { name: string; rules: { alert: string; expr: string }[] }[];
    };
    const groups = rule.spec!.groups as typeof source.groups;
    expect(groups.map((g) => g.name)).toEqual(source.groups.map((g) => g.name));
    const alerts = Object.fromEntries(groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
    expect(Object.keys(alerts)).toEqual(source.groups.flatMap((g) => g.rules).map((r) => r.alert));
    // The thresholds and runbook links of ci/ha-external-postgres-values.yaml.
    expect(alerts.KentaurVendorConcentrationHigh!.expr).toBe('max(kentaur_vendor_concentration) > 0.7');
    expect(alerts.KentaurTenantBudgetNearlySpent!.expr).toMatch(/\{kind="budget"\}\) > 0\.8$/);
    expect(JSON.stringify(alerts.KentaurTenantBudgetNearlySpent)).toContain(
      'above 80 % of its monthly budget',
    );
    expect(JSON.stringify(alerts.KentaurNoLeader)).toContain(
      'https://docs.factory.example/kentaur/observability#kentaurnoleader',
    );
    expect(JSON.stringify(alerts.KentaurControllerDown)).toContain('{{ $labels.instance }}');
    expect(rule.metadata!.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors).toHaveLength(2);
    for (const m of monitors) expect(m.spec).toMatchObject({ jobLabel: 'kentaur.io/metrics-job' });
    // The job names the alerts and dashboards select by, on the Services the monitors select.
    const jobs = objects
      .filter((o) => o.kind === 'Service')
      .map((s) => s.metadata!.labels!['kentaur.io/metrics-job'])
      .sort();
    expect(jobs).toEqual(['kentaur-controller', 'kentaur-gateway']);
  });

  it('renders every dashboard of deploy/grafana/dashboards as a ConfigMap for the Grafana sidecar', () => {
    const dir = join(ROOT, 'deploy/grafana/dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    const maps = render('--set', 'monitoring.dashboards.enabled=true').filter((o) => o.kind === 'ConfigMap');
    expect(maps).toHaveLength(files.length);
    for (const file of files) {
      const map = maps.find((m) => m.data?.[file] !== undefined);
      expect(map?.metadata!.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(JSON.parse(map!.data![file]!)).toEqual(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    }
    expect(render().some((o) => o.kind === 'ConfigMap')).toBe(false);
  });

  it('wires the ledger: a PostgreSQL URL from a Secret for both apps, or PGlite on a claim for one controller', () => {
    const env = (objects: Obj[], name: string) =>
      (
        objects.find((o) => o.kind === 'Deployment' && o.metadata!.name === name)!.spec!.template as {
          spec: PodSpec;
        }
      ).spec.containers[0]!.env;
    const pg = render('-f', ciFile('ha-external-postgres-values.yaml'));
    for (const app of ['kentaur-controller', 'kentaur-gateway'])
      expect(env(pg, app)).toContainEqual({
        name: 'KENTAUR_LEDGER_URL',
        valueFrom: { secretKeyRef: { name: 'kentaur-ledger', key: 'url' } },
      });
    const lite = render('-f', ciFile('single-replica-pglite-values.yaml'));
    expect(env(lite, 'kentaur-controller')).toContainEqual({
      name: 'KENTAUR_LEDGER_DIR',
      value: '/var/lib/kentaur/ledger',
    });
    expect(env(lite, 'kentaur-gateway')?.some((e) => e.name.startsWith('KENTAUR_LEDGER'))).toBe(false);
    const controller = lite.find(
      (o) => o.kind === 'Deployment' && o.metadata!.name === 'kentaur-controller',
    )!;
    expect(controller.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(lite.find((o) => o.kind === 'PersistentVolumeClaim')).toMatchObject({
      metadata: { name: 'kentaur-ledger', annotations: { 'helm.sh/resource-policy': 'keep' } },
      spec: { resources: { requests: { storage: '2Gi' } }, storageClassName: 'standard' },
    });
  });

  it('wires OIDC and the API-key pepper into the gateway, and publishes it through an HTTPRoute', () => {
    const objects = render('-f', ciFile('oidc-values.yaml'));
    const gateway = objects.find((o) => o.kind === 'Deployment' && o.metadata!.name === 'kentaur-gateway')!;
    const container = (gateway.spec!.template as { spec: PodSpec }).spec.containers[0]!;
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'KENTAUR_OIDC_ISSUER', value: 'https://login.factory.example/realms/factory' },
        {
          name: 'KENTAUR_OIDC_JWKS_URL',
          value: 'https://login.factory.example/realms/factory/protocol/openid-connect/certs',
        },
        { name: 'KENTAUR_OIDC_AUDIENCE', value: 'kentaur' },
        { name: 'KENTAUR_OIDC_ALGORITHMS', value: 'RS256' },
        {
          name: 'KENTAUR_API_KEY_PEPPER',
          valueFrom: { secretKeyRef: { name: 'kentaur-api-key-pepper', key: 'pepper' } },
        },
      ]),
    );
    expect(container.args).toEqual(expect.arrayContaining(['gateway', '--host=0.0.0.0', '--port=4000']));
    expect(objects.find((o) => o.kind === 'HTTPRoute')?.spec).toMatchObject({
      parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }],
      hostnames: ['api.factory.example'],
      rules: [{ backendRefs: [{ name: 'kentaur-gateway', port: 80 }] }],
    });
  });

  it('measured power: the Prometheus URL from a Secret (it may carry credentials), or as a value', () => {
    const controllerOf = (...args: string[]) =>
      render(...args).find(
        (o) => o.kind === 'Deployment' && o.metadata!.name === 'kentaur-controller',
      ) as unknown as Deployment;
    const fromSecret = controllerOf('--set', 'controller.measuredPower.existingSecret=prom-url').spec!
      .template.spec!.containers[0]!;
    expect(fromSecret.env).toContainEqual({
      name: 'KENTAUR_POWER_PROMETHEUS_URL',
      valueFrom: { secretKeyRef: { name: 'prom-url', key: 'url' } },
    });
    expect(fromSecret.args).toEqual(expect.arrayContaining(['--power-node-label=node', '--power-window=60']));
    const plain = controllerOf('--set', 'controller.measuredPower.prometheusUrl=http://prometheus:9090').spec!
      .template.spec!.containers[0]!;
    expect(plain.env).toContainEqual({
      name: 'KENTAUR_POWER_PROMETHEUS_URL',
      value: 'http://prometheus:9090',
    });
    const none = controllerOf().spec!.template.spec!.containers[0]!;
    expect(none.env?.some((e) => e.name === 'KENTAUR_POWER_PROMETHEUS_URL')).toBe(false);
    expect(none.args?.some((a) => a.startsWith('--power-'))).toBe(false);
  });

  it('passes the image registry allow-list to both binaries, and nothing when it is empty', () => {
    const argsOf = (objects: Obj[], name: string) =>
      (objects.find((o) => o.kind === 'Deployment' && o.metadata!.name === name) as unknown as Deployment)
        .spec!.template.spec!.containers[0]!.args ?? [];
    const listed = render('--set-json', 'imageRegistries=["registry.example/acme/","docker.io/library/"]');
    const none = render();
    for (const name of ['kentaur-controller', 'kentaur-gateway']) {
      expect(argsOf(listed, name)).toContain('--image-registries=registry.example/acme/,docker.io/library/');
      expect(argsOf(none, name).some((a) => a.startsWith('--image-registries'))).toBe(false);
    }
  });

  it("passes the gateway's rate limit and response cache, the defaults unless set", () => {
    const argsOf = (objects: Obj[]) =>
      (
        objects.find(
          (o) => o.kind === 'Deployment' && o.metadata!.name === 'kentaur-gateway',
        ) as unknown as Deployment
      ).spec!.template.spec!.containers[0]!.args ?? [];
    expect(argsOf(render())).toEqual(
      expect.arrayContaining([
        '--rate-limit-per-second=50',
        '--rate-limit-burst=100',
        '--response-cache-mb=16',
      ]),
    );
    const set = render(
      '--set-json',
      'gateway.rateLimit={"perSecond":12.5,"burst":400}',
      '--set',
      'gateway.responseCacheMB=0',
    );
    expect(argsOf(set)).toEqual(
      expect.arrayContaining([
        '--rate-limit-per-second=12.5',
        '--rate-limit-burst=400',
        '--response-cache-mb=0',
      ]),
    );
  });

  it('federation: passes the grace and the lease, and lets the controller read only the named site Secrets', () => {
    const objects = render(
      '--set',
      'controller.federation.failoverGraceSeconds=900',
      '--set-json',
      'controller.federation.siteSecrets=["site-fi-1","site-it-1"]',
    );
    const controller = objects.find(
      (o) => o.kind === 'Deployment' && o.metadata!.name === 'kentaur-controller',
    ) as unknown as Deployment;
    expect(controller.spec!.template.spec!.containers[0]!.args).toEqual(
      expect.arrayContaining(['--site-failover-grace=900', '--site-fence-lease=300']),
    );
    type Rules = Obj & { rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[] };
    const role = objects.find(
      (o) => o.kind === 'Role' && o.metadata!.name === 'kentaur-controller-site-kubeconfigs',
    ) as Rules | undefined;
    expect(role?.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['site-fi-1', 'site-it-1'], verbs: ['get'] },
    ]);
    // Without site Secrets (one cluster), the controller may read none.
    expect(render().some((o) => o.metadata!.name === 'kentaur-controller-site-kubeconfigs')).toBe(false);
  });

  it('binds the tenant-namespace writes only in the listed namespaces when there is a list', () => {
    const objects = render('-f', ciFile('custom-vendor-values.yaml'));
    const bindings = objects.filter(
      (o) => o.kind === 'RoleBinding' && o.metadata!.name === 'kentaur-controller-tenant',
    );
    expect(bindings.map((b) => b.metadata!.namespace)).toEqual(['tenant-acme', 'tenant-uni']);
    expect(
      objects.some((o) => o.kind === 'ClusterRoleBinding' && o.metadata!.name!.endsWith('tenant-namespaces')),
    ).toBe(false);
    const vendors = objects.find((o) => o.kind === 'ConfigMap' && o.metadata!.name === 'kentaur-vendors');
    const configured = JSON.parse(vendors!.data!['vendors.json']!) as unknown;
    expect(configured).toEqual([expect.objectContaining({ vendor: 'euronpu' })]);
    // What the binaries will load from it passes their own validation.
    expect(parseVendorsFile(vendors!.data!['vendors.json']!, 'vendors.json')).toHaveLength(1);
    for (const name of ['kentaur-controller', 'kentaur-gateway']) {
      const d = objects.find(
        (o) => o.kind === 'Deployment' && o.metadata!.name === name,
      ) as unknown as Deployment;
      expect(d.spec!.template.spec!.containers[0]!.args).toContain(
        '--vendors-file=/etc/kentaur/vendors.json',
      );
    }
  });
});

describe('Helm chart: values that are refused', () => {
  // `helm install` into the sandbox: the schema and the templates refuse these before anything is created.
  it.each([
    [
      'an unknown top-level key',
      ['--set', 'replicaCount=3'],
      /additional properties 'replicaCount' not allowed/,
    ],
    [
      'a misspelt nested key',
      ['--set', 'controller.replica=3'],
      /\/controller.*additional properties 'replica'/,
    ],
    ['negative replicas', ['--set', 'controller.replicas=-1'], /\/controller\/replicas.*minimum/],
    [
      'a bad enum',
      ['--set', 'ledger.type=sqlite'],
      /\/ledger\/type.*must be one of 'memory', 'postgres', 'pglite'/,
    ],
    ['root as the user', ['--set', 'securityContext.runAsUser=0'], /\/securityContext\/runAsUser.*minimum/],
    [
      'a measured-power URL that is not http(s)',
      ['--set', 'controller.measuredPower.prometheusUrl=prometheus:9090'],
      /\/controller\/measuredPower\/prometheusUrl/,
    ],
    [
      'a built-in vendor declared as custom',
      [
        '--set-json',
        'vendors.custom=[{"vendor":"nvidia","resourceName":"x.eu/npu","nodeSelector":{"a":"b"}}]',
      ],
      /\/vendors\/custom\/0\/vendor/,
    ],
    [
      'an image registry prefix without its trailing "/" (it would allow look-alike registries)',
      ['--set-json', 'imageRegistries=["registry.example/acme"]'],
      /\/imageRegistries\/0/,
    ],
    [
      'PostgreSQL without its Secret',
      ['--set', 'ledger.type=postgres'],
      /\/ledger\/postgres\/existingSecret.*minLength/,
    ],
    [
      'a failover grace no longer than the fence lease (moved work could run twice)',
      ['--set', 'controller.federation.failoverGraceSeconds=300'],
      /controller\.federation\.failoverGraceSeconds \(300\) must be longer than controller\.federation\.fenceLeaseSeconds \(300\)/,
    ],
    [
      'PGlite with two controller replicas',
      ['--set', 'ledger.type=pglite', '--set', 'controller.replicas=2'],
      /controller\.replicas is 2, but ledger\.type=pglite/,
    ],
    [
      'a rate limit of zero requests per second (every request would be refused)',
      ['--set', 'gateway.rateLimit.perSecond=0'],
      /\/gateway\/rateLimit\/perSecond/,
    ],
    [
      'a response cache of a negative size',
      ['--set', 'gateway.responseCacheMB=-1'],
      /\/gateway\/responseCacheMB/,
    ],
    [
      'OIDC without a JWKS URL',
      ['--set', 'gateway.oidc.issuer=https://login.example'],
      /set gateway\.oidc\.issuer and gateway\.oidc\.jwksUrl/,
    ],
  ])('refuses %s, naming the value', (_what, args, message) => {
    const release = `refused-${randomBytes(3).toString('hex')}`;
    const out = helmError(
      'install',
      release,
      CHART,
      '--kubeconfig',
      testKubeconfig(),
      '-n',
      'default',
      ...args,
    );
    expect(out).toMatch(message);
    expect(helm('list', '--kubeconfig', testKubeconfig(), '-n', 'default', '-q')).not.toContain(release);
  });
});

describe('Helm chart: install, upgrade and uninstall on the sandbox', () => {
  let client: KubeClient;
  let ns: string;
  let tenantNs: string;
  let manifestFile: string;
  let installed = false;
  const release = `kentaur-${randomBytes(3).toString('hex')}`;
  const controllerSa = `${release}-controller`;
  const gatewaySa = `${release}-gateway`;
  const kube = (...args: string[]) =>
    execFileSync(binaryPaths().kubectl, ['--kubeconfig', testKubeconfig(), ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  const releaseArgs = (...more: string[]) => [
    release,
    CHART,
    '--kubeconfig',
    testKubeconfig(),
    '--namespace',
    ns,
    '--set',
    'image.repository=registry.example/kentaur',
    // KWOK completes pods with this annotation: `helm test` on the fake nodes then finishes.
    '--set-json',
    'tests.podAnnotations={"sandbox.kentaur.io/run-for":"1s"}',
    ...more,
  ];
  const canI = (account: string, ...args: string[]) => {
    try {
      return kube('auth', 'can-i', ...args, `--as=system:serviceaccount:${ns}:${account}`).trim();
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? '').trim(); // exit 1 prints "no"
    }
  };
  const crdNames = ['workloads', 'acceleratorpools', 'tenants', 'sites'].map((p) => `${p}.kentaur.io`);

  beforeAll(async () => {
    client = testClient();
    await installCrds(client);
    ns = await createTestNamespace(client, 'kentaur-helm', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    tenantNs = await createTenant(client, { name: 'helm', quota: { guaranteedCU: 20, limitCU: 40 } });
    // Adopt the shared CRDs into the release (what `helm install` needs to manage existing objects).
    for (const name of crdNames)
      await client.patch(CustomResourceDefinitions, name, {
        metadata: {
          labels: { 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': ns },
        },
      });
  });

  afterAll(async () => {
    if (installed) helm('uninstall', release, '--kubeconfig', testKubeconfig(), '-n', ns, '--wait');
    // Waits until they are gone: a later file's controller must not find this file's leftovers.
    await deleteTestNamespacesAndWait(client, [ns, tenantNs].filter(Boolean));
    if (tenantNs) await client.delete(Tenants, tenantNs).catch(() => undefined);
    // The CRDs as every other file expects them: the generated metadata, no release's annotations.
    await installCrds(client);
    client.close();
  });

  it('installs: every object accepted, CRDs adopted and Established, pods admitted under Pod Security "restricted"', async () => {
    const out = helm('install', ...releaseArgs('--set', 'monitoring.dashboards.enabled=true'));
    installed = true;
    expect(out).toMatch(/STATUS: deployed/);
    manifestFile = join(mkdtempSync(join(tmpdir(), 'kentaur-manifest-')), 'manifest.yaml');
    writeFileSync(manifestFile, helm('get', 'manifest', release, '--kubeconfig', testKubeconfig(), '-n', ns));
    const objects = docs(readFileSync(manifestFile, 'utf8'));
    expect(objects.length).toBeGreaterThan(25);
    const found = kube('get', '-f', manifestFile, '-o', 'name').trim().split('\n');
    expect(found).toHaveLength(objects.length);
    for (const name of crdNames) {
      const crd = await client.get<Obj & { status?: { conditions?: { type: string; status: string }[] } }>(
        CustomResourceDefinitions,
        name,
      );
      expect(crd.metadata!.annotations).toMatchObject({
        'meta.helm.sh/release-name': release,
        'helm.sh/resource-policy': 'keep',
      });
      expect(crd.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
    }
    // The ReplicaSets' pods exist: the namespace enforces "restricted", so a pod that broke it would not.
    // The default: one controller with the embedded ledger on its claim, two gateways.
    await waitFor('1 controller and 2 gateway pods created', async () => {
      const pods = await client.list<Pod>(Pods, {
        namespace: ns,
        labelSelector: `app.kubernetes.io/instance=${release}`,
      });
      const count = (c: string) =>
        pods.items.filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === c).length;
      return count('controller') === 1 && count('gateway') === 2 ? true : undefined;
    });
  });

  it.each([
    ['list nodes', 'yes', ['list', 'nodes']],
    ['change nodes', 'no', ['patch', 'nodes']],
    ['read Secrets of its namespace', 'no', ['get', 'secrets', '-n', 'NS']],
    ['read Secrets anywhere', 'no', ['list', 'secrets', '--all-namespaces']],
    [
      'write Workload status',
      'yes',
      ['update', 'workloads.kentaur.io', '--subresource=status', '-n', 'default'],
    ],
    ['change Workload specs', 'no', ['update', 'workloads.kentaur.io', '-n', 'default']],
    ['create Workloads', 'no', ['create', 'workloads.kentaur.io', '-n', 'default']],
    ['delete Workloads', 'no', ['delete', 'workloads.kentaur.io', '-n', 'default']],
    ['write Tenant status', 'yes', ['patch', 'tenants.kentaur.io', '--subresource=status']],
    ['create Tenants', 'no', ['create', 'tenants.kentaur.io']],
    ['apply discovered AcceleratorPools', 'yes', ['create', 'acceleratorpools.kentaur.io']],
    ['delete AcceleratorPools', 'no', ['delete', 'acceleratorpools.kentaur.io']],
    ['create Jobs in a tenant namespace', 'yes', ['create', 'jobs.batch', '-n', 'TENANT']],
    ['delete Deployments in a tenant namespace', 'yes', ['delete', 'deployments.apps', '-n', 'TENANT']],
    ['create Pods', 'no', ['create', 'pods', '-n', 'TENANT']],
    ['exec into Pods', 'no', ['create', 'pods', '--subresource=exec', '-n', 'TENANT']],
    ['bind roles', 'no', ['create', 'rolebindings', '-n', 'TENANT']],
    ['renew its Lease', 'yes', ['update', 'leases.coordination.k8s.io/kentaur-controller', '-n', 'NS']],
    ['update other Leases', 'no', ['update', 'leases.coordination.k8s.io/other', '-n', 'NS']],
    [
      'touch Leases elsewhere',
      'no',
      ['get', 'leases.coordination.k8s.io/kentaur-controller', '-n', 'default'],
    ],
    ['apply its PriorityClass', 'yes', ['patch', 'priorityclasses.scheduling.k8s.io/kentaur-admitted']],
    [
      'change other PriorityClasses',
      'no',
      ['patch', 'priorityclasses.scheduling.k8s.io/system-node-critical'],
    ],
    ['delete Namespaces', 'no', ['delete', 'namespaces']],
  ])('controller can %s: %s', (_what, expected, args) => {
    const withNs = args.map((a) => (a === 'NS' ? ns : a === 'TENANT' ? tenantNs : a));
    expect(canI(controllerSa, ...withNs)).toBe(expected);
  });

  it.each([
    ['create Workloads', 'yes', ['create', 'workloads.kentaur.io', '-n', 'TENANT']],
    ['patch AcceleratorPools', 'yes', ['patch', 'acceleratorpools.kentaur.io']],
    ['read Secrets of its namespace', 'yes', ['get', 'secrets', '-n', 'NS']],
    ['read Secrets of another namespace', 'no', ['get', 'secrets', '-n', 'TENANT']],
    ['delete nodes', 'no', ['delete', 'nodes']],
    ['delete Workloads', 'no', ['delete', 'workloads.kentaur.io', '-n', 'TENANT']],
    [
      'write Workload status',
      'no',
      ['update', 'workloads.kentaur.io', '--subresource=status', '-n', 'TENANT'],
    ],
    ['create Jobs', 'no', ['create', 'jobs.batch', '-n', 'TENANT']],
  ])('gateway can %s: %s', (_what, expected, args) => {
    const withNs = args.map((a) => (a === 'NS' ? ns : a === 'TENANT' ? tenantNs : a));
    expect(canI(gatewaySa, ...withNs)).toBe(expected);
  });

  it("is enough for the controller itself: on its ServiceAccount's token it leads, applies the kit, runs a Batch and a Service workload and cancels one", async () => {
    let controller: RunningController | undefined;
    try {
      controller = await startTestController({
        namespace: ns,
        identity: 'helm-chart-rbac',
        kubeconfig: await accountKubeconfig(client, ns, controllerSa),
      });
      await waitFor('the Lease held', async () => {
        const lease = await client.get<KubeObject & { spec?: { holderIdentity?: string } }>(
          Leases,
          'kentaur-controller',
          ns,
        );
        return lease.spec?.holderIdentity === 'helm-chart-rbac' ? true : undefined;
      });
      await waitFor('the namespace kit applied', () =>
        client.get(ResourceQuotas, 'kentaur-vendor-resources', tenantNs).catch(() => undefined),
      );
      const batch = makeWorkload('batch', tenantNs).maxDuration('10m').obj();
      batch.metadata.annotations = { 'sandbox.kentaur.io/run-for': '2s' };
      const service = makeWorkload('serve', tenantNs).kind('Service').maxDuration(undefined).obj();
      for (const w of [batch, service]) await client.create(Workloads, w);
      const phase = (name: string, want: string) =>
        waitFor(
          `${name} ${want}`,
          async () => {
            const w = await client.get<Workload>(Workloads, name, tenantNs);
            return w.status?.phase === want ? w : undefined;
          },
          { timeoutMs: 60_000 },
        );
      await phase('batch', 'Succeeded');
      // One Job or Deployment per admission, named for it (ADR 16); the Service is named after the workload.
      expect(await client.get<Job>(Jobs, 'batch-1', tenantNs)).toBeDefined();
      await phase('serve', 'Running');
      await client.get<Deployment>(Deployments, 'serve-1', tenantNs);
      await client.get(Services, 'serve', tenantNs);
      await client.patch(Workloads, 'serve', { spec: { cancel: true } }, { namespace: tenantNs });
      await phase('serve', 'Cancelled');
      await waitFor('the Deployment and Service deleted', async () => {
        const gone = async (type: typeof Services, name: string) =>
          client.get(type, name, tenantNs).then(
            () => false,
            (e: unknown) => e instanceof KubeApiError && e.statusCode === 404,
          );
        return (await gone(Deployments, 'serve-1')) && (await gone(Services, 'serve')) ? true : undefined;
      });
      const tenant = await client.get<Obj & { status?: object }>(Tenants, tenantNs);
      expect(tenant.status).toBeDefined();
    } finally {
      await controller?.stop();
    }
  });

  it('refuses a real (not dry-run) Pod create by the gateway: the release’s admission policy', async () => {
    const asGateway = new KubeClient({
      credentials: loadKubeconfig(await accountKubeconfig(client, ns, gatewaySa)),
    });
    const pod = restrictedPod('not-allowed', tenantNs);
    try {
      await expect(asGateway.create(Pods, pod, { dryRun: true })).resolves.toBeDefined();
      // The policy takes a moment to be loaded by the API server after the install.
      await waitFor('the dry-run-only policy in force', async () => {
        const refused = await asGateway.create(Pods, pod).then(
          async () => {
            await client.delete(Pods, 'not-allowed', { namespace: tenantNs });
            return undefined;
          },
          (e: unknown) => e,
        );
        return refused ? refused : undefined;
      }).then((refused) => {
        expect(refused).toBeInstanceOf(KubeApiError);
        expect((refused as KubeApiError).message).toMatch(/may only dry-run pods/);
      });
    } finally {
      asGateway.close();
    }
  });

  it('passes `helm test` (its hooks are accepted under "restricted"; KWOK completes the pods)', () => {
    const out = helm('test', release, '--kubeconfig', testKubeconfig(), '-n', ns, '--timeout', '90s');
    expect(out).toMatch(/test-gateway-readyz[\s\S]*Phase:\s+Succeeded/);
    expect(out).toMatch(/test-controller-lease[\s\S]*Phase:\s+Succeeded/);
  });

  it('upgrades with changed values: more gateway replicas, tenant writes bound only in the tenant namespace', async () => {
    const out = helm(
      'upgrade',
      ...releaseArgs(
        '--set',
        'gateway.replicas=3',
        '--set-json',
        `controller.rbac.tenantNamespaces=["${tenantNs}"]`,
      ),
    );
    expect(out).toMatch(/STATUS: deployed[\s\S]*REVISION: 2/);
    const gateway = await client.get<Deployment>(Deployments, `${release}-gateway`, ns);
    expect(gateway.spec?.replicas).toBe(3);
    // Dashboards were on in revision 1 and are off now: the upgrade removed their ConfigMaps.
    expect(kube('get', 'configmaps', '-n', ns, '-l', 'grafana_dashboard=1', '-o', 'name').trim()).toBe('');
    expect(canI(controllerSa, 'create', 'jobs.batch', '-n', tenantNs)).toBe('yes');
    expect(canI(controllerSa, 'create', 'jobs.batch', '-n', 'default')).toBe('no');
    expect(canI(controllerSa, 'create', 'namespaces')).toBe('no');
    expect(canI(controllerSa, 'patch', `namespaces/${tenantNs}`)).toBe('yes');
    expect(canI(controllerSa, 'patch', 'namespaces/default')).toBe('no');
  });

  it('uninstalls: everything it created is gone except the kept CRDs (still Established) and the ledger claim', async () => {
    helm('uninstall', release, '--kubeconfig', testKubeconfig(), '-n', ns, '--wait');
    installed = false;
    const left = kube('get', '-f', manifestFile, '--ignore-not-found', '-o', 'name')
      .trim()
      .split('\n')
      .filter(Boolean);
    // The ledger's claim is accounting data: kept too (ledger.pglite.persistence.keep).
    expect(left.sort()).toEqual(
      [
        ...crdNames.map((n) => `customresourcedefinition.apiextensions.k8s.io/${n}`),
        `persistentvolumeclaim/${release}-ledger`,
      ].sort(),
    );
    expect(helmError('status', release, '--kubeconfig', testKubeconfig(), '-n', ns)).toMatch(/not found/);
    for (const name of crdNames) {
      const crd = await client.get<Obj & { status?: { conditions?: { type: string; status: string }[] } }>(
        CustomResourceDefinitions,
        name,
      );
      expect(crd.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
    }
    // Their pods go with the ReplicaSets (garbage collection).
    await waitFor('the release’s pods gone', async () => {
      const pods = await client.list<Pod>(Pods, {
        namespace: ns,
        labelSelector: `app.kubernetes.io/instance=${release}`,
      });
      return pods.items.every((p) => p.metadata?.deletionTimestamp) ? true : undefined;
    });
  });
});

/** A kubeconfig authenticating as a ServiceAccount (a TokenRequest), for the controller run as itself. */
async function accountKubeconfig(client: KubeClient, namespace: string, account: string): Promise<string> {
  const token = await client.request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const admin = loadKubeconfig(testKubeconfig());
  const file = join(mkdtempSync(join(tmpdir(), 'kentaur-sa-')), 'kubeconfig');
  writeFileSync(
    file,
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
      contexts: [{ name: account, context: { cluster: 'sandbox', user: account } }],
      'current-context': account,
    }),
  );
  return file;
}
