import { resolve } from 'node:path';
import { controllerConfig, startController } from '@kentaur/controller';
import { KubeClient, loadKubeconfig } from '@kentaur/k8s-runtime';
import { binaryPaths, installCrds, SandboxLayout, sandboxDown, sandboxUp } from '@kentaur/sandbox';

const say = (m: string) => process.stderr.write(`kentaur up: ${m}\n`);

/**
 * Runs the whole local stack in the foreground: the sandbox (owned by this process, so it stops with
 * it even on SIGKILL), then the controller and the gateway. Ctrl-C stops everything.
 */
export async function runUp(opts: { fleet?: string }): Promise<number> {
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
  client.close();
  say('starting the controller');
  const controller = await startController(
    controllerConfig({
      kubeconfig: info.kubeconfig,
      namespace: 'default',
      leaderElection: false,
      sandbox: true,
    }),
  );
  process.stdout.write(
    [
      '',
      'Kentaur is running:',
      `  Kubernetes API server   ${info.server}  (${info.nodes} fake accelerator and CPU nodes)`,
      `  kubeconfig              ${info.kubeconfig}`,
      `  try                     ${binaryPaths().kubectl} --kubeconfig ${info.kubeconfig} get nodes -o wide`,
      `  controller              health on http://127.0.0.1:${controller.healthPort}/readyz; pools: kubectl get acceleratorpools`,
      '  gateway                 not part of this release yet (see README.md, "Status")',
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
  await controller.stop();
  if (!info.reused) {
    say('stopping the sandbox');
    await sandboxDown(layout);
  }
  return 0;
}
