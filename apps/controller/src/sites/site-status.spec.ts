import type { Site } from '@kentaur/api';
import { siteStatus } from './site-status';

const site: Site = {
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'Site',
  metadata: { name: 'fi-1', generation: 3 },
  spec: { country: 'FI' },
};
const NOW = '2026-12-06T10:00:00Z';

describe('siteStatus', () => {
  it('says reachable, and why, for each state', () => {
    const cases = [
      [{ state: 'management' as const }, true, 'ManagementCluster'],
      [{ state: 'reachable' as const, server: 'https://fi', sinceMs: undefined, error: '' }, true, 'Probed'],
      [
        {
          state: 'unreachable' as const,
          server: 'https://fi',
          sinceMs: Date.parse(NOW),
          error: 'ECONNREFUSED',
        },
        false,
        'Unreachable',
      ],
      [
        { state: 'unconnected' as const, sinceMs: undefined, error: 'Secret s does not exist' },
        false,
        'KubeconfigUnusable',
      ],
    ] as const;
    for (const [health, reachable, reason] of cases) {
      const s = siteStatus(site, health, NOW);
      expect([s.reachable, s.observedGeneration, s.conditions?.[0]?.type, s.conditions?.[0]?.reason]).toEqual(
        [reachable, 3, 'Reachable', reason],
      );
    }
    const connecting = siteStatus(site, { state: 'connecting' }, NOW);
    // Not yet tried: no `reachable` (readers say "unknown"), an Unknown condition, not an error.
    expect(connecting.reachable).toBeUndefined();
    expect(connecting.conditions?.[0]).toMatchObject({ status: 'Unknown', reason: 'Connecting' });
    const down = siteStatus(
      site,
      { state: 'unreachable', server: 'https://fi', sinceMs: Date.parse(NOW), error: 'ECONNREFUSED' },
      NOW,
    );
    expect(down.conditions?.[0]?.message).toBe(
      'https://fi: ECONNREFUSED (unreachable since 2026-12-06T10:00:00.000Z)',
    );
  });

  it('keeps the transition time while the state stays the same', () => {
    const first = siteStatus(site, { state: 'management' }, NOW);
    const again = siteStatus({ ...site, status: first }, { state: 'management' }, '2026-12-06T11:00:00Z');
    expect(again.conditions?.[0]?.lastTransitionTime).toBe(NOW);
  });
});
