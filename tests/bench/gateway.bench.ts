import { writeFigures } from './figures';
import { GATEWAY_FULL, GATEWAY_SMOKE, runGatewayBench } from './gateway-bench';
import { startGatewayProcess } from './server-process';

/**
 * Gateway throughput on the sandbox (see gateway-bench.ts). Figures go to bench-results/gateway.json
 * (gateway.smoke.json for BENCH_SMOKE=1). Targets are reported, not asserted.
 *
 *   npm run bench -- gateway
 */
const smoke = process.env.BENCH_SMOKE === '1';
/** BENCH_GATEWAY_CONNECTIONS=<n>: the loads' connections (100 by default), e.g. 1 for one client's latency. */
const connections = Number(process.env.BENCH_GATEWAY_CONNECTIONS ?? GATEWAY_FULL.connections);
if (!Number.isInteger(connections) || connections < 1)
  throw new Error(
    `BENCH_GATEWAY_CONNECTIONS: ${process.env.BENCH_GATEWAY_CONNECTIONS} is not a whole number of connections, 1 or more`,
  );

describe('gateway throughput', () => {
  it(`loads the operations and the bare ceilings (${smoke ? 'smoke' : 'full'})`, async () => {
    const figures = await runGatewayBench(smoke ? GATEWAY_SMOKE : { ...GATEWAY_FULL, connections });
    writeFigures('gateway', smoke, figures);
    const row = (
      name: string,
      r: {
        requestsPerSecond: number;
        latencyMs: { p50: number; p99: number };
        errors: number;
        non2xx: number;
        cpuMicrosPerRequest?: number;
      },
    ) =>
      `  ${name.padEnd(28)} ${String(r.requestsPerSecond).padStart(7)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  errors ${r.errors}  non-2xx ${r.non2xx}  CPU ${r.cpuMicrosPerRequest ?? '?'} µs/req\n`;
    process.stdout.write(
      `\ngateway throughput (${figures.sizes.connections} connections, ${figures.sizes.seconds} s each):\n` +
        row('bare Fastify+Mercurius', figures.ceiling) +
        (figures.listCeiling ? row('bare, the same list', figures.listCeiling) : '') +
        row('Nest+Mercurius { hello }', figures.nestCeiling) +
        Object.entries(figures.results)
          .map(([name, r]) =>
            row(name, r).replace(/\n$/, `  (${(r.shareOfCeiling * 100).toFixed(0)} % of ceiling)\n`),
          )
          .join('') +
        Object.entries(figures.baseline?.results ?? {})
          .map(([name, r]) =>
            row(`${name} (baseline)`, r).replace(
              /\n$/,
              `  (this build ${(r.changeOfThisBuild * 100).toFixed(1)} % req/s, ${(r.cpuChangeOfThisBuild * 100).toFixed(1)} % CPU/req against it)\n`,
            ),
          )
          .join(''),
    );
    expect(figures.ceiling.requests).toBeGreaterThan(0);
    expect(figures.nestCeiling.requests).toBeGreaterThan(0);
    for (const r of Object.values(figures.results)) {
      expect(r.requests).toBeGreaterThan(0);
      expect(r.cpuMicrosPerRequest).toBeGreaterThan(0);
    }
  });

  it('a server that cannot start says why, with the end of its standard error', async () => {
    await expect(startGatewayProcess({}, '/nonexistent/kentaur-build/index.js')).rejects.toThrow(
      /exited with 1 before it listened; its standard error ended:\n[\s\S]*Cannot find module '\/nonexistent\/kentaur-build\/index\.js'/,
    );
  });
});
