import { writeFigures } from './figures';
import { MEMORY_FULL, MEMORY_SMOKE, runMemoryBench } from './memory-bench';

/**
 * Controller and gateway memory on the sandbox (see memory-bench.ts). Figures go to
 * bench-results/memory.json (memory.smoke.json for BENCH_SMOKE=1). The target is reported, not asserted.
 *
 *   npm run bench -- memory     (starts a sandbox with deploy/sandbox/fleets/bench.yaml)
 */
const smoke = process.env.BENCH_SMOKE === '1';

describe('memory', () => {
  it(
    `controller with the fleet and the queue cached, gateway under load (${smoke ? 'smoke' : 'full'})`,
    async () => {
      const f = await runMemoryBench(smoke ? MEMORY_SMOKE : MEMORY_FULL, (line) =>
        process.stdout.write(`[memory bench] ${line}\n`),
      );
      writeFigures('memory', smoke, f);
      const c = f.controller;
      const b = f.gateway.quoteLoad.beside;
      process.stdout.write(
        `\nmemory: ${f.cached.nodes} nodes (${f.cached.devices} devices), ${f.cached.workloads} queued workloads of ${f.cached.tenants} tenants\n` +
          `  controller  RSS ${c.rssMiB} MiB settled, ${c.rssMiBPeak} MiB peak; heap ${c.heapUsedMiB} MiB settled, ${c.heapUsedMiBPeak} MiB peak ` +
          `(target < 1536 MiB: ${f.targets.controllerUnder1_5GiB.met ? 'met' : 'missed'}); two cycles after ${c.secondsUntilTwoCycles} s, ${c.queueStatusesWrittenBySettle} queue statuses written\n` +
          `  gateway     process RSS ${f.gateway.processRssMiBIdle} MiB idle, ${f.gateway.processRssMiBPeakUnderLoad} MiB peak under ` +
          `${f.gateway.load.connections} connections (${f.gateway.load.requestsPerSecond} req/s; its own process)\n` +
          `  quotes      ${f.gateway.quoteLoad.requestsPerSecond} req/s behind the queue, p50 ${f.gateway.quoteLoad.p50Ms} ms, ` +
          `p99 ${f.gateway.quoteLoad.p99Ms} ms, max ${f.gateway.quoteLoad.maxMs} ms, ${f.gateway.quoteLoad.cpuMicrosPerRequest} µs CPU/req; ` +
          `event loop delayed ${f.gateway.quoteLoad.eventLoopLagMaxMs} ms at most, ${f.gateway.quoteLoad.gatewayTimedOver1s} over 1 s as the gateway timed them; ` +
          `${f.gateway.quoteLoad.queueRuns} queue runs of ${f.gateway.quoteLoad.queueRunSecondsMean} s (mean)\n` +
          `  beside them { __typename } ${b.requestsPerSecond} req/s from ${b.connections} connections, p50 ${b.p50Ms} ms, ` +
          `p99 ${b.p99Ms} ms, max ${b.maxMs} ms; event loop delayed ${b.eventLoopLagMaxMs} ms at most\n`,
      );
      expect(f.cached.workloads).toBe(smoke ? MEMORY_SMOKE.workloads : MEMORY_FULL.workloads);
      expect(c.rssMiB).toBeGreaterThan(0);
      expect(f.gateway.load.errors).toBe(0);
      expect(f.gateway.quoteLoad.errors).toBe(0);
      expect(f.gateway.quoteLoad.non2xx).toBe(0);
      expect(b.errors + b.non2xx).toBe(0);
      for (const side of [
        ...(f.quoteComparison?.thisBuild ?? []),
        ...(f.quoteComparison?.baselineBuild ?? []),
      ])
        expect(side.errors + side.non2xx + side.beside.errors + side.beside.non2xx).toBe(0);
    },
    60 * 60_000,
  );
});
