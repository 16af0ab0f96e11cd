import { POWER_METRICS, powerQuery } from './power-metrics';

describe('powerQuery', () => {
  it('averages DCGM power per device by node over the window', () => {
    expect(powerQuery('nvidia', { windowSeconds: 30 })).toBe(
      'avg by (node) (avg_over_time(DCGM_FI_DEV_POWER_USAGE{node!=""}[30s]))',
    );
  });

  it('takes the first metric a node has, converting milliwatts', () => {
    const q = powerQuery('intel', { nodeLabel: 'kubernetes_node' })!;
    expect(q.split(' or ')).toEqual([
      'avg by (kubernetes_node) (avg_over_time(habanalabs_power_mW{kubernetes_node!=""}[60s])) * 0.001',
      'avg by (kubernetes_node) (avg_over_time(hw_power_watts{kubernetes_node!=""}[60s]))',
      'avg by (kubernetes_node) (avg_over_time(xpum_power_watts{kubernetes_node!=""}[60s]))',
    ]);
  });

  it('has none for a vendor without a known exporter', () => {
    expect(powerQuery('tenstorrent')).toBeUndefined();
  });

  it.each([
    [{ nodeLabel: 'node"} or vector(1) #' }, /nodeLabel .* is not a Prometheus label name/],
    [{ windowSeconds: 0 }, /windowSeconds 0 is not a positive whole number/],
    [{ windowSeconds: 1.5 }, /windowSeconds 1.5/],
  ])('refuses %j', (o, message) => {
    expect(() => powerQuery('nvidia', o)).toThrow(message);
  });

  it('names the metrics of accelerator-vendors.md §7 for the three vendors with exporters', () => {
    expect(Object.keys(POWER_METRICS).sort()).toEqual(['amd', 'intel', 'nvidia']);
    expect(POWER_METRICS.amd!.map((m) => m.metric)).toContain('gpu_package_power');
  });
});
