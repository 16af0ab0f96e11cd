import { E2E_SMOKE, e2eFullSizes, runE2eBench } from './e2e-bench';
import { writeFigures } from './figures';

/**
 * End-to-end admission on the sandbox (see e2e-bench.ts). Figures go to bench-results/e2e.json
 * (e2e.smoke.json for BENCH_SMOKE=1). Targets are reported, not asserted.
 *
 *   npm run bench -- e2e        (starts a sandbox with deploy/sandbox/fleets/bench.yaml)
 *   BENCH_E2E_WORKLOADS=2000 BENCH_E2E_TENANTS=40 npm run bench -- e2e    (smaller)
 */
const smoke = process.env.BENCH_SMOKE === '1';

describe('end-to-end admission', () => {
  it(
    `admits, runs and drains the queue (${smoke ? 'smoke' : 'full'})`,
    async () => {
      const sizes = smoke ? E2E_SMOKE : e2eFullSizes();
      const f = await runE2eBench(sizes, (line) => process.stdout.write(`[e2e bench] ${line}\n`));
      writeFigures('e2e', smoke, f);
      const k = f.kentaur;
      const t = (p: { p50: number; p95: number; p99: number }) =>
        `p50 ${p.p50} s  p95 ${p.p95} s  p99 ${p.p99} s`;
      process.stdout.write(
        `\nend-to-end admission: ${f.submitted.workloads} workloads (${f.submitted.pods} pods) of ${sizes.tenants} tenants on ${f.fleet.devices} devices\n` +
          `  raw Job creation       ${f.raw.perSecond} /s\n` +
          `  admissions             ${k.admissionsPerSecond.peak10s} /s peak (10 s), ${k.admissionsPerSecond.overall} /s overall; ` +
          `${k.shareOfRaw.peak10s} of raw at peak\n` +
          `  created → admitted     ${t(k.createdToAdmittedSeconds)}\n` +
          `  created → pods bound   ${t(k.createdToAllPodsBoundSeconds)}\n` +
          `  queue drained in       ${k.drainSeconds} s (${k.finished.succeeded} succeeded, ${k.finished.failed} failed)\n` +
          `  controller             ${f.controller.cpuSeconds} CPU-s (${f.controller.cpuCoresAverage} cores), RSS peak ${f.controller.rssMiBPeak} MiB, ` +
          `heap peak ${f.controller.heapUsedMiBPeak} MiB, ${f.controller.apiRequestsPerAdmission} API requests per admission\n`,
      );
      // Sanity, not targets: everything submitted was admitted once and ran to success.
      expect(k.admissions).toBe(f.submitted.workloads);
      expect(k.finished.succeeded).toBe(f.submitted.workloads);
      expect(f.raw.jobs).toBe(f.submitted.workloads);
      // The full run drains 10,000 workloads on the machine's API server: far longer than the config's 10 minutes.
    },
    2 * 60 * 60_000,
  );
});
