import type { GenericVendorConfig } from '@kentaur/vendors';
import type { PowerConfig } from './accounting/power-reader';
import { hostname } from 'node:os';
import type { QueueWritePolicy } from './scheduling/queue-writes';

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
  /** How often each remote site's API server is probed (federation, ADR 13). */
  siteProbeIntervalMs: number;
  /** A probe not answered within this long fails: the site is unreachable. */
  siteProbeTimeoutMs: number;
  /**
   * After a site has been unreachable this long, its portable Batch work is requeued elsewhere.
   * Must exceed siteFenceLeaseMs: by then the site's own Job controller has stopped that work.
   */
  siteFailoverGraceMs: number;
  /**
   * Fence of Batch work in remote sites (ADR 13): each Job's activeDeadlineSeconds is kept this far
   * ahead and renewed while the site is reachable; cut off for longer, the site stops the Job itself.
   */
  siteFenceLeaseMs: number;
  /** Quiet time after a node event before pools are recomputed (events come in bursts). */
  poolResyncDelayMs: number;
  /** Shortest time between two scheduling cycles; events in between are coalesced. */
  schedulingIntervalMs: number;
  /** A cycle runs at least this often even without events (reservations and waits age). */
  schedulingResyncMs: number;
  /** Values for what pools and sites leave unset. */
  snapshotDefaults: { pricePerDeviceHourEUR: number; pue: number; gridCarbonGramsPerKWh: number };
  /** Admitted work whose pods are not all running after this long is requeued (its objects removed). */
  startTimeoutMs: number;
  /** How often running workloads are accounted in the usage ledger (and tenants' spend refreshed). */
  accountingIntervalMs: number;
  /**
   * How far behind a tick metered usage stays, so that pod reports still in flight arrive first
   * (CacheFreshness); after the API server could not serve a quorum read, this long after it can.
   */
  accountingSettleMs: number;
  /**
   * The usage ledger: a PostgreSQL URL, or PGlite in a data directory; neither: PGlite in memory
   * (tests; nothing survives a restart).
   */
  ledger: { url?: string; dataDir?: string };
  /** Vendors configured by data (`--vendors-file`), beside the built-in adapters. */
  vendors: GenericVendorConfig[];
  /** Measured power from the vendors' exporters through Prometheus; absent: catalog power × utilisation. */
  power?: PowerConfig;
  /** Pacing of the queue statuses the scheduler writes; absent: DEFAULT_QUEUE_WRITES (ADR 10). */
  queueWrites?: QueueWritePolicy;
  /**
   * Image registry allow-list (prefixes ending with '/', ADR 12): a pending Workload whose images
   * match none is never admitted. A Tenant's spec.imageRegistries replaces it for that tenant.
   * Absent or empty: any image.
   */
  imageRegistries?: string[];
  /** Sandbox mode: copy `sandbox.kentaur.io/*` annotations of a Workload to its pods (KWOK run times). */
  sandbox: boolean;
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
    siteProbeIntervalMs: 5_000,
    siteProbeTimeoutMs: 3_000,
    siteFailoverGraceMs: 10 * 60_000,
    siteFenceLeaseMs: 5 * 60_000,
    poolResyncDelayMs: 500,
    schedulingIntervalMs: 500,
    schedulingResyncMs: 10_000,
    // Placeholders until the installation declares prices on its pools and Site objects for its
    // sites; they are configuration, not measured or published figures.
    snapshotDefaults: { pricePerDeviceHourEUR: 1, pue: 1.2, gridCarbonGramsPerKWh: 250 },
    startTimeoutMs: 5 * 60_000,
    accountingIntervalMs: 30_000,
    accountingSettleMs: 2_000,
    ledger: {},
    vendors: [],
    sandbox: false,
    ...overrides,
  };
}
