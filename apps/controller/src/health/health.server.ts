import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthChecks {
  /** Alive: the process answers. */
  live: () => boolean;
  /** Ready: caches synced; the controller can act on what it sees. */
  ready: () => boolean;
}

/** /healthz and /readyz on a small HTTP server of its own (no framework needed for two routes). */
export class HealthServer {
  private server: Server | undefined;

  constructor(private readonly checks: HealthChecks) {}

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const check =
        path === '/healthz' || path === '/livez'
          ? this.checks.live
          : path === '/readyz'
            ? this.checks.ready
            : undefined;
      if (!check) {
        res.writeHead(404).end('not found\n');
        return;
      }
      const ok = check();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
