import { parseArgs } from 'node:util';
import { runController } from './controller.command';
import { runGateway } from './gateway.command';
import { runSandbox } from './sandbox.command';
import { runToken } from './token.command';
import { runUp } from './up.command';

const usage = `kentaur — vendor-neutral orchestration for AI factories

Usage:
  kentaur up [--fleet FILE] [--port N]      sandbox + controller + gateway in one process tree (Ctrl-C stops all)
  kentaur sandbox up [--fleet FILE]         start the local Kubernetes sandbox in the background
                                            (a fleet with spec.sites starts one cluster per site,
                                            e.g. deploy/sandbox/fleets/federation.yaml)
  kentaur sandbox down                      stop every process the sandbox started
  kentaur sandbox status [--json]           health of the sandbox's components (and of every site)
  kentaur controller [--kubeconfig F] [--namespace NS] [--identity ID] [--health-port N] [--sandbox]
                     [--accounting-interval SECONDS]
                     [--power-prometheus URL [--power-node-label LABEL] [--power-window SECONDS]]
                     [--vendors-file FILE]
                                            run the controller (default: $KUBECONFIG, else in-cluster)
  kentaur gateway [--kubeconfig F] [--port N] [--host H] [--namespace NS] [--sandbox]
                  [--oidc-issuer URL --oidc-jwks-url URL --oidc-audience AUD] [--vendors-file FILE]
                                            run the GraphQL gateway (production mode unless --sandbox)
  kentaur token --tenant NAME [--admin] [--ttl HOURS]
                                            mint a development token (accepted in sandbox mode only)

Environment:
  KENTAUR_SANDBOX_DIR   where the sandbox keeps its files (default: ./.kentaur/sandbox)
  KENTAUR_API_KEY_PEPPER  server-side secret of API-key hashes (gateway; without it API keys are off)
  KENTAUR_OIDC_ISSUER, KENTAUR_OIDC_JWKS_URL, KENTAUR_OIDC_AUDIENCE  OIDC verification (gateway)
  KENTAUR_LEDGER_URL    postgres://… of the usage ledger (controller and gateway)
  KENTAUR_LEDGER_DIR    the controller's embedded ledger (PGlite) directory when there is no URL
  KENTAUR_POWER_PROMETHEUS_URL  Prometheus with the vendors' power exporters (measured energy; may hold credentials)
  KENTAUR_VENDORS_FILE  JSON array of vendors added by data (controller and gateway; as --vendors-file)
  KENTAUR_BIN_CACHE     where the control-plane binaries are cached (default: ~/.cache/kentaur/bin)
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return runUp(
        parseArgs({ args: rest, options: { fleet: { type: 'string' }, port: { type: 'string' } } }).values,
      );
    case 'sandbox':
      return runSandbox(rest);
    case 'controller':
      return runController(rest);
    case 'gateway':
      return runGateway(rest);
    case 'token':
      return runToken(rest);
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
