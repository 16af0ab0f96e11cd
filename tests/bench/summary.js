// Appends one row per full benchmark run to the run log at the end of docs/benchmarks.md, from the
// figures the run wrote to bench-results/<name>.json: the date, the machine, the command and the
// headline figures. The sections above the log explain the figures; the log is their history.
'use strict';

const { appendFileSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const DOC = join(__dirname, '../../docs/benchmarks.md');
const LOG_HEADING = '## Run log — appended by `npm run bench`';

/** Headline figures of each benchmark's JSON, as one table cell. */
const HEADLINES = {
  core: (f) =>
    `cycle ${f.results.cycleSecondsMedian} s (median) over ${f.snapshot.pending} pending, ${f.snapshot.nodes} nodes; ` +
    `${f.results.decisionsPerSecond} decisions/s; heap max ${f.results.heapUsedAfterCycleMaxMiB} MiB` +
    (f.quotes
      ? `; quotes: queue run ${f.quotes.queueRunSeconds} s` +
        (f.quotes.queueRunSteps
          ? ` in ${f.quotes.queueRunSteps} steps (longest ${f.quotes.queueRunLongestStepMs} ms)`
          : '') +
        `, then ${f.quotes.quoteMsMedian} ms a quote (median of ${f.quotes.quotes})`
      : ''),
  e2e: (f) =>
    `${f.submitted.workloads} workloads / ${f.submitted.pods} pods of ${f.sizes.tenants} tenants on ${f.fleet.devices} devices: ` +
    `raw Jobs ${f.raw.perSecond}/s; admissions ${f.kentaur.admissionsPerSecond.peak10s}/s peak (10 s), ` +
    `${f.kentaur.admissionsPerSecond.overall}/s overall (${f.kentaur.shareOfRaw.peak10s} of raw); ` +
    `created→admitted p50/p95/p99 ${sec(f.kentaur.createdToAdmittedSeconds)}; ` +
    `created→pods bound ${sec(f.kentaur.createdToAllPodsBoundSeconds)}; drained in ${f.kentaur.drainSeconds} s; ` +
    `controller ${f.controller.cpuSeconds} CPU-s, RSS ${f.controller.rssMiBPeak} MiB, ` +
    `${f.controller.apiRequestsPerAdmission} API requests/admission` +
    (f.apiServerProfile?.summary
      ? `; kube-apiserver profiled ${f.apiServerProfile.seconds} s (${f.apiServerProfile.summary.cores} cores): ` +
        f.apiServerProfile.summary.groups
          .slice(0, 5)
          .map((g) => `${g.group} ${(g.share * 100).toFixed(1)} %`)
          .join(', ')
      : ''),
  gateway: (f) =>
    `ceiling ${f.ceiling.requestsPerSecond} req/s${cpu(f.ceiling)}; ` +
    (f.listCeiling ? `bare list ${f.listCeiling.requestsPerSecond} req/s${cpu(f.listCeiling)}; ` : '') +
    (f.nestCeiling ? `Nest { hello } ${f.nestCeiling.requestsPerSecond} req/s${cpu(f.nestCeiling)}; ` : '') +
    Object.entries(f.results)
      .map(([op, r]) => `${op} ${r.requestsPerSecond} req/s p99 ${r.latencyMs.p99} ms${cpu(r)}`)
      .join('; ') +
    (f.baseline
      ? '; against the baseline build (ABBA): ' +
        Object.entries(f.baseline.results)
          .map(([op, r]) => {
            const pct = (x) => (x * 100).toFixed(1);
            const byRound = r.changeByRound ? `; rounds ${r.changeByRound.map(pct).join(', ')} %` : '';
            const cpuChange =
              r.cpuChangeOfThisBuild === undefined
                ? ''
                : `; CPU/req ${pct(r.cpuChangeOfThisBuild)} %` +
                  (r.cpuChangeByRound ? `, rounds ${r.cpuChangeByRound.map(pct).join(', ')} %` : '');
            return `${op} ${r.requestsPerSecond} req/s${cpu(r)} (${pct(r.changeOfThisBuild)} %${byRound}${cpuChange})`;
          })
          .join(', ')
      : ''),
  memory: (f) =>
    `${f.cached.nodes} nodes, ${f.cached.workloads} workloads cached: controller heap ${f.controller.heapUsedMiB} MiB, ` +
    `RSS ${f.controller.rssMiB} MiB (peak ${f.controller.rssMiBPeak}); gateway RSS ${f.gateway.processRssMiBIdle} MiB idle, ` +
    `${f.gateway.processRssMiBPeakUnderLoad} MiB peak at ${f.gateway.load.requestsPerSecond} req/s (p99 ${f.gateway.load.p99Ms} ms)` +
    (f.gateway.quoteLoad
      ? `; quote(spec) behind the queue ${f.gateway.quoteLoad.requestsPerSecond} req/s, p50/p99/max ` +
        `${f.gateway.quoteLoad.p50Ms}/${f.gateway.quoteLoad.p99Ms}/${f.gateway.quoteLoad.maxMs} ms, ` +
        `${f.gateway.quoteLoad.cpuMicrosPerRequest} µs CPU/req` +
        (f.gateway.quoteLoad.beside ? besideQuotes(f.gateway.quoteLoad) : '')
      : '') +
    (f.quoteComparison ? quoteComparison(f.quoteComparison) : ''),
};

/** What other requests waited while quotes kept the queue being run (memory bench). */
function besideQuotes(q) {
  const b = q.beside;
  return (
    (q.eventLoopLagMaxMs === undefined ? '' : `, event loop delayed ${q.eventLoopLagMaxMs} ms at most`) +
    (q.gatewayTimedOver1s === undefined
      ? ''
      : `, ${q.gatewayTimedOver1s} over 1 s as the gateway timed them`) +
    `; ${q.queueRuns} queue runs of ${q.queueRunSecondsMean} s; beside them { __typename } ${b.requestsPerSecond} req/s ` +
    `p50/p99/max ${b.p50Ms}/${b.p99Ms}/${b.maxMs} ms, event loop delayed ${b.eventLoopLagMaxMs} ms at most`
  );
}

/** The memory bench's quote loads of this build and a baseline (BENCH_GATEWAY_BASELINE), each side's runs. */
function quoteComparison(c) {
  const side = (runs) =>
    runs
      .map(
        (q) =>
          `${q.requestsPerSecond} quotes/s p99/max ${q.p99Ms}/${q.maxMs} ms` +
          (q.eventLoopLagMaxMs === undefined ? '' : ` lag ${q.eventLoopLagMaxMs} ms`) +
          (q.gatewayTimedOver1s === undefined ? '' : ` ${q.gatewayTimedOver1s} > 1 s in the gateway`) +
          `, beside p99/max ${q.beside.p99Ms}/${q.beside.maxMs} ms, lag ${q.beside.eventLoopLagMaxMs} ms`,
      )
      .join(' | ');
  return `; against ${c.baseline}: this build ${side(c.thisBuild)}; baseline ${side(c.baselineBuild)}`;
}

/** The server's CPU time per request of a load, when measured. */
function cpu(r) {
  return r.cpuMicrosPerRequest === undefined ? '' : ` ${r.cpuMicrosPerRequest} µs CPU/req`;
}

function sec(p) {
  return `${p.p50}/${p.p95}/${p.p99} s`;
}

function appendSummary(name) {
  const figures = JSON.parse(readFileSync(join(__dirname, '../../bench-results', `${name}.json`), 'utf8'));
  const headline = (HEADLINES[name] ?? (() => 'see the JSON file'))(figures);
  const doc = readFileSync(DOC, 'utf8');
  let text = '';
  if (!doc.includes(LOG_HEADING)) {
    text += `\n${LOG_HEADING}\n\n` + '| date (UTC) | command | machine | figures |\n|---|---|---|---|\n';
  }
  const m = figures.machine ?? {};
  const when = (figures.date ?? new Date().toISOString()).slice(0, 16).replace('T', ' ');
  // The settings a run was given are named with it: the sizes of a smaller e2e run, a fleet other
  // than the benchmark's own, the operations of a profiled gateway run (BENCH_*, KENTAUR_TEST_FLEET).
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_') || k === 'KENTAUR_TEST_FLEET')
    .sort()
    .map((k) => `${k}=${process.env[k]} `)
    .join('');
  text += `| ${when} | \`${env}npm run bench -- ${name}\` | ${m.cpus} × ${m.cpuModel}, Node ${m.node} | ${headline} |\n`;
  appendFileSync(DOC, text);
  process.stdout.write(`bench ${name}: summary appended to docs/benchmarks.md\n`);
}

module.exports = { appendSummary };
