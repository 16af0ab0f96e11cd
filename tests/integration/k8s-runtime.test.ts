// libs/k8s-runtime against the real API server: watches do not take the connections of requests;
// the informer's cache follows creates, updates and deletes through watch restarts and relists;
// leader election gives the Lease to exactly one
// candidate and hands it over when the leader goes away.
import type { ConfigMap } from 'kubernetes-types/core/v1';
import {
  ConfigMaps,
  isConflict,
  Informer,
  LeaderElector,
  Leases,
  microTime,
  Namespaces,
  type KubeClient,
  type KubeObject,
  waitFor,
} from '@kentaur/k8s-runtime';
import { createTestNamespace, testClient } from '../support/cluster';

const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('KubeClient', () => {
  it('answers requests while more watches are open than it has request connections', async () => {
    const client = testClient({ maxSockets: 2 });
    const ns = await createTestNamespace(client, 'client');
    const stop = new AbortController();
    try {
      await client.create(ConfigMaps, cm('watched'), { namespace: ns });
      // Four watches, each held open: a watch without a resourceVersion starts with the objects
      // that exist, so its first event says it has its connection.
      const watches = Array.from({ length: 4 }, () =>
        client.watch<ConfigMap>(ConfigMaps, { namespace: ns, signal: stop.signal }),
      );
      for (const w of watches) expect((await w.next()).value).toMatchObject({ type: 'ADDED' });
      const outcome = await Promise.race([
        client.get<ConfigMap>(ConfigMaps, 'watched', ns).then((c) => `read ${c.metadata!.name}`),
        new Promise((r) => setTimeout(() => r('still waiting for a connection after 10 s'), 10_000).unref()),
      ]);
      expect(outcome).toBe('read watched');
      for (const w of watches) await w.return(undefined);
    } finally {
      stop.abort();
      client.close();
    }
  });

  it('reports each answered request to `observe` with its verb, status and resource', async () => {
    const seen: string[] = [];
    const client = testClient({
      observe: (verb, status, seconds, resource) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        seen.push(`${verb} ${status} ${resource}`);
      },
    });
    const ns = await createTestNamespace(client, 'observed');
    try {
      seen.length = 0;
      const made = await client.create(ConfigMaps, cm('observed'), { namespace: ns });
      await client.replace(ConfigMaps, { ...made, data: { a: '1' } }, { namespace: ns });
      await client.patch(ConfigMaps, 'observed', { data: { b: '2' } }, { namespace: ns });
      await client.list(ConfigMaps, { namespace: ns });
      await client.get(ConfigMaps, 'missing', ns).catch(() => undefined);
      const ready = await client.get<KubeObject>(Namespaces, ns);
      await client.replace(Namespaces, ready, { subresource: 'status' }).catch(() => undefined);
      await client.request({ method: 'GET', path: '/version' });
      await client.delete(ConfigMaps, 'observed', { namespace: ns });
      expect(seen).toEqual([
        'POST 201 configmaps',
        'PUT 200 configmaps',
        'PATCH 200 configmaps',
        'GET 200 configmaps',
        'GET 404 configmaps',
        'GET 200 namespaces',
        'PUT 200 namespaces/status',
        'GET 200 other',
        'DELETE 200 configmaps',
      ]);
    } finally {
      await client.delete(Namespaces, ns).catch(() => undefined);
      client.close();
    }
  });
});

