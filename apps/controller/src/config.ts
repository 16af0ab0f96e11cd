import { hostname } from 'node:os';

/** Everything the controller is configured with; built once at start-up and injected (CONTROLLER_CONFIG). */
export interface ControllerConfig {
  /** Path of a kubeconfig; absent: the in-cluster ServiceAccount. */
  kubeconfig?: string;
  /** Namespace of the leader-election Lease (the controller's own namespace). */
  namespace: string;
  /** This replica's identity in the Lease. */
  identity: string;
  leaderElection: boolean;
  /** Health server (/healthz, /readyz); port 0 picks a free one (tests). */
  healthHost: string;
  healthPort: number;
  /** Site of nodes without a topology.kubernetes.io/region label. */
  defaultSite: string;
  /** Quiet time after a node event before pools are recomputed (events come in bursts). */
  poolResyncDelayMs: number;
}

export const CONTROLLER_CONFIG = Symbol('CONTROLLER_CONFIG');

export function controllerConfig(overrides: Partial<ControllerConfig> = {}): ControllerConfig {
  return {
    namespace: 'kentaur-system',
    identity: `${hostname()}-${process.pid}`,
    leaderElection: true,
    healthHost: '127.0.0.1',
    healthPort: 8081,
    defaultSite: 'dk-1',
    poolResyncDelayMs: 500,
    ...overrides,
  };
}
