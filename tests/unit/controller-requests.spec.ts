import { ControllerMetrics } from '../../apps/controller/src/metrics/controller-metrics';
import { apiRequestsByResource, requestsPerAdmission } from '../bench/bench-controller';

describe("the controller's API requests in the e2e benchmark", () => {
  it('reads them from its /metrics by verb and resource, every status code together', async () => {
    const metrics = new ControllerMetrics();
    const observe = metrics.apiObserver();
    const remote = metrics.apiObserver('it-1');
    observe('PUT', 200, 0.01, 'workloads/status');
    observe('PUT', 409, 0.01, 'workloads/status');
    observe('POST', 201, 0.02, 'jobs');
    observe('GET', 200, 0.001, 'other');
    remote('POST', 201, 0.02, 'jobs'); // a remote site's requests count with the management cluster's
    const before = apiRequestsByResource(await metrics.registry.metrics());
    expect([...before].sort()).toEqual([
      ['GET other', 1],
      ['POST jobs', 2],
      ['PUT workloads/status', 2],
    ]);
    for (let i = 0; i < 6; i++) observe('PUT', 200, 0.01, 'workloads/status');
    for (let i = 0; i < 2; i++) observe('POST', 201, 0.02, 'jobs');
    observe('POST', 201, 0.02, 'services');
    const after = apiRequestsByResource(await metrics.registry.metrics());
    expect(requestsPerAdmission(before, after, 2)).toEqual([
      { what: 'PUT workloads/status', total: 6, perAdmission: 3 },
      { what: 'POST jobs', total: 2, perAdmission: 1 },
      { what: 'POST services', total: 1, perAdmission: 0.5 },
    ]);
  });

  it('labels each request with its site: empty for the management cluster, the name for a remote one', async () => {
    const metrics = new ControllerMetrics();
    metrics.apiObserver()('POST', 201, 0.02, 'jobs');
    metrics.apiObserver('it-1')('POST', 500, 0.3, 'jobs');
    const text = await metrics.registry.metrics();
    expect(text).toContain('kentaur_api_requests_total{verb="POST",code="201",resource="jobs",site=""} 1');
    expect(text).toContain(
      'kentaur_api_requests_total{verb="POST",code="500",resource="jobs",site="it-1"} 1',
    );
    expect(text).toContain('kentaur_api_request_duration_seconds_count{verb="POST",site="it-1"} 1');
  });
});