describe('Informer', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = testClient();
    ns = await createTestNamespace(client, 'informer');
  });
  afterAll(() => client.close());

  // Only labelled objects: kube-controller-manager adds kube-root-ca.crt to every namespace.
  const labelled = (name: string, data: Record<string, string> = {}) => ({
    ...cm(name, data),
    metadata: { name, labels: { test: 'informer' } },
  });
  const informerOf = (extra: Partial<ConstructorParameters<typeof Informer>[0]> = {}) =>
    new Informer<ConfigMap>({
      client,
      type: ConfigMaps,
      namespace: ns,
      labelSelector: 'test=informer',
      ...extra,
    });

  it('follows adds, updates and deletes, and re-watches when the server ends each watch', async () => {
    await client.create(ConfigMaps, labelled('before'), { namespace: ns });
    const events: string[] = [];
    // The server closes every watch after 1 s: the informer must keep going from its resourceVersion.
    const informer = informerOf({ watchTimeoutSeconds: 1 });
    informer.addHandlers({
      onAdd: (o) => events.push(`add ${o.metadata!.name}`),
      onUpdate: (_o, n) => events.push(`update ${n.metadata!.name} ${n.data?.v ?? ''}`),
      onDelete: (o) => events.push(`delete ${o.metadata!.name}`),
    });
    informer.start();
    try {
      await informer.waitForSync();
      expect(informer.get(`${ns}/before`)).toBeDefined();
      await new Promise((r) => setTimeout(r, 2500)); // at least two server-side watch timeouts
      await client.create(ConfigMaps, labelled('a'), { namespace: ns });
      await client.patch(ConfigMaps, 'a', { data: { v: '2' } }, { namespace: ns });
      await client.delete(ConfigMaps, 'before', { namespace: ns });
      await waitFor('the informer to see all three changes', () =>
        Promise.resolve(
          informer.get(`${ns}/before`) === undefined && informer.get(`${ns}/a`)?.data?.v === '2'
            ? true
            : undefined,
        ),
      );
      expect(events).toEqual(['add before', 'add a', 'update a 2', 'delete before']);
      expect(informer.restarts).toBe(0); // server-side timeouts are normal ends, not failures
    } finally {
      await informer.stop();
    }
  });

  it('caches transformed objects, and a delete hands over the final state, transformed', async () => {
    await client.create(ConfigMaps, labelled('t1', { keep: 'k', drop: 'x'.repeat(1000) }), { namespace: ns });
    const deleted: ConfigMap[] = [];
    const informer = informerOf({
      transform: (o) => {
        const c = o as ConfigMap;
        return { metadata: c.metadata, data: { keep: c.data?.keep ?? '' } } as ConfigMap;
      },
    });
    informer.addHandlers({ onDelete: (o) => deleted.push(o) });
    informer.start();
    try {
      await informer.waitForSync();
      expect(informer.get(`${ns}/t1`)?.data).toEqual({ keep: 'k' });
      await client.create(ConfigMaps, labelled('t2', { keep: 'a', drop: 'y' }), { namespace: ns });
      await client.patch(ConfigMaps, 't2', { data: { keep: 'b' } }, { namespace: ns });
      await waitFor('the update', () =>
        Promise.resolve(informer.get(`${ns}/t2`)?.data?.keep === 'b' ? true : undefined),
      );
      expect(informer.get(`${ns}/t2`)?.data).toEqual({ keep: 'b' });
      await client.delete(ConfigMaps, 't2', { namespace: ns });
      await waitFor('the delete', () => Promise.resolve(deleted.length > 0 ? true : undefined));
      expect(deleted.map((o) => [o.metadata?.name, o.data])).toEqual([['t2', { keep: 'b' }]]);
    } finally {
      await informer.stop();
      await client.delete(ConfigMaps, 't1', { namespace: ns }).catch(() => undefined);
    }
  });

  it('keeps an index current through adds, value changes, deletes and objects without a value', async () => {
    const owned = (name: string, owner?: string) => ({
      ...labelled(name),
      metadata: { name, labels: { test: 'informer', ...(owner ? { owner } : {}) } },
    });
    await client.create(ConfigMaps, owned('i1', 'x'), { namespace: ns });
    const informer = informerOf();
    informer.start();
    const names = (owner: string) =>
      informer
        .byIndex('owner', owner)
        .map((o) => o.metadata!.name)
        .sort();
    try {
      await informer.waitForSync();
      // Added after the sync: built from what the cache already holds.
      informer.addIndex('owner', (o) => o.metadata?.labels?.owner);
      expect(() => informer.addIndex('owner', () => undefined)).toThrow(/already exists/);
      expect(() => informer.byIndex('nope', 'x')).toThrow(/does not exist/);
      expect(names('x')).toEqual(['i1']);
      await client.create(ConfigMaps, owned('i2', 'x'), { namespace: ns });
      await client.create(ConfigMaps, owned('i3'), { namespace: ns });
      await client.patch(ConfigMaps, 'i1', { metadata: { labels: { owner: 'y' } } }, { namespace: ns });
      await client.delete(ConfigMaps, 'i2', { namespace: ns });
      await client.create(ConfigMaps, owned('i4', 'y'), { namespace: ns });
      await waitFor('the index to follow', () =>
        Promise.resolve(
          informer.get(`${ns}/i4`) && informer.get(`${ns}/i2`) === undefined ? true : undefined,
        ),
      );
      expect(names('x')).toEqual([]);
      expect(names('y')).toEqual(['i1', 'i4']);
      expect(informer.get(`${ns}/i3`)).toBeDefined(); // cached, in no index entry
    } finally {
      await informer.stop();
      for (const n of ['i1', 'i3', 'i4'])
        await client.delete(ConfigMaps, n, { namespace: ns }).catch(() => undefined);
    }
  });

  it('restarts after a failed watch, relists, and reports the deletes it missed', async () => {
    await client.create(ConfigMaps, labelled('keep'), { namespace: ns });
    await client.create(ConfigMaps, labelled('gone'), { namespace: ns });
    const first = informerOf();
    first.start();
    await first.waitForSync();
    await first.stop();
    const cached = first.list();
    expect(cached.map((o) => o.metadata!.name).sort()).toEqual(['a', 'keep', 'gone'].sort());

    // While no watch runs an object disappears. The next informer starts from the first one's cache
    // and a resourceVersion the API server rejects, as a watch resumed after a long outage would.
    await client.delete(ConfigMaps, 'gone', { namespace: ns });
    const deleted: string[] = [];
    const causes: string[] = [];
    const later = Date.now() + 3_600_000;
    let currentAtRestart = 0;
    const resumed = informerOf({
      backoff: { initialMs: 50, maxMs: 200 },
      onRestart: (e) => {
        causes.push(String(e));
        currentAtRestart = resumed.currentUntil(later);
      },
    });
    const internals = resumed as unknown as {
      cache: Map<string, ConfigMap>;
      resourceVersion: string;
      synced: boolean;
    };
    for (const o of cached) internals.cache.set(`${ns}/${o.metadata!.name}`, o);
    internals.resourceVersion = 'not-a-resource-version';
    internals.synced = true;
    resumed.addHandlers({ onDelete: (o) => deleted.push(o.metadata!.name!) });
    resumed.start();
    try {
      await waitFor('the resumed informer to notice the deletion', () =>
        Promise.resolve(deleted.includes('gone') ? true : undefined),
      );
      expect(resumed.get(`${ns}/keep`)).toBeDefined();
      expect(resumed.get(`${ns}/gone`)).toBeUndefined();
      expect(resumed.restarts).toBe(1);
      expect(causes[0]).toMatch(/400|resource ?version/i);
      // While it was failing, the cache was current only up to the failure; after the relist, to now.
      expect(currentAtRestart).toBeGreaterThan(later - 3_600_000 - 60_000);
      expect(currentAtRestart).toBeLessThan(later);
      expect(resumed.currentUntil(later)).toBe(later);
    } finally {
      await resumed.stop();
    }
  });
});

