import type { KubeClient, KubeObject } from './client';
import { realClock, type Clock } from './clock';
import { isAlreadyExists, isConflict, isNotFound } from './errors';
import { Leases } from './resource-types';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  /** A leader that cannot renew for this long steps down (must be < leaseDurationMs). */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  onNewLeader?: (identity: string) => void;
}

type Round = 'held' | 'lost' | 'failed';

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the
 * lease when it is free or when its record has not changed for a lease duration *as observed by
 * the candidate's own clock* (so clock skew between replicas does not matter); every write carries
 * the resourceVersion it read, so two candidates can never both win. Correctness of the controller
 * never depends on this (writes are optimistic too); leadership only avoids duplicated work.
 */
export class LeaderElector {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private timer: { cancel(): void } | undefined;
  private currentLeader: string | undefined;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: LeaderElectorOptions) {
    this.clock = o.clock ?? realClock;
    this.leaseMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseMs)
      throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
  }

  isLeader(): boolean {
    return this.leading;
  }

  get leader(): string | undefined {
    return this.currentLeader;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops campaigning; a leader releases the lease so another replica can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.();
    await this.running;
    if (this.leading) {
      await this.release().catch(() => undefined);
      this.setLeading(false);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let round: Round;
      try {
        round = await this.tryAcquireOrRenew();
      } catch {
        round = 'failed';
      }
      const ok = round === 'held';
      const now = this.clock.now();
      if (ok) this.lastRenew = now;
      // Another holder in a live record: the lease was taken from us (expired on the other
      // replica's clock, or handed over by an administrator). Stop at once instead of leading on
      // until the renew deadline: two leaders are safe (every write is optimistic) but wasteful.
      if (this.leading && round === 'lost') this.setLeading(false);
      if (this.leading && !ok && now - this.lastRenew >= this.renewDeadlineMs) this.setLeading(false);
      if (!this.leading && ok) this.setLeading(true);
      await this.sleep(this.retryMs);
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) this.o.onStartedLeading?.();
    else this.o.onStoppedLeading?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = this.clock.setTimeout(resolve, ms);
      this.wake = resolve;
    });
  }

  private spec(transitions: number, acquireTime?: string): LeaseSpec {
    const now = microTime(this.clock.now());
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: acquireTime ?? now,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  /**
   * One round: create the Lease if there is none, else take or renew it when that is allowed.
   * 'held': we hold it now; 'lost': another candidate holds a live record; 'failed': no answer or
   * a lost race (the renew deadline decides).
   */
  private async tryAcquireOrRenew(): Promise<Round> {
    const lease = await this.getLease();
    if (lease === undefined) return (await this.createLease()) ? 'held' : 'failed';
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.noteLeader(holder);
    if (holder && holder !== this.o.identity && !this.expired(spec)) return 'lost';
    return (await this.takeLease(lease, holder === this.o.identity)) ? 'held' : 'failed';
  }

  private async getLease(): Promise<Lease | undefined> {
    try {
      return await this.o.client.get<Lease>(Leases, this.o.name, this.o.namespace);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async createLease(): Promise<boolean> {
    const { client, namespace, name, identity } = this.o;
    try {
      await client.create<Lease>(Leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: this.spec(0),
      });
      this.observe(identity);
      return true;
    } catch (e) {
      if (isAlreadyExists(e)) return false;
      throw e;
    }
  }

  /** Whether the record has stood unchanged for a lease duration, by this candidate's own clock. */
  private expired(spec: LeaseSpec): boolean {
    const record = JSON.stringify(spec);
    const now = this.clock.now();
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now };
    return this.observed.at + (spec.leaseDurationSeconds ?? 0) * 1000 <= now;
  }

  /** Writes ourselves as holder with the resourceVersion we read: of two candidates only one succeeds. */
  private async takeLease(lease: Lease, renewing: boolean): Promise<boolean> {
    const spec = lease.spec ?? {};
    const next = this.spec(
      (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      renewing ? spec.acquireTime : undefined,
    );
    try {
      const updated = await this.o.client.replace<Lease>(Leases, { ...lease, spec: next });
      this.observed = { record: JSON.stringify(updated.spec), at: this.clock.now() };
      this.noteLeader(this.o.identity);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  private observe(identity: string): void {
    this.observed = undefined;
    this.noteLeader(identity);
  }

  private noteLeader(identity: string): void {
    if (identity && identity !== this.currentLeader) {
      this.currentLeader = identity;
      this.o.onNewLeader?.(identity);
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.o;
    const lease = await client.get<Lease>(Leases, name, namespace);
    if (lease.spec?.holderIdentity !== identity) return;
    const now = microTime(this.clock.now());
    await client.replace<Lease>(Leases, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', renewTime: now, leaseDurationSeconds: 1 },
    });
  }
}
