import { PRECISIONS } from '@kentaur/api';
import {
  catalogModels,
  catalogVendorsOf,
  computeUnitsFromTFLOPS,
  findModel,
  findModelByPciId,
  partitionShare,
} from './catalog';

describe('catalog', () => {
  const cu: [string, string, number | undefined][] = [
    ['nvidia', 'H100', 0.99],
    ['nvidia', 'H200', 0.99],
    ['nvidia', 'B200', 2.25],
    ['amd', 'MI300X', 1.31],
    ['amd', 'MI325X', 1.31],
    ['amd', 'MI350X', 2.3],
    ['intel', 'Gaudi3', 1.84],
    ['tenstorrent', 'n300', 0.13], // from FP16 131 TFLOPS (no BF16 figure published)
    ['tenstorrent', 'p150', 0.37], // from FP16 372 TFLOPS
    ['intel', 'Max1550', undefined],
    ['intel', 'CrescentIsland', undefined],
  ];
  it.each(cu)('%s %s has %p compute units', (vendor, model, expected) => {
    expect(findModel(vendor, model)?.computeUnits).toBe(expected);
  });

  it('has exactly the models of the brief, one entry each', () => {
    expect(catalogModels().map((m) => `${m.vendor}/${m.model}`)).toEqual([
      'nvidia/H100',
      'nvidia/H200',
      'nvidia/B200',
      'amd/MI300X',
      'amd/MI325X',
      'amd/MI350X',
      'intel/Gaudi3',
      'intel/Max1550',
      'intel/CrescentIsland',
      'tenstorrent/n300',
      'tenstorrent/p150',
    ]);
  });

  const figures: [string, string, Record<string, number | undefined>][] = [
    ['H100', 'nvidia', { memoryGB: 80, boardPowerW: 700, bf16DenseTFLOPS: 989.4, fp8DenseTFLOPS: 1978.9 }],
    ['H200', 'nvidia', { memoryGB: 141, boardPowerW: 700, bf16DenseTFLOPS: 989.4 }],
    ['B200', 'nvidia', { memoryGB: 180, boardPowerW: 1000, bf16DenseTFLOPS: 2250, fp8DenseTFLOPS: 4500 }],
    ['MI300X', 'amd', { memoryGB: 192, boardPowerW: 750, bf16DenseTFLOPS: 1307.4, fp8DenseTFLOPS: 2614.9 }],
    ['MI325X', 'amd', { memoryGB: 256, boardPowerW: 1000 }],
    ['MI350X', 'amd', { memoryGB: 288, boardPowerW: 1000, bf16DenseTFLOPS: 2300, fp8DenseTFLOPS: 4600 }],
    ['Gaudi3', 'intel', { memoryGB: 128, boardPowerW: 900, bf16DenseTFLOPS: 1835, fp8DenseTFLOPS: 1835 }],
    ['Max1550', 'intel', { memoryGB: undefined, boardPowerW: undefined, bf16DenseTFLOPS: undefined }],
    ['CrescentIsland', 'intel', { memoryGB: 160, boardPowerW: undefined, bf16DenseTFLOPS: undefined }],
    [
      'n300',
      'tenstorrent',
      { memoryGB: 24, boardPowerW: 300, bf16DenseTFLOPS: undefined, fp16DenseTFLOPS: 131 },
    ],
    [
      'p150',
      'tenstorrent',
      { memoryGB: 32, boardPowerW: 300, bf16DenseTFLOPS: undefined, fp8DenseTFLOPS: 745 },
    ],
  ];
  it.each(figures)(
    '%s carries the reference figures and leaves unknown ones unset',
    (model, vendor, expected) => {
      const found = findModel(vendor, model)! as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(expected)) expect([key, found[key]]).toEqual([key, value]);
    },
  );

  it('lists only valid precisions, bf16 everywhere, fp8 where the hardware has it, and both classes for training parts', () => {
    for (const m of catalogModels()) {
      expect(m.precisions.every((p) => (PRECISIONS as readonly string[]).includes(p))).toBe(true);
      expect(m.precisions).toContain('bf16');
    }
    expect(findModel('tenstorrent', 'p150')!.precisions).toContain('bf16');
    expect(findModel('nvidia', 'B200')!.precisions).toContain('fp4');
    expect(findModel('nvidia', 'H100')!.precisions).not.toContain('fp4');
    expect(findModel('intel', 'CrescentIsland')!.classes).toEqual(['inference']);
    expect(findModel('tenstorrent', 'n300')!.devicesPerCard).toBe(2);
  });

  const lookups: [string, string, string, string | undefined][] = [
    ['GFD product string', 'nvidia', 'NVIDIA-H100-80GB-HBM3', 'H100'],
    ['catalog name, other case', 'nvidia', 'h200', 'H200'],
    ['AMD labeller product name', 'amd', 'AMD_Instinct_MI325X_OAM', 'MI325X'],
    ['Habana device type', 'intel', 'GAUDI3', 'Gaudi3'],
    ['Intel GPU product label', 'intel', 'Max_1550', 'Max1550'],
    ['model of another vendor', 'amd', 'H100', undefined],
    ['a PCIe H100 is not the SXM entry', 'nvidia', 'NVIDIA-H100-PCIe', undefined],
  ];
  it.each(lookups)('findModel: %s', (_name, vendor, text, expected) => {
    expect(findModel(vendor, text)?.model).toBe(expected);
  });

  it('finds models by PCI device ID and tells which vendor a model name belongs to', () => {
    expect(findModelByPciId('amd', '74a1')?.model).toBe('MI300X');
    expect(findModelByPciId('amd', '0x75A0')?.model).toBe('MI350X');
    expect(findModelByPciId('intel', '1061')?.model).toBe('Gaudi3');
    expect(findModelByPciId('intel', '1020')).toBeUndefined(); // Gaudi 2 is not in the catalog
    expect(catalogVendorsOf('p150')).toEqual(['tenstorrent']);
    expect(catalogVendorsOf('nonesuch')).toEqual([]);
  });

  it('returns copies the caller cannot use to change the catalog', () => {
    findModel('nvidia', 'H100')!.aliases.push('mutated');
    catalogModels()[0]!.memoryGB = 1;
    expect(findModel('nvidia', 'mutated')).toBeUndefined();
    expect(findModel('nvidia', 'H100')!.memoryGB).toBe(80);
  });

  it('rounds compute units to two decimals exactly', () => {
    expect(computeUnitsFromTFLOPS(1835)).toBe(1.84);
    expect(computeUnitsFromTFLOPS(989.4)).toBe(0.99);
    expect(computeUnitsFromTFLOPS(1307.4)).toBe(1.31);
  });

  const shares: [string, number | undefined][] = [
    ['1g.10gb', 1 / 7],
    ['3g.40gb', 3 / 7],
    ['7g.80gb', 1],
    ['cpx_nps4', 1 / 8],
    ['dpx_nps2', 1 / 2],
    ['spx_nps1', 1],
    ['something', undefined],
  ];
  it.each(shares)('partition %s is %p of a chip', (partition, expected) => {
    expect(partitionShare(partition)).toBe(expected);
  });
});
