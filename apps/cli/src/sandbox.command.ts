import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SandboxLayout,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
  type SandboxInfo,
  type SandboxStatus,
} from '@kentaur/sandbox';

const say = (m: string) => process.stderr.write(`kentaur sandbox: ${m}\n`);

/** What `sandbox up` reports: the API server and, for a federation, one line per site. Pure. */
export function formatUp(info: SandboxInfo): string[] {
  const lines = [
    `${info.reused ? 'already running' : 'running'}: API server ${info.server}, ${info.nodes} fake nodes`,
  ];
  for (const [i, site] of (info.sites ?? []).entries())
    lines.push(
      `  site ${site.name}${i === 0 ? ' (management)' : ''}: API server ${site.server}, kubeconfig ${site.kubeconfig}`,
    );
  return lines;
}

/** The human form of `sandbox status`: health, every site of a federation, every process. Pure. */
export function formatStatus(status: SandboxStatus): string {
  if (!status.running) return 'sandbox: not running\n';
  const lines = [
    `sandbox: ${status.healthy ? 'healthy' : 'DEGRADED'}  API server ${status.server}  kubeconfig ${status.kubeconfig}`,
  ];
  for (const site of status.sites ?? []) {
    const nodes = site.nodes === undefined ? '' : `  ${site.nodes} ready fake nodes`;
    lines.push(
      `  site ${(site.name + (site.management ? ' (management)' : '')).padEnd(20)} ${site.healthy ? 'ready' : 'NOT READY'}  API server ${site.server}${nodes}  kubeconfig ${site.kubeconfig}`,
    );
  }
  const width = Math.max(24, ...status.components.map((c) => c.component.length + 2));
  // Start order interleaves the sites (they start side by side); list each site's processes together.
  const siteOrder = (component: string) =>
    (status.sites ?? []).findIndex((site) => component.startsWith(`${site.name}/`));
  const components = [...status.components].sort((a, b) => siteOrder(a.component) - siteOrder(b.component));
  for (const c of components)
    lines.push(
      `  ${c.component.padEnd(width)} pid ${String(c.pid).padEnd(8)} ${c.running ? 'running' : 'STOPPED'}`,
    );
  if (status.nodes !== undefined) lines.push(`  ready fake nodes: ${status.nodes}`);
  return `${lines.join('\n')}\n`;
}

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
      for (const line of formatUp(info)) say(line);
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
      } else {
        process.stdout.write(formatStatus(status));
      }
      return status.running && status.healthy ? 0 : 1;
    }
    default:
      say('usage: kentaur sandbox up|down|status');
      return 2;
  }
}
