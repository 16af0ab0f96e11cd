// The benchmarks' smoke runs inside `npm test` (jest project `bench`): small sizes, so a benchmark
// never rots; their figures go to bench-results/*.smoke.json and are not reported anywhere.
process.env.BENCH_SMOKE = '1';
process.env.CORE_BENCH_SMOKE = '1';
