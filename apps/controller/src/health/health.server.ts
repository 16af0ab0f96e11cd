import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthChecks {
  /** Alive: the process answers. */
  live: () => boolean;
  /** Ready: caches synced; the controller can act on what it sees. */
  ready: () => boolean;
  /** Prometheus metrics in the text exposition format, served on /metrics. */
  metrics?: { contentType: string; render: () => Promise<string> };
}

/** /healthz, /readyz and /metrics on a small HTTP server of its own (no framework needed for two routes). */
export class HealthServer {
  private server: Server | undefined;

  constructor(private readonly checks: HealthChecks) {}

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const metrics = this.checks.metrics;
      if (path === '/metrics' && metrics) {
        metrics.render().then(
          (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
          () => res.writeHead(500).end('metrics failed\n'),
        );
        return;
      }
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
