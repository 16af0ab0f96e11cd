import {
  aPool,
  aSnapshot,
  aTenant,
  aWorkload,
  runCycle,
  waitingOf,
  type PoolBuilder,
  type TenantBuilder,
  type WorkloadBuilder,
} from './testing';

/**
 * Step 2, one criterion at a time: the fleet has an NVIDIA pool in dk-1 (cheaper: chosen when both
 * are feasible) and an AMD pool in fi-1; each case changes one thing and says where the workload
 * lands, or why it waits.
 */
const nvidia = () => aPool('nv').vendor('nvidia', 'H100').site('dk-1').memory(80).price(1.5).nodes(2, 8);
const amd = () => aPool('amd').vendor('amd', 'MI300X').site('fi-1').memory(192).nodes(2, 8);

interface Case {
  pools?: PoolBuilder[];
  tenant?: TenantBuilder;
  workload: WorkloadBuilder;
}

function outcome({ pools = [nvidia(), amd()], tenant = aTenant('t'), workload }: Case): string {
  const result = runCycle(
    aSnapshot()
      .pools(...pools)
      .tenants(tenant)
      .pending(workload.tenant('t')),
  );
  const admitted = result.admitted[0];
  if (admitted) return `admitted to ${admitted.pool}`;
  const w = result.waiting[0]!;
  return `${w.code}: ${w.reason}`;
}

const w = () => aWorkload('ns/w');

describe('feasible pools', () => {
  const cases: [string, Case, string][] = [
    ['vendor allowed by the workload', { workload: w().vendors('amd') }, 'admitted to amd'],
    [
      'vendor allowed by the tenant',
      { tenant: aTenant('t').vendors('amd'), workload: w() },
      'admitted to amd',
    ],
    [
      'workload ∩ tenant vendors is empty',
      { tenant: aTenant('t').vendors('nvidia'), workload: w().vendors('amd') },
      'vendor: no vendor is allowed by both the workload (amd) and tenant t (nvidia)',
    ],
    [
      'no pool of an allowed vendor',
      { workload: w().vendors('intel') },
      'vendor: no pool of an allowed vendor (intel)',
    ],
    ['no pools at all', { pools: [], workload: w() }, 'vendor: no accelerator pools in the fleet'],
    ['image for amd only', { workload: w().images('amd') }, 'admitted to amd'],
    ['generic image covers every vendor', { pools: [amd()], workload: w().images('*') }, 'admitted to amd'],
    [
      'no image for any allowed vendor',
      { workload: w().images('intel') },
      'image: no image for vendors amd, nvidia',
    ],
    [
      'image only for a vendor the workload does not allow',
      { workload: w().vendors('nvidia').images('amd') },
      'image: no image for vendors nvidia',
    ],
    ['both feasible: the cheaper pool', { workload: w() }, 'admitted to nv'],
    ['site allowed by the workload', { workload: w().sites('fi-1') }, 'admitted to amd'],
    ['site allowed by the tenant', { tenant: aTenant('t').sites('fi-1'), workload: w() }, 'admitted to amd'],
    [
      'workload ∩ tenant sites is empty',
      { tenant: aTenant('t').sites('dk-1'), workload: w().sites('fi-1') },
      'site: no site is allowed by both the workload (fi-1) and tenant t (dk-1)',
    ],
    [
      'the allowed vendor is not in the allowed site',
      { workload: w().vendors('amd').sites('dk-1') },
      'site: no pool of amd in the allowed sites (dk-1)',
    ],
    [
      'class any matches every pool',
      { pools: [nvidia().classes('inference')], workload: w().class('any') },
      'admitted to nv',
    ],
    [
      'class training needs a training pool',
      { pools: [nvidia().classes('inference'), amd()], workload: w().class('training') },
      'admitted to amd',
    ],
    [
      'no pool serves the class',
      { pools: [nvidia().classes('inference')], workload: w().class('training') },
      'class: no nvidia pool serves class training',
    ],
    ['memory: 192 GB only on MI300X', { workload: w().minMemory(192) }, 'admitted to amd'],
    ['memory: 80 GB fits both', { workload: w().minMemory(80) }, 'admitted to nv'],
    [
      'memory too large for every pool',
      { workload: w().minMemory(256) },
      'memory: no pool has 256 GB of device memory (largest: 192 GB)',
    ],
    [
      'unknown pool memory fails a memory requirement',
      { pools: [nvidia().memory(undefined)], workload: w().minMemory(16) },
      'memory: no pool has 16 GB of device memory (device memory unknown)',
    ],
    [
      'unknown pool memory is fine without a requirement',
      { pools: [nvidia().memory(undefined)], workload: w() },
      'admitted to nv',
    ],
    [
      'every requested precision must be supported',
      {
        pools: [nvidia().precisions('bf16'), amd().precisions('bf16', 'fp8')],
        workload: w().precisions('bf16', 'fp8'),
      },
      'admitted to amd',
    ],
    [
      'no pool supports all precisions',
      {
        pools: [nvidia().precisions('bf16'), amd().precisions('fp8')],
        workload: w().precisions('bf16', 'fp8'),
      },
      'precision: no pool supports every requested precision (bf16, fp8)',
    ],
    ['models allow-list', { workload: w().models('MI300X') }, 'admitted to amd'],
    ['an empty models list is no restriction', { workload: w().models() }, 'admitted to nv'],
    [
      'no pool of the listed models',
      { workload: w().models('B200') },
      'model: no pool of models B200 (matching pools have H100, MI300X)',
    ],
    [
      'cordoned pools take no new work',
      { pools: [nvidia().cordoned(), amd()], workload: w() },
      'admitted to amd',
    ],
    [
      'every pool cordoned',
      { pools: [nvidia().cordoned(), amd().cordoned()], workload: w() },
      'cordoned: every matching pool is cordoned (nv, amd)',
    ],
    [
      'gang needs more nodes than any pool has',
      { workload: w().gang(3, 8) },
      'shape: gang cannot fit: needs 3 nodes with 8 devices in one pool, the largest matching pool has 2',
    ],
    [
      'replica larger than any node',
      { workload: w().gang(1, 16) },
      'shape: gang cannot fit: nodes have at most 8 devices, each replica needs 16',
    ],
    [
      'the closest pools name the reason: amd has an image but no 256 GB',
      { workload: w().images('amd').minMemory(256) },
      'memory: no pool has 256 GB of device memory (largest: 192 GB)',
    ],
  ];
  it.each(cases)('%s', (_name, c, expected) => expect(outcome(c)).toBe(expected));

  it('a gang takes replicas distinct nodes, each with the full device count', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').node('a', 8, 8).node('b', 8, 3).node('c', 8, 6))
        .tenants(aTenant('t'))
        .pending(aWorkload('ns/g').gang(2, 6)),
    );
    expect(result.admitted[0]!.placement).toEqual([
      { node: 'c', devices: 6 },
      { node: 'a', devices: 6 },
    ]);
  });

  it('a gang never fits on one node with room for two replicas', () => {
    const result = runCycle(
      aSnapshot()
        .pools(aPool('p').node('a', 8, 8).node('b', 8, 2))
        .tenants(aTenant('t'))
        .pending(aWorkload('ns/g').gang(2, 4)),
    );
    expect(result.admitted).toEqual([]);
    expect(waitingOf(result, 'ns/g')!.code).not.toBe('shape');
  });
});
