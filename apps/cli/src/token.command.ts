import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadOrCreateDevKey, mintDevToken } from '@kentaur/gateway';
import { SandboxLayout } from '@kentaur/sandbox';
import { devTokenKeyFile } from './gateway.command';

/**
 * `kentaur token --tenant NAME [--admin] [--ttl HOURS]`: prints a development token for a gateway
 * running in sandbox mode from this directory. A production gateway refuses these tokens.
 */
export async function runToken(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { tenant: { type: 'string' }, admin: { type: 'boolean' }, ttl: { type: 'string' } },
  });
  if (!values.tenant && !values.admin) {
    process.stderr.write('kentaur token: give --tenant NAME, or --admin\n');
    return 2;
  }
  const ttlHours = values.ttl === undefined ? 24 : Number(values.ttl);
  if (!Number.isFinite(ttlHours) || ttlHours <= 0 || ttlHours > 24 * 30) {
    process.stderr.write('kentaur token: --ttl must be a number of hours between 0 and 720\n');
    return 2;
  }
  const layout = SandboxLayout.forCwd();
  if (!existsSync(layout.root)) {
    process.stderr.write(`kentaur token: no sandbox in ${layout.root}; start one with "npm start" first\n`);
    return 2;
  }
  const key = loadOrCreateDevKey(devTokenKeyFile(layout));
  const token = await mintDevToken(key, {
    tenant: values.tenant,
    admin: values.admin,
    ttlSeconds: Math.round(ttlHours * 3600),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}
