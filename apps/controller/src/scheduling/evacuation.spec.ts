import type { AcceleratorPool, Workload } from '@kentaur/api';
import { aPool } from '@kentaur/core/testing';
import { makeWorkload } from '@kentaur/testing';
import { evacuationDecisions } from './evacuation';

const poolObj = (name: string, spec: Partial<AcceleratorPool['spec']>): AcceleratorPool => ({
  apiVersion: 'kentaur.io/v1alpha1',
  kind: 'AcceleratorPool',
  metadata: { name },
  spec: { site: 'dk-1', vendor: 'intel', model: 'Gaudi3', nodeSelector: { a: 'b' }, ...spec },
});
const running = (name: string, vendors: string[], pool = 'gaudi'): Workload => {
  const w = makeWorkload(name, 'ns').accelerators({ count: 4, vendors }).image('r/x:1').obj();
  w.status = {
    phase: 'Running',
    admission: {
      site: 'dk-1',
      pool,
      vendor: 'intel',
      model: 'Gaudi3',
      computeUnits: 1,
      admittedAt: '2026-11-22T00:00:00Z',
    },
  };
  return w;
};
const snapshotPools = [aPool('gaudi').vendor('intel').obj(), aPool('amd').vendor('amd').obj()];

describe('evacuationDecisions', () => {
  it('moves work another vendor can run and keeps, with a reason, work no other pool can run', () => {
    const decisions = evacuationDecisions({
      workloads: [
        running('movable', ['intel', 'amd']),
        running('pinned', ['intel']),
        running('elsewhere', ['amd'], 'amd'),
      ],
      pools: [poolObj('gaudi', { cordoned: true, evacuate: true }), poolObj('amd', { vendor: 'amd' })],
      snapshotPools,
    });
    expect(decisions).toEqual([
      {
        key: 'ns/movable',
        pool: 'gaudi',
        move: true,
        reason: expect.stringMatching(/moving to a pool of amd/),
      },
      {
        key: 'ns/pinned',
        pool: 'gaudi',
        move: false,
        reason: expect.stringMatching(/no other pool can run this workload/),
      },
    ]);
  });

  it('does nothing for pools that are only cordoned, or evacuate without cordon', () => {
    const workloads = [running('movable', ['intel', 'amd'])];
    expect(
      evacuationDecisions({ workloads, pools: [poolObj('gaudi', { cordoned: true })], snapshotPools }),
    ).toEqual([]);
    expect(
      evacuationDecisions({ workloads, pools: [poolObj('gaudi', { evacuate: true })], snapshotPools }),
    ).toEqual([]);
  });
});
