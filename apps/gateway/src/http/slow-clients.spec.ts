import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { SlowClients } from './slow-clients';

const TIMEOUTS = { requestMs: 400, checkIntervalMs: 50 };

/** A plain Node HTTP server guarded by SlowClients, `answered` called when a response finishes. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handle);
  const guard = new SlowClients(server, TIMEOUTS);
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    res.once('finish', () => guard.answered(req)),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    guard,
    port,
    async close() {
      guard.stop();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Reads the body, then answers `ok` after `delayMs`. */
const readThenAnswer = (delayMs: number) => (req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.once('end', () => setTimeout(() => res.end('ok'), delayMs));
};

/** A raw connection, with what it received and when (ms after connecting) it was closed. */
async function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const start = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => Date.now() - start);
  return { socket, closed, received: () => received };
}

describe('SlowClients', () => {
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('closes a connection that never sends its first request', async () => {
    server = await serve(readThenAnswer(0));
    const c = await rawConnection(server.port);
    const closedAfter = await c.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUTS.requestMs - 50);
    expect(closedAfter).toBeLessThan(TIMEOUTS.requestMs * 5);
    expect(c.received()).toBe('');
  });

  it('cuts off a request whose body arrives a byte at a time', async () => {
    server = await serve(readThenAnswer(0));
    const c = await rawConnection(server.port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    const drip = setInterval(() => c.socket.write('a'), 50);
    try {
      const closedAfter = await c.closed;
      expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUTS.requestMs - 50);
      expect(closedAfter).toBeLessThan(TIMEOUTS.requestMs * 5);
    } finally {
      clearInterval(drip);
    }
    expect(c.received()).toBe('');
    expect(server.guard.watched).toBe(0);
  });

  it('lets a request whose body arrived wait longer than the deadline for its answer', async () => {
    server = await serve(readThenAnswer(TIMEOUTS.requestMs * 2));
    const res = await fetch(`http://127.0.0.1:${server.port}/`, { method: 'POST', body: 'whole body' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('watches a request until it is answered, then no longer', async () => {
    let answer: (() => void) | undefined;
    server = await serve((req, res) => {
      req.resume();
      answer = () => res.end('ok');
    });
    const c = await rawConnection(server.port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => answer !== undefined);
    expect(server.guard.watched).toBe(1);
    answer!();
    await waitUntil(() => c.received().includes('ok'));
    expect(server.guard.watched).toBe(0);
    // The kept-alive connection is not cut off by the first request's deadline.
    await new Promise((r) => setTimeout(r, TIMEOUTS.requestMs + TIMEOUTS.checkIntervalMs * 3));
    expect(c.socket.destroyed).toBe(false);
    c.socket.destroy();
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const until = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
