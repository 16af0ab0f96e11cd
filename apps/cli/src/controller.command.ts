import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { controllerConfig, startController } from '@kentaur/controller';

/** The usage ledger: PostgreSQL from KENTAUR_LEDGER_URL (a secret: never a flag), else PGlite in KENTAUR_LEDGER_DIR. */
export function ledgerFrom(env: NodeJS.ProcessEnv): { url?: string; dataDir?: string } {
  if (env.KENTAUR_LEDGER_URL) return { url: env.KENTAUR_LEDGER_URL };
  if (env.KENTAUR_LEDGER_DIR) return { dataDir: resolve(env.KENTAUR_LEDGER_DIR) };
  return {};
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
      'default-site': { type: 'string' },
      'no-leader-election': { type: 'boolean' },
      identity: { type: 'string' },
      sandbox: { type: 'boolean' },
    },
  });
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
  const config = controllerConfig({
    ...(kubeconfig ? { kubeconfig: resolve(kubeconfig) } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['health-address'] ? { healthHost: values['health-address'] } : {}),
    ...(values['health-port'] ? { healthPort: Number(values['health-port']) } : {}),
    ...(values['default-site'] ? { defaultSite: values['default-site'] } : {}),
    leaderElection: !values['no-leader-election'],
    ...(values.identity ? { identity: values.identity } : {}),
    sandbox: Boolean(values.sandbox),
    ledger: ledgerFrom(process.env),
    ...(values['accounting-interval']
      ? { accountingIntervalMs: Number(values['accounting-interval']) * 1000 }
      : {}),
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
