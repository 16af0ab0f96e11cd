import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFromApiServer } from './apiserver-metrics';

/**
 * A CPU profile of kube-apiserver, the component that bounds the end-to-end rate on this machine
 * (issue #8): Go's /debug/pprof/profile, read as the sandbox's administrator while the benchmark
 * runs (the sandbox serves it only when started with KENTAUR_TEST_APISERVER_PROFILING=1, which
 * `BENCH_E2E_APISERVER_PROFILE=<dir> npm run bench -- e2e` sets), then summarised with
 * `go tool pprof -top` by what the time was spent on.
 */

/** Fetches `seconds` of CPU profile; resolves with the profile's bytes (gzipped protobuf). */
export function fetchApiServerProfile(kubeconfig: string, seconds: number): Promise<Buffer> {
  return getFromApiServer(kubeconfig, `/debug/pprof/profile?seconds=${seconds}`, {
    timeoutMs: (seconds + 30) * 1000,
    hint: "is the sandbox's kube-apiserver started with --profiling=true? set KENTAUR_TEST_APISERVER_PROFILING=1",
  });
}

/** What a function's time is counted as, by its package and name; the first rule that matches. */
const GROUPS: readonly [string, RegExp][] = [
  [
    'memory allocation and garbage collection',
    /^runtime\.(gc|scan|grey|mark|sweep|malloc|memclr|heap|findObject|wb|bulkBarrier|typePointers|spanOf|nextFree|deductAssist|newobject|makeslice|growslice|roundupsize|refill|\(\*(mspan|mheap|mcache|mcentral|gcWork|gcBits|gcControllerState|sweepLocked|pageAlloc|fixalloc|spanSet|mSpanStateBox)\))/,
  ],
  [
    'system calls (sockets)',
    /^(syscall\.|internal\/runtime\/syscall|runtime\/internal\/syscall|internal\/poll\.)/,
  ],
  // The runtime's maps, hashing and copies too (its assembly routines are named without a package).
  [
    'Go runtime: scheduling, maps, copies',
    /^(runtime\.|internal\/runtime\/|aeshash|memeqbody|cmpbody|indexbyte)/,
  ],
  ['TLS and crypto', /^(crypto\/|golang\.org\/x\/crypto\/)/],
  [
    'managed fields (structured-merge-diff)',
    /^(sigs\.k8s\.io\/structured-merge-diff|k8s\.io\/apimachinery\/pkg\/util\/managedfields|k8s\.io\/apiserver\/pkg\/endpoints\/handlers\/fieldmanager)/,
  ],
  [
    'protobuf encoding',
    /^(google\.golang\.org\/protobuf|github\.com\/gogo\/protobuf|k8s\.io\/apimachinery\/pkg\/runtime\/serializer\/protobuf|k8s\.io\/(api|apimachinery\/pkg\/apis)\/.*\.(Unmarshal|Marshal|MarshalToSizedBuffer|Size)$|k8s\.io\/(api|apimachinery\/pkg\/apis)\/.*\.(encodeVarint|sov|skip))/,
  ],
  [
    'JSON encoding',
    /^(encoding\/json|sigs\.k8s\.io\/json|github\.com\/json-iterator|github\.com\/modern-go|k8s\.io\/apimachinery\/pkg\/util\/json|k8s\.io\/apimachinery\/pkg\/runtime\/serializer\/json|k8s\.io\/apimachinery\/pkg\/apis\/meta\/v1\/unstructured)/,
  ],
  ['reflection', /^(reflect\.|internal\/reflectlite)/],
  ['etcd client and gRPC', /^(go\.etcd\.io\/|google\.golang\.org\/grpc)/],
  ['HTTP and network', /^(net\/|net\.|golang\.org\/x\/net\/|bufio\.|compress\/|io\.)/],
  ['watch cache', /^k8s\.io\/apiserver\/pkg\/storage\/cacher/],
  ['admission', /^(k8s\.io\/apiserver\/pkg\/admission|k8s\.io\/kubernetes\/plugin\/pkg\/admission)/],
  [
    'authentication and authorization',
    /^(k8s\.io\/apiserver\/pkg\/(authentication|authorization|endpoints\/filters\/(authn|authz))|k8s\.io\/kubernetes\/plugin\/pkg\/auth|k8s\.io\/kubernetes\/pkg\/registry\/rbac)/,
  ],
  ['priority and fairness', /^k8s\.io\/apiserver\/pkg\/util\/flowcontrol/],
  [
    'metrics',
    /^(github\.com\/prometheus|k8s\.io\/component-base\/metrics|k8s\.io\/apiserver\/pkg\/endpoints\/metrics)/,
  ],
  [
    'validation',
    /^k8s\.io\/(kubernetes\/pkg\/apis\/[^.]*\/validation|apimachinery\/pkg\/(api|util)\/validation)/,
  ],
  [
    'conversion, defaulting and deep copies',
    /^k8s\.io\/(apimachinery\/pkg\/(conversion|runtime\.)|kubernetes\/pkg\/apis\/|api\/.*DeepCopy)/,
  ],
  ['other Kubernetes code', /^(k8s\.io|sigs\.k8s\.io)\//],
];

export function groupOf(fn: string): string {
  for (const [group, re] of GROUPS) if (re.test(fn)) return group;
  return 'other';
}

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  min: 60,
  h: 3600,
};