describe('LeaderElector', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    client = testClient();
    ns = await createTestNamespace(client, 'lease');
  });
  afterAll(() => client.close());

  const candidate = (
    identity: string,
    log: string[],
    timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000 },
  ) =>
    new LeaderElector({
      client,
      namespace: ns,
      name: 'kentaur-controller',
      identity,
      ...timing,
      retryPeriodMs: 200,
      onStartedLeading: () => log.push(`${identity} leads`),
      onStoppedLeading: () => log.push(`${identity} stops`),
    });

  it('elects exactly one leader and hands over when it releases the lease', async () => {
    const log: string[] = [];
    const a = candidate('a', log);
    const b = candidate('b', log);
    a.start();
    b.start();
    await waitFor('a leader', () => Promise.resolve(a.isLeader() || b.isLeader() ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    await leader.stop();
    await waitFor(
      'the other candidate to take over',
      () => Promise.resolve(other.isLeader() ? true : undefined),
      { timeoutMs: 10_000 },
    );
    expect(leader.isLeader()).toBe(false);
    await other.stop();
    expect(log.filter((l) => l.endsWith('leads'))).toHaveLength(2);
  });

  it('takes over after the lease expires when the leader vanishes without releasing it', async () => {
    const log: string[] = [];
    const a = candidate('a2', log);
    a.start();
    await waitFor('a2 to lead', () => Promise.resolve(a.isLeader() ? true : undefined));
    // Simulate a crash: stop renewing without releasing (no stop()).
    (a as unknown as { stopped: boolean }).stopped = true;
    const b = candidate('b2', log);
    const started = Date.now();
    b.start();
    await waitFor('b2 to take over after expiry', () => Promise.resolve(b.isLeader() ? true : undefined), {
      timeoutMs: 15_000,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500); // not before the lease duration passed
    await b.stop();
  });

  it('a leader whose Lease is handed to another replica steps down at its next round, not at the renew deadline', async () => {
    const log: string[] = [];
    // A long deadline: before this behaviour, the old leader led on for up to 15 s beside the new one.
    const timing = { leaseDurationMs: 20_000, renewDeadlineMs: 15_000 };
    const a = candidate('a3', log, timing);
    const b = candidate('b3', log, timing);
    a.start();
    await waitFor('a3 to lead', () => Promise.resolve(a.isLeader() ? true : undefined));
    b.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(b.isLeader()).toBe(false);
    // An administrator (or another replica's clock) hands the Lease to b3: read, modify, write, again
    // when a3's renewal came in between (409 Conflict).
    let handedAt = 0;
    for (let handed = false; !handed;) {
      const lease = await client.get<{ metadata: object; spec: Record<string, unknown> } & KubeObject>(
        Leases,
        'kentaur-controller',
        ns,
      );
      handedAt = Date.now();
      handed = await client
        .replace(Leases, {
          ...lease,
          spec: { ...lease.spec, holderIdentity: 'b3', renewTime: microTime(handedAt) },
        })
        .then(
          () => true,
          (e: unknown) => {
            if (isConflict(e)) return false;
            throw e;
          },
        );
    }
    await waitFor('a3 to step down', () => Promise.resolve(a.isLeader() ? undefined : true), {
      timeoutMs: 5_000,
    });
    expect(Date.now() - handedAt).toBeLessThan(timing.renewDeadlineMs / 3);
    await waitFor('b3 to lead', () => Promise.resolve(b.isLeader() ? true : undefined), { timeoutMs: 5_000 });
    // a3 does not take it back while b3 renews it.
    await new Promise((r) => setTimeout(r, 1000));
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true]);
    // b3 may start leading just before a3's round sees the handover: the two run independently.
    expect([...log].sort()).toEqual(['a3 leads', 'a3 stops', 'b3 leads']);
    await a.stop();
    await b.stop();
  });
});
