import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { controllerConfig, startController, type PowerConfig } from '@kentaur/controller';
import { registryListProblems } from '@kentaur/api';
import { loadVendorsFile } from '@kentaur/vendors';
import { positiveNumber } from './flags';

/** The usage ledger: PostgreSQL from KENTAUR_LEDGER_URL (a secret: never a flag), else PGlite in KENTAUR_LEDGER_DIR. */
export function ledgerFrom(env: NodeJS.ProcessEnv): { url?: string; dataDir?: string } {
  if (env.KENTAUR_LEDGER_URL) return { url: env.KENTAUR_LEDGER_URL };
  if (env.KENTAUR_LEDGER_DIR) return { dataDir: resolve(env.KENTAUR_LEDGER_DIR) };
  return {};
}

/** A positive number of seconds from a flag, or an error naming the flag and the fix. */
const seconds = (flag: string, value: string | undefined) =>
  positiveNumber(flag, value, { unit: 'seconds', example: '30' });

/**
 * Measured power: the Prometheus that scrapes the vendors' exporters, from KENTAUR_POWER_PROMETHEUS_URL
 * (may hold credentials) or --power-prometheus; absent: catalog power.
 */
export function powerFrom(
  env: NodeJS.ProcessEnv,
  flags: { url?: string; nodeLabel?: string; window?: string },
): PowerConfig | undefined {
  const url = env.KENTAUR_POWER_PROMETHEUS_URL ?? flags.url;
  if (!url) return undefined;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new Error(
      'the Prometheus URL for measured power is not an http(s) URL: give e.g. http://prometheus:9090',
    );
  const window = seconds('power-window', flags.window);
  if (window !== undefined && !Number.isInteger(window))
    throw new Error(
      `--power-window ${flags.window} is not a whole number of seconds: give e.g. --power-window 60`,
    );
  if (flags.nodeLabel !== undefined && !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(flags.nodeLabel))
    throw new Error(
      `--power-node-label ${JSON.stringify(flags.nodeLabel)} is not a Prometheus label name: give e.g. node`,
    );
  return { prometheusUrl: url, nodeLabel: flags.nodeLabel, windowSeconds: window };
}

/**
 * The image registry allow-list (ADR 12) from `--image-registries` (comma-separated prefixes), else
 * KENTAUR_IMAGE_REGISTRIES; absent or empty: any image. Each entry is checked like a Tenant's
 * spec.imageRegistries, so a typo (a missing trailing '/') stops start-up instead of widening the list.
 */
export function imageRegistriesFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = flag ?? env.KENTAUR_IMAGE_REGISTRIES;
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return undefined;
  const problems = registryListProblems(entries, '--image-registries');
  if (problems.length) throw new Error(problems.join('; '));
  return entries;
}

/**
 * Federation timings (ADR 13) from `--site-failover-grace` and `--site-fence-lease` (seconds). The
 * grace must exceed the lease: requeued work must not start elsewhere before the lost site's own
 * Job controller has stopped it.
 */
export function federationFrom(flags: { grace?: string; lease?: string }): {
  siteFailoverGraceMs?: number;
  siteFenceLeaseMs?: number;
} {
  const defaults = controllerConfig();
  const grace = seconds('site-failover-grace', flags.grace);
  const lease = seconds('site-fence-lease', flags.lease);
  const graceMs = grace !== undefined ? grace * 1000 : defaults.siteFailoverGraceMs;
  const leaseMs = lease !== undefined ? lease * 1000 : defaults.siteFenceLeaseMs;
  if (graceMs <= leaseMs)
    throw new Error(
      `--site-failover-grace (${graceMs / 1000} s) must be longer than --site-fence-lease (${leaseMs / 1000} s): ` +
        'requeued work could otherwise start while the lost site still runs it; raise the grace or lower the lease',
    );
  return {
    ...(grace !== undefined ? { siteFailoverGraceMs: graceMs } : {}),
    ...(lease !== undefined ? { siteFenceLeaseMs: leaseMs } : {}),
  };
}

/** `kentaur controller`: runs the controller in the foreground until SIGINT/SIGTERM. */
export async function runController(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'health-address': { type: 'string' },
      'health-port': { type: 'string' },
      'accounting-interval': { type: 'string' },
      'power-prometheus': { type: 'string' },
      'power-node-label': { type: 'string' },
      'power-window': { type: 'string' },
      'vendors-file': { type: 'string' },
      'default-site': { type: 'string' },
      'image-registries': { type: 'string' },
      'site-failover-grace': { type: 'string' },
      'site-fence-lease': { type: 'string' },
      'no-leader-election': { type: 'boolean' },
      identity: { type: 'string' },
      sandbox: { type: 'boolean' },
    },
  });
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  const accountingSeconds = seconds('accounting-interval', values['accounting-interval']);
  const vendorsFile = values['vendors-file'] ?? process.env.KENTAUR_VENDORS_FILE;
  const power = powerFrom(process.env, {
    url: values['power-prometheus'],
    nodeLabel: values['power-node-label'],
    window: values['power-window'],
  });
  const imageRegistries = imageRegistriesFrom(values['image-registries'], process.env);
  const federation = federationFrom({
    grace: values['site-failover-grace'],
    lease: values['site-fence-lease'],
  });
  const config = controllerConfig({
    ...federation,
    ...(imageRegistries ? { imageRegistries } : {}),
    ...(kubeconfig ? { kubeconfig: resolve(kubeconfig) } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['health-address'] ? { healthHost: values['health-address'] } : {}),
    ...(values['health-port'] ? { healthPort: Number(values['health-port']) } : {}),
    ...(values['default-site'] ? { defaultSite: values['default-site'] } : {}),
    leaderElection: !values['no-leader-election'],
    ...(values.identity ? { identity: values.identity } : {}),
    sandbox: Boolean(values.sandbox),
    ledger: ledgerFrom(process.env),
    ...(accountingSeconds ? { accountingIntervalMs: accountingSeconds * 1000 } : {}),
    ...(power ? { power } : {}),
    ...(vendorsFile ? { vendors: loadVendorsFile(resolve(vendorsFile)) } : {}),
  });
  if (!config.ledger.url && !config.ledger.dataDir)
    process.stderr.write(
      'kentaur controller: no KENTAUR_LEDGER_URL or KENTAUR_LEDGER_DIR: usage is kept in memory and lost on exit\n',
    );
  const controller = await startController(config);
  process.stderr.write(
    `kentaur controller: running (health on ${config.healthHost}:${controller.healthPort})\n`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await controller.stop();
  return 0;
}
