import http from 'node:http';
import https from 'node:https';

/**
 * GETs a health endpoint and resolves with its HTTP status, or 0 when nothing answers.
 * `ca` pins the CA; without it the loopback component's self-signed certificate is accepted
 * (kube-scheduler and kube-controller-manager generate their own serving certificates).
 */
export function probe(
  url: string,
  opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; timeoutMs?: number } = {},
): Promise<number> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(
      u,
      {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.ca !== undefined,
        timeout: opts.timeoutMs ?? 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export async function waitHealthy(
  component: string,
  url: string,
  opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; timeoutMs: number; isRunning: () => boolean },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if ((await probe(url, opts)) === 200) return;
    if (!opts.isRunning()) throw new Error(`${component} exited during start-up`);
    if (Date.now() > deadline)
      throw new Error(`${component} did not become healthy at ${url} within ${opts.timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
