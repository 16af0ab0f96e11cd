import { metricSum } from '../bench/bench-controller';

const TEXT = [
  '# HELP kentaur_gateway_request_duration_seconds GraphQL requests.',
  'kentaur_gateway_request_duration_seconds_bucket{le="1",operation="quote",status="200"} 7',
  'kentaur_gateway_request_duration_seconds_bucket{le="10",operation="quote",status="200"} 9',
  'kentaur_gateway_request_duration_seconds_bucket{le="1",operation="workload",status="200"} 40',
  'kentaur_gateway_request_duration_seconds_count{operation="quote",status="200"} 9',
  'kentaur_gateway_request_duration_seconds_count{operation="quote",status="500"} 1',
  'kentaur_gateway_request_duration_seconds_count{operation="workload",status="200"} 40',
  'kentaur_gateway_nodejs_eventloop_lag_max_seconds 0.25',
].join('\n');

describe('metricSum: samples of one metric in a Prometheus text exposition', () => {
  it.each([
    ['every sample of a name', 'kentaur_gateway_request_duration_seconds_count', {}, 50],
    ['a name without labels', 'kentaur_gateway_nodejs_eventloop_lag_max_seconds', {}, 0.25],
    ['samples with a label', 'kentaur_gateway_request_duration_seconds_count', { operation: 'quote' }, 10],
    [
      'samples with every label given (le="1" is not le="10")',
      'kentaur_gateway_request_duration_seconds_bucket',
      { operation: 'quote', le: '1' },
      7,
    ],
    ['a prefix of another name is not that name', 'kentaur_gateway_request_duration_seconds', {}, 0],
    ['a label no sample has', 'kentaur_gateway_request_duration_seconds_count', { operation: 'me' }, 0],
  ])('%s', (_name, metric, labels, sum) => {
    expect(metricSum(TEXT, metric, labels)).toBe(sum);
  });
});
