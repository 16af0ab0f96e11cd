import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileOutcome } from '@kentaur/k8s-runtime';

/**
 * The controller's Prometheus metrics (prefix `kentaur_`). Labels are of bounded cardinality:
 * sites, vendors, models, pools, phases, tiers, tenants, controllers, verbs — never workload names.
 * Counters and histograms are fed by the loops; the gauges of cluster state are computed on each
 * scrape from the informer caches (state-gauges.ts).
 */
export class ControllerMetrics {
  readonly registry = new Registry();

  readonly cycleDuration = new Histogram({
    name: 'kentaur_scheduling_cycle_duration_seconds',
    help: 'Duration of one admission cycle (snapshot, decisions, commits).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });

  readonly admissionAttempts = new Counter({
    name: 'kentaur_admission_attempts_total',
    help: 'Admission decisions: result admitted or waiting, with the reason code of the wait.',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'kentaur_queue_wait_seconds',
    help: 'Time from submission to admission.',
    labelNames: ['priority_class', 'tier'] as const,
    buckets: [1, 5, 15, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
    registers: [this.registry],
  });

  readonly preemptions = new Counter({
    name: 'kentaur_preemptions_total',
    help: 'Running workloads preempted, by kind (emergency, reclaim).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'kentaur_reconcile_duration_seconds',
    help: 'Duration of one reconcile, by controller and outcome.',
    labelNames: ['controller', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'kentaur_reconcile_errors_total',
    help: 'Reconciles that failed (retried with backoff), by controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly informerRestarts = new Counter({
    name: 'kentaur_informer_restarts_total',
    help: 'Informer restarts (relist after a broken or expired watch), by resource and site (empty: the management cluster).',
    labelNames: ['resource', 'site'] as const,
    registers: [this.registry],
  });

  readonly apiRequests = new Counter({
    name: 'kentaur_api_requests_total',
    help: 'Requests to the Kubernetes API servers, by verb, HTTP status code, resource (workloads/status) and site (empty: the management cluster).',
    labelNames: ['verb', 'code', 'resource', 'site'] as const,
    registers: [this.registry],
  });

  readonly apiLatency = new Histogram({
    name: 'kentaur_api_request_duration_seconds',
    help: 'Latency of requests to the Kubernetes API servers, by verb and site (empty: the management cluster).',
    labelNames: ['verb', 'site'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly energyKWh = new Counter({
    name: 'kentaur_energy_kwh_total',
    help: 'Energy recorded in the usage ledger (facility energy, PUE included), by site, vendor and source (measured or catalog).',
    labelNames: ['site', 'vendor', 'source'] as const,
    registers: [this.registry],
  });

  readonly co2eKg = new Counter({
    name: 'kentaur_co2e_kg_total',
    help: 'CO2e recorded in the usage ledger, by site and vendor.',
    labelNames: ['site', 'vendor'] as const,
    registers: [this.registry],
  });

  readonly costEUR = new Counter({
    name: 'kentaur_cost_eur_total',
    help: 'Cost recorded in the usage ledger, by site and vendor.',
    labelNames: ['site', 'vendor'] as const,
    registers: [this.registry],
  });

  readonly powerReadErrors = new Counter({
    name: 'kentaur_power_read_errors_total',
    help: 'Failed reads of measured power from Prometheus (accounting fell back to catalog power for that tick).',
    registers: [this.registry],
  });

  readonly deviceHours = new Counter({
    name: 'kentaur_device_hours_total',
    help: 'Device-hours recorded in the usage ledger, by site, vendor and tenant tier.',
    labelNames: ['site', 'vendor', 'tier'] as const,
    registers: [this.registry],
  });

  readonly leading = new Gauge({
    name: 'kentaur_controller_leading',
    help: '1 while this replica holds the leader Lease.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kentaur_' });
  }

  /** The `observe` hook of a ReconcileLoop named `controller`. */
  reconcileObserver(controller: string): (outcome: ReconcileOutcome, durationMs: number) => void {
    return (outcome, durationMs) => {
      this.reconcileDuration.observe({ controller, outcome }, durationMs / 1000);
      if (outcome === 'error') this.reconcileErrors.inc({ controller });
    };
  }

  /**
   * The `observe` hook of the KubeClient of one cluster: the management cluster's (`site` empty, as
   * Prometheus reads an absent label) or a remote site's (ADR 13).
   */
  apiObserver(site = ''): (verb: string, statusCode: number, seconds: number, resource: string) => void {
    return (verb, statusCode, seconds, resource) => {
      this.apiRequests.inc({ verb, code: String(statusCode), resource, site });
      this.apiLatency.observe({ verb, site }, seconds);
    };
  }
}
