import { Writable } from 'node:stream';
import fastify from 'fastify';
import { gatewayLogging } from './logging';
import { RequestLogger } from './request-logger';

const servers: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A Fastify app with the gateway's logging, its lines kept as parsed JSON. */
async function app(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const server = fastify(gatewayLogging(level, stream));
  servers.push(server);
  let logger: unknown;
  server.get('/quiet', (req, reply) => {
    logger = req.log;
    return reply.send({ ok: true });
  });
  server.get('/logs', (req, reply) => {
    req.log.warn(
      {
        token: 'secret-token-1',
        headers: { authorization: 'Bearer secret-2' },
        key: { apiKey: 'secret-3' },
      },
      'noted',
    );
    return reply.send({ ok: true });
  });
  server.get('/fails', () => {
    throw new Error('broken');
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  lines.length = 0; // Fastify's "Server listening" line
  /** A real HTTP request; the access line is written once the response has been sent. */
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    await response.text();
    await new Promise((r) => setTimeout(r, 20));
    return response.status;
  };
  return { lines, get, logger: () => logger };
}

describe('gateway logging', () => {
  it('writes one access line per request, in the shape of pino lines, without the query string', async () => {
    const { lines, get } = await app('info');
    expect(await get('/quiet?query=%7B%20me%20%7D')).toBe(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      reqId: expect.any(String),
      method: 'GET',
      url: '/quiet',
      status: 200,
      ms: expect.any(Number),
      msg: 'request',
    });
    expect(Math.abs((lines[0]!['time'] as number) - Date.now())).toBeLessThan(10_000);
  });

  it('makes no request logger for a request that logs nothing', async () => {
    const { get, logger } = await app('info');
    await get('/quiet');
    const made = logger() as RequestLogger;
    expect(made).toBeInstanceOf(RequestLogger);
    expect((made as unknown as { made?: unknown }).made).toBeUndefined();
    expect(made.level).toBe('info');
  });

  it("binds a request's own lines to its id and redacts tokens in them", async () => {
    const { lines, get } = await app('info');
    await get('/logs');
    const [noted, access] = lines;
    expect(noted).toMatchObject({ level: 40, msg: 'noted', token: '[redacted]' });
    expect(noted!['headers']).toEqual({ authorization: '[redacted]' });
    expect(noted!['key']).toEqual({ apiKey: '[redacted]' });
    expect(noted!['reqId']).toBe(access!['reqId']);
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('logs a failed request at error, and its access line with the status answered', async () => {
    const { lines, get } = await app('info');
    expect(await get('/fails')).toBe(500);
    const [error, access] = lines;
    expect(error).toMatchObject({ level: 50, err: { message: 'broken' } });
    expect(access).toMatchObject({ level: 30, msg: 'request', status: 500, reqId: error!['reqId'] });
    expect(lines).toHaveLength(2);
  });

  it.each(['warn', 'error', 'silent'])('writes no access line at level %s', async (level) => {
    const { lines, get } = await app(level);
    await get('/quiet');
    expect(lines).toEqual([]);
  });

  it('writes access lines at levels below info', async () => {
    const { lines, get } = await app('debug');
    await get('/quiet');
    expect(lines.map((l) => l['msg'])).toEqual(['request']);
  });
});
