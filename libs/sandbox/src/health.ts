import { readFileSync } from 'node:fs';
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
  opts: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    timeoutMs: number;
    isRunning: () => boolean;
    /** Its log: the last lines go into the error, which then says why it exited or hangs. */
    logFile?: string;
  },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const fail = (why: string) =>
    new Error(opts.logFile ? `${why}\n--- last lines of ${opts.logFile} ---\n${logTail(opts.logFile)}` : why);
  for (;;) {
    if ((await probe(url, opts)) === 200) return;
    if (!opts.isRunning()) throw fail(`${component} exited during start-up`);
    if (Date.now() > deadline)
      throw fail(`${component} did not become healthy at ${url} within ${opts.timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The last lines of a log file, or "(no log)". */
export function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
