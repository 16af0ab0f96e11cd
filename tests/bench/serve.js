// A server under load in a process of its own, as it is deployed (tests/bench/server-process.ts
// starts it): no test runner beside it on the event loop (Jest's AsyncLocalStorage alone hooks every
// promise) and its own memory. NODE_ENV=production, as the gateway's image sets it
// (deploy/docker/Dockerfile): libraries read it once, when loaded, and some run slower checks
// outside production (graphql-js checks every `instanceof` of its type system against copies from
// another realm, a third of `workloads(first: 50)`'s CPU time under Jest's NODE_ENV=test).
//
//   node tests/bench/serve.js gateway   config: BENCH_SERVE_CONFIG, JSON of a GatewayConfig's fields;
//                                       BENCH_SERVE_GATEWAY: another build of the gateway to serve
//                                       (a path to its dist/index.js), else @kentaur/gateway
//   node tests/bench/serve.js bare      the ceilings: `{ hello }`, and the page in BENCH_SERVE_PAGE_FILE
//   node tests/bench/serve.js nest      `{ hello }` through Nest on the gateway's adapter and driver
//
// It answers its parent over IPC: {listening: url} once up; to {id, op} with {id, result} or
// {id, error}, op one of 'memory' (process.memoryUsage()), 'cpu' (process.cpuUsage()),
// 'profile-start', 'profile-stop' (writes a V8 CPU profile to the message's `file`), 'stop'.
'use strict';

process.env.NODE_ENV = 'production';

const { readFileSync, writeFileSync } = require('node:fs');
const { Session } = require('node:inspector/promises');

async function startGatewayServer() {
  const { gatewayConfig, startGateway } = require(process.env.BENCH_SERVE_GATEWAY || '@kentaur/gateway');
  const gateway = await startGateway(gatewayConfig(JSON.parse(process.env.BENCH_SERVE_CONFIG ?? '{}')));
  return { url: gateway.url, close: () => gateway.stop() };
}

/**
 * Fastify + Mercurius answering `{ hello }`, and `workloads(first: 50)` with a page held in memory,
 * byte for byte the gateway's answer: what this stack costs for that response, without
 * authentication, tenant scoping, Nest or the cache behind it.
 */
async function startBareServer() {
  const fastify = require('fastify');
  const mercurius = require('mercurius');
  const { JIT_MIN_USES } = require('@kentaur/gateway');
  const file = process.env.BENCH_SERVE_PAGE_FILE;
  const page = file ? JSON.parse(readFileSync(file, 'utf8')) : null;
  const app = fastify();
  await app.register(mercurius, {
    schema: `
      type Workload { id: ID! name: String! phase: String! }
      type WorkloadEdge { node: Workload! }
      type PageInfo { hasNextPage: Boolean! }
      type WorkloadConnection { edges: [WorkloadEdge!]! pageInfo: PageInfo! }
      type Query { hello: String, workloads(first: Int): WorkloadConnection! }`,
    resolvers: { Query: { hello: () => 'world', workloads: () => page } },
    // As the gateway does: a query used often is compiled.
    jit: { minCount: JIT_MIN_USES, eluThreshold: 0.9 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/**
 * `{ hello }` through the gateway's framework with nothing of the gateway: a Nest application on
 * the Fastify adapter with the Mercurius driver, set up as the gateway sets them up (no Nest
 * middleware, Fastify's own body parser, compiled queries, a code-first schema), one resolver, no
 * guard, hook, authentication, metrics or log. Against the bare `{ hello }` it is what Nest adds to
 * a request; against it, the gateway's `{ __typename }` is what the gateway's own code adds.
 */
async function startNestServer() {
  require('reflect-metadata');
  const { Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { FastifyAdapter } = require('@nestjs/platform-fastify');
  const { GraphQLModule, Query, Resolver } = require('@nestjs/graphql');
  const { MercuriusDriver } = require('@nestjs/mercurius');
  const { JIT_MIN_USES } = require('@kentaur/gateway');
  // Plain JavaScript: the decorators applied as TypeScript would apply them.
  class HelloResolver {
    hello() {
      return 'world';
    }
  }
  const hello = Object.getOwnPropertyDescriptor(HelloResolver.prototype, 'hello');
  Reflect.decorate([Query(() => String)], HelloResolver.prototype, 'hello', hello);
  Reflect.decorate([Resolver()], HelloResolver);
  class HelloModule {}
  Reflect.decorate(
    [
      Module({
        imports: [
          GraphQLModule.forRoot({
            driver: MercuriusDriver,
            autoSchemaFile: true,
            path: '/graphql',
            jit: { minCount: JIT_MIN_USES, eluThreshold: 0.9 },
          }),
        ],
        providers: [HelloResolver],
      }),
    ],
    HelloModule,
  );
  const app = await NestFactory.create(HelloModule, new FastifyAdapter({ skipMiddie: true }), {
    logger: ['warn', 'error'],
    bodyParser: false,
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

const SERVERS = { gateway: startGatewayServer, bare: startBareServer, nest: startNestServer };

async function main() {
  const kind = process.argv[2];
  if (!SERVERS[kind]) throw new Error(`serve.js: unknown server ${kind}`);
  const server = await SERVERS[kind]();
  const session = new Session();
  session.connect();
  const ops = {
    memory: () => process.memoryUsage(),
    cpu: () => process.cpuUsage(),
    'profile-start': async () => {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    'profile-stop': async (m) => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(m.file, JSON.stringify(profile));
    },
    stop: async () => {
      await server.close();
      session.disconnect();
      setImmediate(() => process.exit(0));
    },
  };
  process.on('message', (m) => {
    const op = ops[m.op];
    Promise.resolve()
      .then(() => (op ? op(m) : Promise.reject(new Error(`unknown op ${m.op}`))))
      .then(
        (result) => process.send({ id: m.id, result }),
        (e) => process.send({ id: m.id, error: String(e && e.stack ? e.stack : e) }),
      );
  });
  // The parent gone: nothing left to serve.
  process.on('disconnect', () => process.exit(0));
  process.send({ listening: server.url });
}

main().catch((e) => {
  process.stderr.write(`serve.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
