import type { SandboxStatus } from '@kentaur/sandbox';
import { formatStatus, formatUp } from './sandbox.command';

const component = (name: string, pid: number, running = true) => ({ component: name, pid, running });

describe('kentaur sandbox status', () => {
  it('a single cluster: the plain component names and the node count, as before', () => {
    const text = formatStatus({
      running: true,
      healthy: true,
      server: 'https://127.0.0.1:6443',
      kubeconfig: '/s/kubeconfig',
      ports: {},
      components: [component('etcd', 10), component('kube-apiserver', 11)],
      nodes: 10,
    });
    expect(text).toBe(
      [
        'sandbox: healthy  API server https://127.0.0.1:6443  kubeconfig /s/kubeconfig',
        '  etcd                     pid 10       running',
        '  kube-apiserver           pid 11       running',
        '  ready fake nodes: 10',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('site ');
  });

  it('a federation: one line per site, the management site marked, a stopped site flagged', () => {
    const status: SandboxStatus = {
      running: true,
      healthy: false,
      server: 'https://127.0.0.1:1001',
      kubeconfig: '/s/kubeconfig',
      ports: {},
      components: [
        component('fi-1/kube-apiserver', 21, false),
        component('dk-1/kube-controller-manager', 20),
      ],
      sites: [
        {
          name: 'dk-1',
          management: true,
          server: 'https://127.0.0.1:1001',
          kubeconfig: '/s/sites/dk-1/kubeconfig',
          ports: {},
          healthy: true,
          nodes: 5,
        },
        {
          name: 'fi-1',
          management: false,
          server: 'https://127.0.0.1:1002',
          kubeconfig: '/s/sites/fi-1/kubeconfig',
          ports: {},
          healthy: false,
        },
      ],
    };
    const lines = formatStatus(status).split('\n');
    expect(lines[0]).toMatch(/^sandbox: DEGRADED/);
    expect(lines[1]).toMatch(
      /^ {2}site dk-1 \(management\) +ready {2}API server https:\/\/127\.0\.0\.1:1001 {2}5 ready fake nodes/,
    );
    expect(lines[2]).toMatch(
      /^ {2}site fi-1 +NOT READY {2}API server https:\/\/127\.0\.0\.1:1002 {2}kubeconfig/,
    );
    // Grouped by site in site order; qualified names widen the column, pids stay aligned.
    expect(lines[3]).toMatch(/dk-1\/kube-controller-manager +pid 20 +running/);
    expect(lines[3]!.indexOf('pid')).toBe(lines[4]!.indexOf('pid'));
    expect(lines[4]).toMatch(/fi-1\/kube-apiserver +pid 21 +STOPPED/);
  });

  it('not running', () => {
    expect(formatStatus({ running: false, healthy: false, ports: {}, components: [] })).toBe(
      'sandbox: not running\n',
    );
  });
});

describe('kentaur sandbox up', () => {
  it('lists every site of a federation, the first as the management cluster', () => {
    const lines = formatUp({
      kubeconfig: '/s/kubeconfig',
      server: 'https://127.0.0.1:1001',
      ports: {},
      nodes: 13,
      reused: false,
      sites: [
        { name: 'dk-1', kubeconfig: '/s/sites/dk-1/kubeconfig', server: 'https://127.0.0.1:1001', ports: {} },
        { name: 'it-1', kubeconfig: '/s/sites/it-1/kubeconfig', server: 'https://127.0.0.1:1003', ports: {} },
      ],
    });
    expect(lines).toEqual([
      'running: API server https://127.0.0.1:1001, 13 fake nodes',
      '  site dk-1 (management): API server https://127.0.0.1:1001, kubeconfig /s/sites/dk-1/kubeconfig',
      '  site it-1: API server https://127.0.0.1:1003, kubeconfig /s/sites/it-1/kubeconfig',
    ]);
  });
});
