import { Inject } from '@nestjs/common';
import {
  Args,
  ID,
  Int,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import type { Event as KubeEvent } from 'kubernetes-types/core/v1';
import type { Workload as WorkloadObject } from '@kentaur/api';
import { Events, Workloads } from '@kentaur/k8s-runtime';
import { CurrentContext, Scope } from '../../access/access.guard';
import type { CredentialCheck, GatewayContext } from '../../access/context';
import type { TenantScope } from '../../access/tenant-scope';
import { GatewayError, unauthenticated } from '../../errors';
import { GatewayState } from '../../kube/gateway-state';
import { WorkloadFilter, SubmitWorkloadInput } from './workload.inputs';
import { toWorkload } from './workload.mapper';
import {
  SubmitWorkloadPayload,
  Workload,
  WorkloadConnection,
  WorkloadEvent,
  WorkloadKubeEvent,
} from './workload.types';
import { SubmitWorkload } from './submit-workload.use-case';
import { WorkloadWatch, type WatchedChange } from './workload-watch';
import { ListWorkloads } from './list-workloads.use-case';

const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled']);
/** Each `events` field is one API call: a request may ask for this many. */
const MAX_EVENT_LOOKUPS = 5;
const EVENT_KINDS = new Set(['Workload', 'Job', 'Deployment', 'ReplicaSet', 'Pod', 'Service']);
/** Reasons whose messages name nodes or other cluster internals. */
const HIDDEN_REASONS = new Set(['Scheduled', 'Pulled', 'Pulling', 'Created', 'Started']);

@Resolver(() => Workload)
export class WorkloadsResolver {
  constructor(
    @Inject(GatewayState) private readonly state: GatewayState,
    @Inject(SubmitWorkload) private readonly submit: SubmitWorkload,
    @Inject(WorkloadWatch) private readonly watch: WorkloadWatch,
    @Inject(ListWorkloads) private readonly list: ListWorkloads,
  ) {}

  @Query(() => WorkloadConnection, { description: 'Your workloads, newest first.' })
  workloads(
    @Scope() scope: TenantScope,
    @Args('filter', { type: () => WorkloadFilter, nullable: true }) filter?: WorkloadFilter,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size (default 20, at most 100).' })
    first?: number,
    @Args('after', { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): WorkloadConnection {
    return this.list.execute(scope, { filter, first, after });
  }

  @Query(() => Workload, { description: 'One of your workloads by id (`namespace/name`).' })
  workload(@Scope() scope: TenantScope, @Args('id', { type: () => ID }) id: string): Workload {
    return toWorkload(scope.workload(id));
  }

  @ResolveField(() => [WorkloadKubeEvent], {
    description:
      'Kubernetes events of the workload and the objects run for it, newest first (one API call each; at most 5 per request).',
  })
  async events(
    @CurrentContext() ctx: GatewayContext,
    @Scope() scope: TenantScope,
    @Parent() parent: Workload,
  ): Promise<WorkloadKubeEvent[]> {
    if (++ctx.eventLookups > MAX_EVENT_LOOKUPS)
      throw new GatewayError(
        'QUERY_TOO_COMPLEX',
        `events: at most ${MAX_EVENT_LOOKUPS} workloads' events per request; ask workload(id) for each`,
        { limit: 'events', max: MAX_EVENT_LOOKUPS },
      );
    const w = scope.workload(parent.id);
    const name = w.metadata.name!;
    const list = await this.state.client.list<KubeEvent>(Events, {
      namespace: w.metadata.namespace,
      limit: 500,
    });
    return list.items
      .filter((e) => {
        const o = e.involvedObject;
        return EVENT_KINDS.has(o.kind ?? '') && (o.name === name || o.name?.startsWith(`${name}-`));
      })
      .filter((e) => !HIDDEN_REASONS.has(e.reason ?? ''))
      .map((e) => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        objectKind: e.involvedObject.kind ?? '',
        count: e.count ?? 1,
        lastSeen: e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '',
      }))
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))
      .slice(0, 50);
  }

  @Mutation(() => SubmitWorkloadPayload, {
    description:
      'Validates, dry-runs and submits a workload to your namespace. Idempotent with idempotencyKey.',
  })
  async submitWorkload(
    @Scope() scope: TenantScope,
    @Args('input', { type: () => SubmitWorkloadInput }) input: SubmitWorkloadInput,
  ): Promise<SubmitWorkloadPayload> {
    const r = await this.submit.execute(scope, input);
    return { workload: toWorkload(r.workload), created: r.created };
  }

  @Mutation(() => Workload, { description: 'Stops the workload and removes what runs for it. Idempotent.' })
  async cancelWorkload(
    @Scope() scope: TenantScope,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<Workload> {
    const w = scope.workload(id);
    const phase = w.status?.phase;
    if (phase === 'Cancelled' || w.spec.cancel) return toWorkload(w);
    if (TERMINAL.has(phase ?? ''))
      throw new GatewayError(
        'CONFLICT',
        `id: workload ${id} already finished (${phase}); nothing to cancel`,
        {
          field: 'id',
        },
      );
    const patched = await this.state.client.patch<WorkloadObject>(
      Workloads,
      w.metadata.name!,
      { spec: { cancel: true } },
      { namespace: w.metadata.namespace, patchType: 'merge', fieldManager: 'kentaur-gateway' },
    );
    return toWorkload(patched);
  }

  @Subscription(() => WorkloadEvent, {
    description:
      'Changes of one of your workloads: its current state first, then each change, until it finishes.',
  })
  workloadEvents(
    @CurrentContext() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
  ): AsyncIterable<{ workloadEvents: WorkloadEvent }> {
    if (!ctx.scope) throw unauthenticated('subscriptions need a token in the connection_init payload');
    const w = ctx.scope.workload(id);
    return events(this.watch.watch(`${w.metadata.namespace}/${w.metadata.name}`, w), ctx.credential);
  }
}

