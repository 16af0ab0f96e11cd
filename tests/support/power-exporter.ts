import { createServer, type Server } from 'node:http';

/**
 * A stand-in for a vendor's power exporter on hardware the sandbox does not have (its KWOK nodes
 * have no devices to read): a real HTTP server that answers /metrics in the Prometheus text format
 * with the metric and labels of the real exporter (accelerator-vendors.md §7), one series per device,
 * labelled with the node as kube-prometheus relabelling does. A real Prometheus scrapes it.
 */
export interface PowerExporter {
  /** host:port, for a scrape target. */
  address: string;
  stop(): Promise<void>;
}

export async function startPowerExporter(o: {
  metric: string;
  nodes: readonly string[];
  /** Power of each device on a node (its average is what the controller reads per device). */
  wattsPerGpu: readonly number[];
}): Promise<PowerExporter> {
  const body =
    `# HELP ${o.metric} Device power.\n# TYPE ${o.metric} gauge\n` +
    o.nodes
      .flatMap((node) => o.wattsPerGpu.map((w, gpu) => `${o.metric}{node="${node}",gpu_id="${gpu}"} ${w}\n`))
      .join('');
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise((ok) => server.close(() => ok())),
  };
}
