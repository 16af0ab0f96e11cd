import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Namespace } from 'kubernetes-types/core/v1';
import type { Tenant } from '@kentaur/api';
import { controllerConfig, startController } from '@kentaur/controller';
import { gatewayConfig, loadOrCreateDevKey, mintDevToken, startGateway } from '@kentaur/gateway';
import { KubeClient, loadKubeconfig, Namespaces, Tenants } from '@kentaur/k8s-runtime';
import { openLedger } from '@kentaur/ledger';
import { binaryPaths, installCrds, SandboxLayout, sandboxDown, sandboxUp } from '@kentaur/sandbox';
import { devTokenKeyFile } from './gateway.command';

const say = (m: string) => process.stderr.write(`kentaur up: ${m}\n`);

/**
 * Runs the whole local stack in the foreground: the sandbox (owned by this process, so it stops with
 * it even on SIGKILL), then the controller and the gateway. Ctrl-C stops everything.
 */
/** The sandbox's example tenant (examples/tenant.yaml), so the README's GraphiQL walk-through needs no setup. */
const EXAMPLE_TENANT: Tenant = {
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme' },
  spec: {
    displayName: 'ACME ApS',
    tier: 'sme',
    namespaces: ['tenant-acme'],
    quota: { guaranteedCU: 20, limitCU: 80 },
    budget: { monthlyEUR: 20000 },
  },
};

async function applyExampleTenant(client: KubeClient): Promise<void> {
  const apply = { patchType: 'apply' as const, fieldManager: 'kentaur-up', force: true };
  const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-acme' } };
  await client.patch(Namespaces, 'tenant-acme', ns, apply);
  await client.patch(Tenants, 'acme', EXAMPLE_TENANT, apply);
}

/** The sandbox's API-key pepper: KENTAUR_API_KEY_PEPPER, else a random one kept beside the sandbox. */
function sandboxPepper(layout: SandboxLayout): string {
  if (process.env.KENTAUR_API_KEY_PEPPER) return process.env.KENTAUR_API_KEY_PEPPER;
  const file = join(layout.root, 'api-key-pepper');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function runUp(opts: { fleet?: string; port?: string }): Promise<number> {
  const layout = SandboxLayout.forCwd();
  const info = await sandboxUp({
    layout,
    fleetFile: opts.fleet && resolve(opts.fleet),
    ownerPid: process.pid,
    log: say,
  });
  say('installing the kentaur.io CRDs');
  const client = new KubeClient({ credentials: loadKubeconfig(info.kubeconfig) });
  await installCrds(client);
  say('creating the example tenant acme (namespace tenant-acme)');
  await applyExampleTenant(client);
  client.close();
  say('opening the usage ledger (embedded PostgreSQL, PGlite)');
  const ledger = await openLedger({ dataDir: join(layout.root, 'ledger') });
  say('starting the controller');
  const controller = await startController(
    controllerConfig({
      kubeconfig: info.kubeconfig,
      namespace: 'default',
      leaderElection: false,
      sandbox: true,
    }),
    { ledger },
  );
  say('starting the gateway');
  const gateway = await startGateway(
    gatewayConfig({
      kubeconfig: info.kubeconfig,
      namespace: 'default',
      mode: 'sandbox',
      port: opts.port === undefined ? 4000 : Number(opts.port),
      devTokenKeyFile: devTokenKeyFile(layout),
      apiKeyPepper: sandboxPepper(layout),
      logLevel: 'warn',
      ledger,
    }),
  );
  const token = await mintDevToken(loadOrCreateDevKey(devTokenKeyFile(layout)), { tenant: 'acme' });
  process.stdout.write(
    [
      '',
      'Kentaur is running:',
      `  Kubernetes API server   ${info.server}  (${info.nodes} fake accelerator and CPU nodes)`,
      `  kubeconfig              ${info.kubeconfig}`,
      `  try                     ${binaryPaths().kubectl} --kubeconfig ${info.kubeconfig} get nodes -o wide`,
      `  controller              health on http://127.0.0.1:${controller.healthPort}/readyz; pools: kubectl get acceleratorpools`,
      `  GraphQL                 ${gateway.url}/graphql   (GraphiQL: ${gateway.url}/graphiql)`,
      `  transparency            ${gateway.url}/transparency.json`,
      '',
      'A development token for tenant acme (valid 24 h; more with `npx kentaur token --tenant acme`):',
      '',
      `  ${token}`,
      '',
      'In GraphiQL, open Headers and paste:',
      '',
      `  {"Authorization": "Bearer ${token}"}`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await gateway.stop();
  await controller.stop();
  await ledger.close();
  if (!info.reused) {
    say('stopping the sandbox');
    await sandboxDown(layout);
  }
  return 0;
}