const REVOKED =
  'the credential of this subscription was revoked or has expired: subscribe again with a valid one';

/**
 * The watch's changes as GraphQL payloads; closing the subscription closes the watch. With a
 * credential check (every subscription over WebSocket has one), the credential is checked before
 * each event and at least every `everyMs` while none comes: once it no longer authenticates, the
 * subscription ends with UNAUTHENTICATED and sends nothing more.
 *
 * An iterator object, not an async generator: a generator's `return()` waits until it reaches its
 * next `yield`, so a client that unsubscribed while no change came would leave the generator
 * waiting, its credential timer firing forever. Here `return()` closes the watch at once, which
 * ends the pending wait.
 */
function events(
  changes: AsyncIterableIterator<WatchedChange>,
  credential?: CredentialCheck,
): AsyncIterableIterator<{ workloadEvents: WorkloadEvent }> {
  let closed = false;
  const close = async () => {
    closed = true;
    await changes.return?.();
  };
  const done = { done: true as const, value: undefined };
  const iterator: AsyncIterableIterator<{ workloadEvents: WorkloadEvent }> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => {
      if (closed) return done;
      try {
        const c = await nextChecked(changes, credential, () => closed);
        if (c.done || closed) return done;
        if (credential && !(await credential.stillValid())) throw unauthenticated(REVOKED);
        const workload = toWorkload(c.value.workload);
        return {
          done: false,
          value: { workloadEvents: { type: c.value.type, phase: workload.phase, workload } },
        };
      } catch (e) {
        await close();
        throw e;
      }
    },
    return: async () => {
      await close();
      return done;
    },
  };
  return iterator;
}

/** The next change; while waiting for it, the credential is checked every `everyMs`. */
async function nextChecked(
  changes: AsyncIterableIterator<WatchedChange>,
  credential: CredentialCheck | undefined,
  closed: () => boolean,
): Promise<IteratorResult<WatchedChange>> {
  const next = changes.next();
  if (!credential) return next;
  while (!closed()) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>(
      (resolve) => (timer = setTimeout(() => resolve('tick'), credential.everyMs)),
    );
    const r = await Promise.race([next, tick]).finally(() => clearTimeout(timer));
    if (r !== 'tick') return r;
    if (!(await credential.stillValid())) throw unauthenticated(REVOKED);
  }
  return { done: true, value: undefined };
}
