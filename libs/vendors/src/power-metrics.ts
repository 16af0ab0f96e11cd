/**
 * Where each vendor's exporter publishes device power, from accelerator-vendors.md §7, as data: the
 * controller meters energy from these when it is given a Prometheus that scrapes the exporters.
 * Each series is one device; `toWatts` converts its unit. The series must carry the node's name in
 * a label (`node` by default: the relabelling kube-prometheus-stack's ServiceMonitors apply from
 * `__meta_kubernetes_pod_node_name`).
 */
export interface PowerMetric {
  readonly exporter: string;
  readonly metric: string;
  /** Factor from the metric's unit to watts. */
  readonly toWatts: number;
}

export const POWER_METRICS: Readonly<Record<string, readonly PowerMetric[]>> = {
  nvidia: [{ exporter: 'DCGM exporter', metric: 'DCGM_FI_DEV_POWER_USAGE', toWatts: 1 }],
  amd: [
    // MI3xx report socket power; MI2xx and Radeon the average; gpu_power_usage on the others.
    { exporter: 'AMD device-metrics-exporter', metric: 'gpu_package_power', toWatts: 1 },
    { exporter: 'AMD device-metrics-exporter', metric: 'gpu_average_package_power', toWatts: 1 },
    { exporter: 'AMD device-metrics-exporter', metric: 'gpu_power_usage', toWatts: 1 },
  ],
  intel: [
    { exporter: 'Gaudi metric exporter', metric: 'habanalabs_power_mW', toWatts: 0.001 },
    { exporter: 'XPU Manager v2 (xpumd)', metric: 'hw_power_watts', toWatts: 1 },
    { exporter: 'XPU Manager v1', metric: 'xpum_power_watts', toWatts: 1 },
  ],
};

export interface PowerQueryOptions {
  /** The label that names the node (default `node`). */
  nodeLabel?: string;
  /** The window power is averaged over, in seconds (default 60). */
  windowSeconds?: number;
}

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * PromQL for the average power of one device on each node, in watts, over the last window: one
 * series per node, labelled with `nodeLabel`. The first metric a node has wins (`or`). Undefined
 * for a vendor without a known exporter (catalog power applies).
 */
export function powerQuery(vendor: string, o: PowerQueryOptions = {}): string | undefined {
  const metrics = POWER_METRICS[vendor];
  if (!metrics) return undefined;
  const node = o.nodeLabel ?? 'node';
  const window = o.windowSeconds ?? 60;
  if (!LABEL.test(node)) throw new RangeError(`power nodeLabel "${node}" is not a Prometheus label name`);
  if (!(Number.isInteger(window) && window > 0))
    throw new RangeError(`power windowSeconds ${window} is not a positive whole number of seconds`);
  return metrics
    .map((m) => {
      const avg = `avg by (${node}) (avg_over_time(${m.metric}{${node}!=""}[${window}s]))`;
      return m.toWatts === 1 ? avg : `${avg} * ${m.toWatts}`;
    })
    .join(' or ');
}
