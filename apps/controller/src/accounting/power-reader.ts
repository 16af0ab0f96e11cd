import { powerQuery } from '@kentaur/vendors';

/** Measured power: a Prometheus that scrapes the vendors' exporters (DCGM, AMD, Gaudi, XPU Manager). */
export interface PowerConfig {
  /** Base URL of the Prometheus HTTP API (may hold credentials: never logged). */
  prometheusUrl: string;
  /** The label that carries the node's name on the exporters' series (default `node`). */
  nodeLabel?: string;
  /** The window power is averaged over, in seconds (default 60). */
  windowSeconds?: number;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
}

interface VectorResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** The URL with any user and password removed: what errors may show. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/**
 * Reads the average power of one device on each node from Prometheus, one instant query per vendor
 * present. A node with no series is simply absent (its devices fall back to catalog power).
 */
export class PowerReader {
  /** The API's base URL without credentials, ending in a slash. */
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(private readonly config: PowerConfig) {
    const u = new URL(config.prometheusUrl);
    this.authorization =
      u.username || u.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
        : undefined;
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/?$/, '/');
  }

  /** Watts per device by node, for the vendors given; throws with the vendor and the cause when a query fails. */
  async wattsPerDevice(vendors: Iterable<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const nodeLabel = this.config.nodeLabel ?? 'node';
    for (const vendor of new Set(vendors)) {
      const query = powerQuery(vendor, { nodeLabel, windowSeconds: this.config.windowSeconds });
      if (!query) continue;
      for (const s of await this.query(vendor, query)) {
        const node = s.metric[nodeLabel];
        const watts = Number(s.value[1]);
        if (node && Number.isFinite(watts) && watts >= 0) out.set(node, watts);
      }
    }
    return out;
  }

  private async query(vendor: string, query: string) {
    const url = new URL('api/v1/query', this.base);
    url.searchParams.set('query', query);
    const where = `power of ${vendor} from ${redactedUrl(this.config.prometheusUrl)}`;
    let body: VectorResponse;
    try {
      const res = await fetch(url, {
        headers: this.authorization ? { authorization: this.authorization } : {},
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 5000),
      });
      body = (await res.json()) as VectorResponse;
      if (!res.ok || body.status !== 'success')
        throw new Error(`HTTP ${res.status}: ${body.error ?? body.status}`);
    } catch (e) {
      throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (body.data?.resultType !== 'vector') throw new Error(`${where}: not an instant vector`);
    return body.data.result;
  }
}
