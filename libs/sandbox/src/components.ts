import type { SandboxPki } from './pki';

/** Loopback ports of one sandbox; chosen free at start-up so parallel sandboxes do not collide. */
export interface SandboxPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface ComponentFiles {
  pki: SandboxPki;
  kubeconfig: string;
  etcdData: string;
  schedulerConfig: string;
  kwokConfig: string;
}

/** Service ClusterIPs and pod IPs of fake pods; disjoint ranges, large enough for the gigafactory fleet. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const POD_CIDR = '10.128.0.0/10';

/** Command lines of the control-plane components. Pure: the flags are the contract, tested as data. */
export function etcdArgs(p: SandboxPorts, f: ComponentFiles): string[] {
  const client = `http://127.0.0.1:${p.etcdClient}`;
  const peer = `http://127.0.0.1:${p.etcdPeer}`;
  return [
    '--name=kentaur-sandbox',
    `--data-dir=${f.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=kentaur-sandbox=${peer}`,
    // A throw-away cluster: durability on power loss is not worth the fsync latency.
    '--unsafe-no-fsync',
    '--quota-backend-bytes=8589934592',
    '--logger=zap',
    '--log-level=warn',
  ];
}

/**
 * `profiling`: Go's /debug/pprof endpoints on (for administrators only, as every non-resource URL
 * here), so that a benchmark can take a CPU profile of the API server (tests/bench/e2e-bench.ts).
 */
export function apiserverArgs(p: SandboxPorts, f: ComponentFiles, o: { profiling?: boolean } = {}): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${p.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${p.apiserver}`,
    `--tls-cert-file=${f.pki.apiserverCert}`,
    `--tls-private-key-file=${f.pki.apiserverKey}`,
    `--client-ca-file=${f.pki.caCert}`,
    `--service-account-issuer=https://127.0.0.1:${p.apiserver}`,
    `--service-account-key-file=${f.pki.saPub}`,
    `--service-account-signing-key-file=${f.pki.saKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    // The ServiceAccount admission plugin would make every pod in a fresh namespace wait for the
    // `default` ServiceAccount; fake pods mount nothing, so it only adds a race (as envtest does).
    '--disable-admission-plugins=ServiceAccount',
    `--profiling=${o.profiling === true}`,
    '--v=1',
  ];
}

export function controllerManagerArgs(
  p: SandboxPorts,
  f: ComponentFiles,
  nodeLeaseSeconds: number,
): string[] {
  return [
    `--kubeconfig=${f.kubeconfig}`,
    `--authentication-kubeconfig=${f.kubeconfig}`,
    `--authorization-kubeconfig=${f.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${p.controllerManager}`,
    '--leader-elect=false',
    `--service-account-private-key-file=${f.pki.saKey}`,
    `--root-ca-file=${f.pki.caCert}`,
    // A node is Unknown after one Lease duration without renewal (kwokctl's setting for fake nodes).
    '--node-monitor-period=5s',
    `--node-monitor-grace-period=${nodeLeaseSeconds}s`,
    '--kube-api-qps=500',
    '--kube-api-burst=1000',
    '--concurrent-job-syncs=20',
    '--concurrent-gc-syncs=40',
    '--v=1',
  ];
}

export function schedulerConfig(f: Pick<ComponentFiles, 'kubeconfig'>): string {
  return [
    'apiVersion: kubescheduler.config.k8s.io/v1',
    'kind: KubeSchedulerConfiguration',
    'clientConnection:',
    `  kubeconfig: ${JSON.stringify(f.kubeconfig)}`,
    '  qps: 1000',
    '  burst: 2000',
    'leaderElection:',
    '  leaderElect: false',
    '',
  ].join('\n');
}

export function schedulerArgs(p: SandboxPorts, f: ComponentFiles): string[] {
  return [
    `--config=${f.schedulerConfig}`,
    `--authentication-kubeconfig=${f.kubeconfig}`,
    `--authorization-kubeconfig=${f.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${p.scheduler}`,
    '--v=1',
  ];
}

/** KWOK renews each fake node's Lease every quarter of `nodeLeaseSeconds`. */
export function kwokArgs(p: SandboxPorts, f: ComponentFiles, nodeLeaseSeconds: number): string[] {
  return [
    `--kubeconfig=${f.kubeconfig}`,
    `--config=${f.kwokConfig}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    `--cidr=${POD_CIDR}`,
    `--node-lease-duration-seconds=${nodeLeaseSeconds}`,
    `--server-address=127.0.0.1:${p.kwok}`,
  ];
}
