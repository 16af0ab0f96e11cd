import { isPortable, runnableVendors } from './portability';
import { aPool, aWorkload, type WorkloadBuilder } from './testing';

const fleet = [
  aPool('nv').vendor('nvidia', 'H100').memory(80).precisions('bf16', 'fp8', 'fp64').obj(),
  aPool('amd').vendor('amd', 'MI300X').memory(192).precisions('bf16', 'fp8', 'fp64').obj(),
  aPool('intel').vendor('intel', 'Gaudi3').memory(128).precisions('bf16', 'fp8').classes('training').obj(),
];

describe('isPortable: at least two vendors could run it', () => {
  const cases: [string, WorkloadBuilder, string[], boolean][] = [
    ['generic image, no constraints', aWorkload('a'), ['amd', 'intel', 'nvidia'], true],
    ['images for two vendors', aWorkload('a').images('nvidia', 'amd'), ['amd', 'nvidia'], true],
    ['image for one vendor only', aWorkload('a').images('amd'), ['amd'], false],
    ['memory only one vendor has', aWorkload('a').minMemory(192), ['amd'], false],
    ['memory two vendors have', aWorkload('a').minMemory(100), ['amd', 'intel'], true],
    ['precision only two support', aWorkload('a').precisions('fp64'), ['amd', 'nvidia'], true],
    [
      'class inference excludes the training-only pool',
      aWorkload('a').class('inference').precisions('fp64'),
      ['amd', 'nvidia'],
      true,
    ],
    ['restricted to one vendor', aWorkload('a').vendors('nvidia'), ['nvidia'], false],
    ['model allow-list of one', aWorkload('a').models('MI300X'), ['amd'], false],
  ];
  it.each(cases)('%s', (_name, w, vendors, portable) => {
    expect(runnableVendors(w.obj(), fleet)).toEqual(vendors);
    expect(isPortable(w.obj(), fleet)).toBe(portable);
  });

  it('ignores capacity and cordons: portability is about the workload', () => {
    const busy = fleet.map((p) => ({ ...p, cordoned: true, nodes: [] }));
    expect(isPortable(aWorkload('a').obj(), busy)).toBe(true);
  });
});