function seconds(text: string): number | undefined {
  const m = /^([\d.]+)(ns|us|µs|ms|s|min|h)$/.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : undefined;
}

export interface ProfileSummary {
  /** CPU seconds sampled, and the profile's wall duration. */
  sampledSeconds: number;
  durationSeconds?: number;
  /** Cores the API server kept busy while profiled. */
  cores?: number;
  /** Share of the sampled CPU by what it was spent on (flat time of each function), largest first. */
  groups: { group: string; share: number }[];
  /** The functions with the most flat time. */
  top: { fn: string; share: number }[];
}

/** Summarises the text of `go tool pprof -top -nodecount=<all>`. Pure. */
export function summarisePprofTop(text: string, topN = 15): ProfileSummary {
  const flat: { fn: string; s: number }[] = [];
  let duration: number | undefined;
  for (const line of text.split('\n')) {
    const d = /^Duration: ([^,\s]+)/.exec(line);
    if (d) duration = seconds(d[1]!);
    const m = /^\s*(\S+)\s+[\d.]+%\s+[\d.]+%\s+\S+\s+[\d.]+%\s+(.+)$/.exec(line);
    const s = m ? seconds(m[1]!) : undefined;
    if (m && s !== undefined) flat.push({ fn: m[2]!.trim(), s });
  }
  const total = flat.reduce((a, f) => a + f.s, 0);
  const share = (s: number) => (total > 0 ? Math.round((s / total) * 1000) / 1000 : 0);
  const byGroup = new Map<string, number>();
  for (const f of flat) byGroup.set(groupOf(f.fn), (byGroup.get(groupOf(f.fn)) ?? 0) + f.s);
  return {
    sampledSeconds: Math.round(total * 100) / 100,
    durationSeconds: duration,
    cores: duration ? Math.round((total / duration) * 100) / 100 : undefined,
    groups: [...byGroup].sort((a, b) => b[1] - a[1]).map(([group, s]) => ({ group, share: share(s) })),
    top: [...flat]
      .sort((a, b) => b.s - a.s)
      .slice(0, topN)
      .map((f) => ({ fn: f.fn, share: share(f.s) })),
  };
}

/**
 * Takes a profile of `seconds` and writes it to `dir/kube-apiserver.pprof`, its `go tool pprof -top`
 * to `kube-apiserver.top.txt`, and returns the summary (no summary where `go` is not on the PATH:
 * the profile is still written).
 */
export async function captureApiServerProfile(
  kubeconfig: string,
  dir: string,
  seconds: number,
): Promise<{ file: string; seconds: number; summary?: ProfileSummary; why?: string }> {
  const bytes = await fetchApiServerProfile(kubeconfig, seconds);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kube-apiserver.pprof');
  writeFileSync(file, bytes);
  const top = spawnSync('go', ['tool', 'pprof', '-top', '-nodecount=100000', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (top.status !== 0)
    return { file, seconds, why: `go tool pprof failed: ${top.error?.message ?? top.stderr.slice(-300)}` };
  writeFileSync(join(dir, 'kube-apiserver.top.txt'), top.stdout);
  return { file, seconds, summary: summarisePprofTop(top.stdout) };
}
