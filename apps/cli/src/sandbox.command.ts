import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SandboxLayout, sandboxDown, sandboxStatus, sandboxUp } from '@kentaur/sandbox';

const say = (m: string) => process.stderr.write(`kentaur sandbox: ${m}\n`);

export async function runSandbox(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { fleet: { type: 'string' }, json: { type: 'boolean' } },
  });
  const layout = SandboxLayout.forCwd();
  switch (positionals[0]) {
    case 'up': {
      const info = await sandboxUp({ layout, fleetFile: values.fleet && resolve(values.fleet), log: say });
      say(
        `${info.reused ? 'already running' : 'running'}: API server ${info.server}, ${info.nodes} fake nodes`,
      );
      process.stdout.write(`export KUBECONFIG=${info.kubeconfig}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await sandboxDown(layout);
      say(
        stopped.length
          ? `stopped ${stopped.map((p) => `${p.component} (pid ${p.pid})`).join(', ')}`
          : 'not running',
      );
      return 0;
    }
    case 'status': {
      const status = await sandboxStatus(layout);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      } else if (!status.running) {
        process.stdout.write('sandbox: not running\n');
      } else {
        process.stdout.write(
          `sandbox: ${status.healthy ? 'healthy' : 'DEGRADED'}  API server ${status.server}  kubeconfig ${status.kubeconfig}\n`,
        );
        for (const c of status.components)
          process.stdout.write(
            `  ${c.component.padEnd(24)} pid ${String(c.pid).padEnd(8)} ${c.running ? 'running' : 'STOPPED'}\n`,
          );
        if (status.nodes !== undefined) process.stdout.write(`  ready fake nodes: ${status.nodes}\n`);
      }
      return status.running && status.healthy ? 0 : 1;
    }
    default:
      say('usage: kentaur sandbox up|down|status');
      return 2;
  }
}
