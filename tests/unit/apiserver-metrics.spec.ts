import { apiServerWork, parseApiServerMetrics } from '../bench/apiserver-metrics';

const text = (pods: number, statusPatches: number, cpu: number) => `# HELP process_cpu_seconds_total x
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total ${cpu}
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} ${pods}
apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} ${statusPatches}
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="LIST",version="v1"} 999
apiserver_request_duration_seconds_sum{component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} ${pods * 0.01}
apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} ${pods}
apiserver_request_duration_seconds_sum{component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="LIST",version="v1"} 50
apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="LIST",version="v1"} 999
`;

describe('the API server metrics of the e2e benchmark', () => {
  it('counts mutating requests by verb and resource, every code together, and no reads', () => {
    const s = parseApiServerMetrics(text(10, 30, 4.5));
    expect(s.cpuSeconds).toBe(4.5);
    expect([...s.writes]).toEqual([
      ['POST pods', 11],
      ['PATCH pods/status', 30],
    ]);
    expect(s.writeSeconds.count).toBe(10);
    expect(s.writeSeconds.sum).toBeCloseTo(0.1);
  });

  it('reports the work between two samples per pod and per second, largest first', () => {
    const work = apiServerWork(
      parseApiServerMetrics(text(10, 30, 4)),
      parseApiServerMetrics(text(110, 330, 24)),
      {
        seconds: 20,
        pods: 100,
      },
    );
    expect(work).toEqual({
      cpuCoresAverage: 1,
      writesPerSecond: 20,
      writesPerPod: 4,
      meanWriteMs: 10,
      topWritesPerPod: [
        { what: 'PATCH pods/status', perPod: 3, total: 300 },
        { what: 'POST pods', perPod: 1, total: 100 },
      ],
    });
  });
});
