import { makeNode } from '@kentaur/testing';
import type { GenericVendorConfig } from './generic/generic.adapter';
import { NvidiaAdapter } from './nvidia/nvidia.adapter';
import { VendorRegistry } from './registry';

const DARE: GenericVendorConfig = {
  vendor: 'dare',
  resourceName: 'example.eu/aipu',
  nodeSelector: { 'example.eu/aipu.present': 'true' },
  models: [
    { name: 'Titania', memoryGB: 64, computeUnits: 0.2, precisions: ['int8'], classes: ['inference'] },
  ],
};

describe('VendorRegistry', () => {
  const registry = new VendorRegistry({ generic: [DARE] });

  it('holds the four built-in vendors, then configured ones', () => {
    expect(registry.vendors()).toEqual(['nvidia', 'amd', 'intel', 'tenstorrent', 'dare']);
    expect(registry.adapter('dare').resourceNames).toEqual(['example.eu/aipu']);
  });

  it('throws a clear error for an unknown vendor', () => {
    expect(() => registry.adapter('huawei')).toThrow(
      'unknown vendor "huawei": known vendors are nvidia, amd, intel, tenstorrent, dare; add it as a generic vendor in the configuration to use it',
    );
  });

  it('refuses a configured vendor that shadows a built-in one or takes its resource', () => {
    expect(() => new VendorRegistry({ generic: [{ ...DARE, vendor: 'amd' }] })).toThrow(
      /vendor amd is registered twice/,
    );
    expect(() => new VendorRegistry({ generic: [{ ...DARE, resourceName: 'habana.ai/gaudi' }] })).toThrow(
      /resource habana.ai\/gaudi is claimed by vendors intel and dare/,
    );
  });

  it("returns every vendor's devices on a node that carries two vendors", () => {
    const node = makeNode('mixed').nvidia('H100', 4).amd('MI300X', 4).obj();
    expect(registry.discover(node).map((d) => [d.vendor, d.model, d.devicesPerNode])).toEqual([
      ['nvidia', 'H100', 4],
      ['amd', 'MI300X', 4],
    ]);
  });

  it('finds configured vendors and nothing on CPU-only nodes', () => {
    const node = makeNode('eu')
      .label('example.eu/aipu.present', 'true')
      .model('Titania')
      .allocatable('example.eu/aipu', 8)
      .obj();
    expect(registry.discover(node).map((d) => [d.vendor, d.model])).toEqual([['dare', 'Titania']]);
    expect(registry.discover(makeNode('cpu').region('dk-1').obj())).toEqual([]);
  });

  it('merges catalog and configured model facts', () => {
    expect(registry.modelInfo('amd', 'mi300x')).toEqual({
      vendor: 'amd',
      model: 'MI300X',
      memoryGB: 192,
      boardPowerW: 750,
      computeUnits: 1.31,
      precisions: ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8'],
      classes: ['training', 'inference'],
      interconnect: 'Infinity Fabric, 7 links, 8 GPUs fully connected',
      source: 'catalog',
    });
    expect(registry.modelInfo('dare', 'titania')).toEqual({
      vendor: 'dare',
      model: 'Titania',
      memoryGB: 64,
      computeUnits: 0.2,
      precisions: ['int8'],
      classes: ['inference'],
      source: 'config',
    });
    expect(registry.modelInfo('intel', 'Max1550')).toMatchObject({ model: 'Max1550', source: 'catalog' });
    expect(registry.modelInfo('intel', 'Max1550')).not.toHaveProperty('computeUnits');
    expect(registry.modelInfo('dare', 'H100')).toBeUndefined();
    expect(registry.modelInfo('nvidia', 'nonesuch')).toBeUndefined();
  });

  it('can be built with other built-in adapters (e.g. options for one vendor)', () => {
    const custom = new VendorRegistry({ builtins: [new NvidiaAdapter({ runtimeClassName: '' })] });
    expect(custom.vendors()).toEqual(['nvidia']);
  });
});
