import type { KubeObject } from './client';
import { isNewer, OwnWrites } from './own-writes';

const obj = (name: string, rv: string, phase = 'Queued'): KubeObject & { status: { phase: string } } => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  status: { phase },
});

describe('OwnWrites', () => {
  it('serves what this process wrote until the cache holds that version, then the cache', () => {
    let now = 0;
    const own = new OwnWrites<ReturnType<typeof obj>>({ now: () => now });
    own.remember(obj('a', '105', 'Admitted'));
    // The watch lags: the cache still shows the version before the write.
    expect(own.overlay([obj('a', '100'), obj('b', '101')]).map((o) => o.status.phase)).toEqual([
      'Admitted',
      'Queued',
    ]);
    now = 1000;
    // The cache caught up (same version): the entry goes.
    expect(own.overlay([obj('a', '105', 'Admitted'), obj('b', '101')])[0]!.metadata!.resourceVersion).toBe(
      '105',
    );
    expect(own.size).toBe(0);
  });

  it('lets a later write by someone else win, and forgets deleted objects and old entries', () => {
    let now = 0;
    const own = new OwnWrites<ReturnType<typeof obj>>({ now: () => now, ttlMs: 10_000 });
    own.remember(obj('a', '105', 'Admitted'));
    expect(own.overlay([obj('a', '120', 'Running')])[0]!.status.phase).toBe('Running');
    expect(own.size).toBe(0);

    own.remember(obj('gone', '130', 'Admitted'));
    expect(own.overlay([obj('a', '120', 'Running')])).toHaveLength(1); // not resurrected
    expect(own.size).toBe(0);

    own.remember(obj('a', '140', 'Succeeded'));
    now = 10_001;
    expect(own.overlay([obj('a', '120', 'Running')])[0]!.status.phase).toBe('Running');
    expect(own.size).toBe(0);
  });

  it('never mutates its input and returns a new list', () => {
    const own = new OwnWrites<ReturnType<typeof obj>>();
    const cached = Object.freeze([Object.freeze(obj('a', '1'))]);
    own.remember(obj('a', '2', 'Admitted'));
    const out = own.overlay(cached);
    expect(out).not.toBe(cached);
    expect(cached[0]!.status.phase).toBe('Queued');
  });

  it('compares resourceVersions as integers, beyond 2^53, and trusts the cache for any other format', () => {
    expect(isNewer(obj('a', '10'), obj('a', '9'))).toBe(true);
    expect(isNewer(obj('a', '9007199254740993'), obj('a', '9007199254740992'))).toBe(true);
    expect(isNewer(obj('a', '9'), obj('a', '10'))).toBe(false);
    expect(isNewer(obj('a', 'abc'), obj('a', '1'))).toBe(false);
    expect(isNewer(obj('a', '2'), obj('a', ''))).toBe(false);
  });
});
