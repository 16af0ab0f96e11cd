import { groupOf, summarisePprofTop } from '../bench/apiserver-profile';

// The layout of `go tool pprof -top` (Go 1.26) over a CPU profile of kube-apiserver.
const TOP = `File: kube-apiserver
Build ID: b630167580eb1535e06be3623dcb8ab851e39f54
Type: cpu
Time: 2026-12-07 11:30:00 UTC
Duration: 30s, Total samples = 24s (80.00%)
Showing nodes accounting for 24s, 100% of 24s total
      flat  flat%   sum%        cum   cum%
        6s 25.00% 25.00%         8s 33.33%  runtime.scanobject
        3s 12.50% 37.50%         3s 12.50%  internal/runtime/syscall.Syscall6
     2.40s 10.00% 47.50%      2.40s 10.00%  runtime.futex
     1.20s  5.00% 52.50%         4s 16.67%  encoding/json.(*decodeState).object
     1.20s  5.00% 57.50%      1.20s  5.00%  crypto/internal/fips140/aes/gcm.gcmAesEnc
     1.20s  5.00% 62.50%      1.20s  5.00%  k8s.io/api/core/v1.(*PodSpec).Unmarshal
   1200ms  5.00% 67.50%     1200ms  5.00%  sigs.k8s.io/structured-merge-diff/v6/fieldpath.(*Set).Insert
      1.2s  5.00% 72.50%       2.4s 10.00%  go.etcd.io/etcd/client/v3.(*kv).Do
     600ms  2.50% 75.00%      600ms  2.50%  k8s.io/apiserver/pkg/storage/cacher.(*watchCache).processEvent
     600ms  2.50% 77.50%      600ms  2.50%  reflect.Value.Field
     600ms  2.50% 80.00%      600ms  2.50%  net/http.(*conn).serve
     600ms  2.50% 82.50%      600ms  2.50%  k8s.io/apiserver/pkg/admission/plugin/policy/validating.(*dispatcher).Dispatch
     600ms  2.50% 85.00%      600ms  2.50%  k8s.io/apiserver/pkg/util/flowcontrol.(*configController).Handle
     600ms  2.50% 87.50%      600ms  2.50%  github.com/prometheus/client_golang/prometheus.(*histogram).Observe
     600ms  2.50% 90.00%      600ms  2.50%  k8s.io/kubernetes/pkg/apis/core/validation.ValidatePodSpec
     600ms  2.50% 92.50%      600ms  2.50%  k8s.io/kubernetes/pkg/apis/core/v1.Convert_v1_PodSpec_To_core_PodSpec
     600ms  2.50% 95.00%      600ms  2.50%  k8s.io/apiserver/pkg/endpoints/handlers.(*patcher).patchResource
     600ms  2.50% 97.50%      600ms  2.50%  k8s.io/apiserver/pkg/authorization/union.unionAuthzHandler.Authorize
     600ms  2.50%   100%      600ms  2.50%  github.com/google/uuid.New
`;

describe('summarisePprofTop', () => {
  const s = summarisePprofTop(TOP, 3);

  it('adds up the flat time of every function, and the cores kept busy over the duration', () => {
    expect(s.sampledSeconds).toBe(24);
    expect(s.durationSeconds).toBe(30);
    expect(s.cores).toBe(0.8);
  });

  it('groups the flat time by what it was spent on, largest first, shares adding up to one', () => {
    expect(s.groups[0]).toEqual({ group: 'memory allocation and garbage collection', share: 0.25 });
    expect(s.groups[1]).toEqual({ group: 'system calls (sockets)', share: 0.125 });
    const shares = Object.fromEntries(s.groups.map((g) => [g.group, g.share]));
    expect(shares).toMatchObject({
      'Go runtime: scheduling, maps, copies': 0.1,
      'JSON encoding': 0.05,
      'TLS and crypto': 0.05,
      'protobuf encoding': 0.05,
      'managed fields (structured-merge-diff)': 0.05,
      'etcd client and gRPC': 0.05,
      'watch cache': 0.025,
      reflection: 0.025,
      'HTTP and network': 0.025,
      admission: 0.025,
      'priority and fairness': 0.025,
      metrics: 0.025,
      validation: 0.025,
      'conversion, defaulting and deep copies': 0.025,
      'other Kubernetes code': 0.025,
      'authentication and authorization': 0.025,
      other: 0.025,
    });
    expect(s.groups.reduce((a, g) => a + g.share, 0)).toBeCloseTo(1, 6);
  });

  it('lists the functions with the most flat time', () => {
    expect(s.top).toEqual([
      { fn: 'runtime.scanobject', share: 0.25 },
      { fn: 'internal/runtime/syscall.Syscall6', share: 0.125 },
      { fn: 'runtime.futex', share: 0.1 },
    ]);
  });

  it('reads nothing from text that is not pprof output', () => {
    const empty = summarisePprofTop('go: no such tool "pprof"\n');
    expect(empty).toEqual({
      sampledSeconds: 0,
      durationSeconds: undefined,
      cores: undefined,
      groups: [],
      top: [],
    });
  });
});

describe('groupOf', () => {
  it.each([
    ['runtime.mallocgc', 'memory allocation and garbage collection'],
    ['runtime.(*mspan).heapBitsSmallForAddr', 'memory allocation and garbage collection'],
    ['runtime.memmove', 'Go runtime: scheduling, maps, copies'],
    ['internal/runtime/maps.ctrlGroup.matchH2 (inline)', 'Go runtime: scheduling, maps, copies'],
    ['aeshashbody', 'Go runtime: scheduling, maps, copies'],
    ['internal/runtime/syscall/linux.Syscall6', 'system calls (sockets)'],
    ['k8s.io/api/core/v1.(*ObjectMeta).MarshalToSizedBuffer', 'protobuf encoding'],
    ['k8s.io/api/core/v1.(*Pod).DeepCopyInto', 'conversion, defaulting and deep copies'],
    ['k8s.io/apiserver/pkg/registry/generic/registry.(*Store).Update', 'other Kubernetes code'],
  ])('%s is counted as %s', (fn, group) => {
    expect(groupOf(fn)).toBe(group);
  });
});
