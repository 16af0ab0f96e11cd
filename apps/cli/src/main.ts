import { parseArgs } from 'node:util';
import { runController } from './controller.command';
import { runSandbox } from './sandbox.command';
import { runUp } from './up.command';

const usage = `kentaur — vendor-neutral orchestration for AI factories

Usage:
  kentaur up [--fleet FILE]                 sandbox + controller + gateway in one process tree (Ctrl-C stops all)
  kentaur sandbox up [--fleet FILE]         start the local Kubernetes sandbox in the background
  kentaur sandbox down                      stop every process the sandbox started
  kentaur sandbox status [--json]           health of the sandbox's components
  kentaur controller [--kubeconfig F] [--namespace NS] [--identity ID] [--health-port N] [--sandbox]
                                            run the controller (default: $KUBECONFIG, else in-cluster)
  kentaur gateway                           run the GraphQL gateway
  kentaur token --tenant NAME [--admin]     mint a development token (sandbox mode)

Environment:
  KENTAUR_SANDBOX_DIR   where the sandbox keeps its files (default: ./.kentaur/sandbox)
  KENTAUR_BIN_CACHE     where the control-plane binaries are cached (default: ~/.cache/kentaur/bin)
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return runUp(parseArgs({ args: rest, options: { fleet: { type: 'string' } } }).values);
    case 'sandbox':
      return runSandbox(rest);
    case 'controller':
      return runController(rest);
    case 'gateway':
    case 'token':
      process.stderr.write(
        `kentaur ${command}: not available in this release yet; see README.md ("Status").\n`,
      );
      return 2;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`kentaur: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kentaur: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
