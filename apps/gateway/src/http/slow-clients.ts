import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpTimeouts } from '../config';

/**
 * Deadlines for slow clients beside Node's requestTimeout, whose own check was observed to miss
 * two kinds of them (each held its connection for good in tests/chaos/hostile-input.test.ts):
 * connections that never complete their first request's headers while other clients are served,
 * and requests whose body arrives a byte at a time. A connection must bring its first request (or
 * WebSocket upgrade), and a request its whole body, within `requestMs`.
 *
 * It works on the HTTP server's own events, not on Fastify hooks: each hook a route has costs every
 * request a turn of Fastify's hook runner, and an `onRequestAbort` hook a `close` listener more
 * (`npm run bench -- gateway`). A request is watched from its `request` event until the gateway
 * calls `answered` (from its one `onResponse` hook) or its deadline passes. Requests are swept by
 * deadline: insertion order is deadline order, so one sweep every `checkIntervalMs` looks only at
 * the expired ones (a timer per request cost a few percent of a small query's CPU time). An
 * expired request is cut off only if its body is still arriving (`complete` is false); one whose
 * body arrived and whose answer takes long (or that the client gave up) is just forgotten.
 */
export class SlowClients {
  private readonly firstRequest = new WeakMap<Socket, NodeJS.Timeout>();
  private readonly receiving = new Map<IncomingMessage, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    server: Server,
    private readonly timeouts: Pick<HttpTimeouts, 'requestMs' | 'checkIntervalMs'>,
  ) {
    server.on('connection', (socket: Socket) => {
      const deadline = setTimeout(() => socket.destroy(), timeouts.requestMs).unref();
      this.firstRequest.set(socket, deadline);
      socket.once('close', () => clearTimeout(deadline));
    });
    // Before the server's own handler, so that a request is watched before anything answers it.
    server.prependListener('request', (req: IncomingMessage) => {
      clearTimeout(this.firstRequest.get(req.socket));
      this.receiving.set(req, Date.now() + timeouts.requestMs);
    });
    server.on('upgrade', (req: IncomingMessage) => clearTimeout(this.firstRequest.get(req.socket)));
    this.sweeper = setInterval(() => this.sweep(Date.now()), timeouts.checkIntervalMs).unref();
  }

  /** The request has been answered: it is no longer watched. */
  answered(req: IncomingMessage): void {
    this.receiving.delete(req);
  }

  /** Requests watched now (answered ones are not). */
  get watched(): number {
    return this.receiving.size;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(now: number): void {
    for (const [req, deadline] of this.receiving) {
      if (deadline > now) break;
      this.receiving.delete(req);
      if (!req.destroyed && !req.complete) req.destroy();
    }
  }
}
