/**
 * Imported first by benchmarks that measure a server as it runs in production: the image sets
 * NODE_ENV=production (deploy/docker/Dockerfile), Jest sets `test`. Libraries read it once, when they
 * are loaded, and some run slower checks outside production: graphql-js checks every `instanceof`
 * of its type system against copies from another realm, which was a third of the CPU time of
 * `workloads(first: 50)` under Jest (profile-summary.js of BENCH_GATEWAY_PROFILE's profile).
 */
process.env.NODE_ENV = 'production';
