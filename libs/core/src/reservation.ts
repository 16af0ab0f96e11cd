import type { EpochMs } from './ids';
import type { Occupant, PoolState, Reservation } from './cycle-state';
import type { PendingWorkload } from './snapshot';

/**
 * Step 6, no starvation. When the head of a priority level is blocked only by capacity, the pool
 * where it will fit earliest is reserved for it until that time; later work may use the pool only
 * if it ends by then (backfill), so the head's start is never pushed back by work admitted after it.
 */

export interface Shape {
  readonly replicas: number;
  readonly devicesPerReplica: number;
}

/** An occupant that frees its devices at a known time. */
export type Ending = Occupant & { end: EpochMs };

/**
 * The occupants that free their devices at a known time, soonest first: what `earliestFit` walks
 * (given to it by a caller that asks of one pool many times, as quotes on one queue run do).
 */
export function endingOccupants(occupants: readonly Occupant[]): Ending[] {
  return occupants.filter((o): o is Ending => o.alive && o.end !== undefined).sort((a, b) => a.end - b.end);
}

/**
 * When the gang would fit in this pool if nothing new were admitted: running and newly admitted
 * work free their devices at their expected end; work without an end never frees them. An overdue
 * end counts as `now`. Undefined: never (within what is known).
 */
export function earliestFit(
  pool: Pick<PoolState, 'free' | 'occupants'>,
  shape: Shape,
  now: EpochMs,
  ending?: readonly Ending[],
): EpochMs | undefined {
  const { replicas, devicesPerReplica: d } = shape;
  let count = pool.free.countAtLeast(d);
  if (count >= replicas) return now;
  ending ??= endingOccupants(pool.occupants);
  const extra = new Map<number, number>();
  for (const occupant of ending) {
    occupant.nodes.forEach((node, i) => {
      const before = pool.free.level(node) + (extra.get(node) ?? 0);
      const after = before + occupant.devices[i]!;
      extra.set(node, after - pool.free.level(node));
      if (before < d && after >= d) count++;
    });
    if (count >= replicas) return Math.max(now, occupant.end);
  }
  return undefined;
}

/** The pool where the gang fits earliest; ties go to the pool name. */
export function chooseReservation(
  pools: readonly PoolState[],
  shape: Shape,
  now: EpochMs,
): { pool: PoolState; until: EpochMs } | undefined {
  let best: { pool: PoolState; until: EpochMs } | undefined;
  for (const pool of pools) {
    const until = earliestFit(pool, shape, now);
    if (until === undefined) continue;
    if (!best || until < best.until || (until === best.until && pool.pool.name < best.pool.pool.name))
      best = { pool, until };
  }
  return best;
}

/** Expected end of a workload admitted now; undefined without maxDuration. */
export function expectedEnd(
  w: Pick<PendingWorkload, 'maxDurationSeconds'>,
  now: EpochMs,
): EpochMs | undefined {
  return w.maxDurationSeconds === undefined ? undefined : now + w.maxDurationSeconds * 1000;
}

/** Backfill: only work that ends no later than the reservation's time; work without maxDuration never. */
export function mayBackfill(
  w: Pick<PendingWorkload, 'maxDurationSeconds'>,
  reservation: Reservation,
  now: EpochMs,
): boolean {
  const end = expectedEnd(w, now);
  return end !== undefined && end <= reservation.until;
}
