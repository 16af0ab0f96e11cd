import type { PoolState } from './cycle-state';
import type { NodeLevels } from './node-levels';
import type { PlacementQuote } from './quote';
import type { OptimizeFor } from './snapshot';

/**
 * Step 4: rank the pools a gang fits in now. Each criterion is normalised to [0, 1] by dividing by
 * its largest value among the candidates (so it compares pools, not units), weighted by the
 * workload's optimizeFor, and summed; lowest wins, ties go to the pool name.
 */

export interface Candidate {
  readonly pool: PoolState;
  readonly computeUnits: number;
  readonly quote: PlacementQuote;
}

export interface Weights {
  /** EUR per hour of the request: its devices' price plus their energy (PUE included) at the site's price. */
  readonly cost: number;
  /** kWh per hour at the site (PUE included). */
  readonly energy: number;
  /** kg CO2e per hour: energy × the site's grid carbon intensity. */
  readonly carbon: number;
  /** Devices left over on the chosen nodes (best fit wants none). */
  readonly fragmentation: number;
  /** Hours per unit of work: 1 ÷ CU per device (faster devices finish sooner). */
  readonly time: number;
}

export const SCORE_WEIGHTS: Readonly<Record<OptimizeFor, Weights>> = {
  cost: { cost: 1, energy: 0.1, carbon: 0.1, fragmentation: 0.2, time: 0 },
  energy: { cost: 0.1, energy: 0.5, carbon: 1, fragmentation: 0.2, time: 0 },
  time: { cost: 0.1, energy: 0, carbon: 0, fragmentation: 0.2, time: 1 },
  balanced: { cost: 1, energy: 0.5, carbon: 0.5, fragmentation: 0.5, time: 0.5 },
};

/** Devices left free on the nodes best fit would pick: 0 when every picked node is filled exactly. */
export function fragmentationWaste(free: NodeLevels, replicas: number, devicesPerReplica: number): number {
  let remaining = replicas;
  let waste = 0;
  for (let level = devicesPerReplica; remaining > 0 && level <= free.maxLevel; level++) {
    const take = Math.min(remaining, free.countExactly(level));
    waste += take * (level - devicesPerReplica);
    remaining -= take;
  }
  return waste;
}

/**
 * Best fit: the `replicas` distinct nodes with the fewest free devices that still hold
 * `devicesPerReplica`. Precondition: free.countAtLeast(devicesPerReplica) ≥ replicas.
 */
export function pickNodes(free: NodeLevels, replicas: number, devicesPerReplica: number): number[] {
  const picked: number[] = [];
  for (let level = devicesPerReplica; picked.length < replicas && level <= free.maxLevel; level++) {
    for (const node of free.nodesAt(level)) {
      picked.push(node);
      if (picked.length === replicas) break;
    }
  }
  return picked;
}

export interface Metrics {
  cost: number;
  energy: number;
  carbon: number;
  fragmentation: number;
  time: number;
}

function metrics(c: Candidate, shape: { replicas: number; devicesPerReplica: number }): Metrics {
  const { replicas, devicesPerReplica } = shape;
  return {
    // What running it there costs: the devices' price, and the energy the site buys for them.
    cost: c.quote.eurPerHour + c.quote.kWhPerHour * (c.pool.site?.pricePerKWhEUR ?? 0),
    energy: c.quote.kWhPerHour,
    carbon: c.quote.co2eKgPerHour,
    fragmentation:
      fragmentationWaste(c.pool.free, replicas, devicesPerReplica) / (replicas * devicesPerReplica),
    time: 1 / c.pool.pool.computeUnitsPerDevice,
  };
}

const KEYS = ['cost', 'energy', 'carbon', 'fragmentation', 'time'] as const;
const SCORE_EPSILON = 1e-12;

/** Index of the best candidate (candidates non-empty). */
export function chooseBest(
  candidates: readonly Candidate[],
  shape: { replicas: number; devicesPerReplica: number },
  optimizeFor: OptimizeFor,
): number {
  if (candidates.length === 1) return 0;
  const all = candidates.map((c) => metrics(c, shape));
  const scores = scoreAll(all, SCORE_WEIGHTS[optimizeFor]);
  let best = 0;
  for (let i = 1; i < candidates.length; i++) {
    const diff = scores[i]! - scores[best]!;
    const tie = Math.abs(diff) <= SCORE_EPSILON;
    if ((tie && candidates[i]!.pool.pool.name < candidates[best]!.pool.pool.name) || (!tie && diff < 0))
      best = i;
  }
  return best;
}

/** Weighted sum of the metrics, each divided by its largest value among the candidates. */
export function scoreAll(all: readonly Metrics[], weights: Weights): number[] {
  const max: Metrics = { cost: 0, energy: 0, carbon: 0, fragmentation: 0, time: 0 };
  for (const m of all) for (const k of KEYS) max[k] = Math.max(max[k], m[k]);
  return all.map((m) => KEYS.reduce((sum, k) => sum + (max[k] > 0 ? (weights[k] * m[k]) / max[k] : 0), 0));
}
