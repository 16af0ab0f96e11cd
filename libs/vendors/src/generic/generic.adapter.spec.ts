import { makeNode, makeWorkload } from '@kentaur/testing';
import type { PoolPlacement, RenderInput } from '../vendor-adapter';
import { GenericAdapter, parseGenericVendorConfig, type GenericVendorConfig } from './generic.adapter';

const NFD = 'feature.node.kubernetes.io/pci-1200_1f0a.present';
const MODEL_LABEL = 'example.eu/aipu.model';

/** An EU DARE-style inference accelerator, added purely by configuration. */
const DARE: GenericVendorConfig = {
  vendor: 'dare',
  resourceName: 'example.eu/aipu',
  nodeSelector: { [NFD]: 'true' },
  modelLabel: MODEL_LABEL,
  runtimeClassName: 'aipu',
  env: { AIPU_LOG_LEVEL: 'info' },
  visibleDevicesEnv: 'AIPU_VISIBLE_DEVICES',
  torchDevice: 'aipu',
  deviceClassName: 'aipu.example.eu',
  supplementalGroups: [2000],
  models: [
    {
      name: 'Titania',
      memoryGB: 64,
      boardPowerW: 150,
      computeUnits: 0.2,
      precisions: ['bf16', 'int8'],
      classes: ['inference'],
    },
  ],
};

describe('parseGenericVendorConfig', () => {
  it('accepts a complete configuration and returns a copy', () => {
    const { config, errors } = parseGenericVendorConfig(DARE);
    expect(errors).toEqual([]);
    expect(config).toEqual(DARE);
    expect(config).not.toBe(DARE);
  });

  const base = { vendor: 'dare', resourceName: 'example.eu/aipu', nodeSelector: { [NFD]: 'true' } };
  const invalid: [string, unknown, string, RegExp][] = [
    ['not an object', 'dare', '', /must be an object with vendor, resourceName and nodeSelector/],
    ['no vendor', { ...base, vendor: undefined }, 'vendor', /required/],
    [
      'a built-in vendor name',
      { ...base, vendor: 'nvidia' },
      'vendor',
      /built-in vendor .*choose another name/,
    ],
    [
      'vendor not a DNS label',
      { ...base, vendor: 'Dare_EU' },
      'vendor',
      /lower-case letters, digits and '-'/,
    ],
    [
      'resource without a domain',
      { ...base, resourceName: 'aipu' },
      'resourceName',
      /extended resource name <domain>\/<name>/,
    ],
    [
      'a built-in resource',
      { ...base, resourceName: 'amd.com/gpu' },
      'resourceName',
      /belongs to a built-in vendor adapter/,
    ],
    [
      'empty node selector',
      { ...base, nodeSelector: {} },
      'nodeSelector',
      /at least one label that identifies/,
    ],
    [
      'invalid label key',
      { ...base, nodeSelector: { 'bad key!': 'x' } },
      'nodeSelector[bad key!]',
      /not a valid label key/,
    ],
    [
      'a device-selection env var',
      { ...base, env: { AIPU_VISIBLE_DEVICES: '0' } },
      'env[AIPU_VISIBLE_DEVICES]',
      /only the device plugin may do/,
    ],
    ['an invalid env name', { ...base, env: { '1X': 'y' } }, 'env[1X]', /environment variable name/],
    [
      'an invalid visibleDevicesEnv',
      { ...base, visibleDevicesEnv: 'AIPU VISIBLE' },
      'visibleDevicesEnv',
      /NPU_VISIBLE_DEVICES/,
    ],
    [
      'an invalid DeviceClass',
      { ...base, deviceClassName: 'Not_A_Class' },
      'deviceClassName',
      /DeviceClass name/,
    ],
    [
      'an unknown precision',
      { ...base, models: [{ name: 'x', precisions: ['fp7'] }] },
      'models[0].precisions[0]',
      /must be one of/,
    ],
    [
      'a model listed twice',
      { ...base, models: [{ name: 'X' }, { name: 'x' }] },
      'models[1].name',
      /listed twice/,
    ],
    ['a misspelt field', { ...base, nodeSelecter: {} }, 'nodeSelecter', /unknown field/],
    ['a negative group', { ...base, supplementalGroups: [-1] }, 'supplementalGroups[0]', /at least 1/],
  ];
  it.each(invalid)('rejects %s naming the field', (_name, raw, field, message) => {
    const { config, errors } = parseGenericVendorConfig(raw);
    expect(config).toBeUndefined();
    expect(errors).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
  });

  it('prefixes fields with the path of the configuration', () => {
    const { errors } = parseGenericVendorConfig({ ...base, vendor: 'amd' }, 'vendors.generic[2]');
    expect(errors.map((e) => e.field)).toEqual(['vendors.generic[2].vendor']);
  });
});

describe('GenericAdapter.discover', () => {
  const adapter = new GenericAdapter({ config: DARE });
  const node = () =>
    makeNode('n').label(NFD, 'true').taint('example.eu/aipu').allocatable('example.eu/aipu', 4);

  it('recognises the configured nodes and the model from the model label', () => {
    expect(adapter.discover(node().label(MODEL_LABEL, 'titania').obj())).toEqual({
      vendor: 'dare',
      model: 'Titania',
      resourceName: 'example.eu/aipu',
      devicesPerNode: 4,
      memoryGB: 64,
      precisions: ['bf16', 'int8'],
      nodeSelector: { [NFD]: 'true', [MODEL_LABEL]: 'titania' },
      source: 'feature-labels',
      warnings: [],
    });
  });

  it('reports an unknown model with the labels that would name it', () => {
    expect(adapter.discover(node().obj())).toMatchObject({
      model: 'unknown',
      nodeSelector: { [NFD]: 'true' },
      warnings: [
        expect.stringMatching(
          /label the nodes with example\.eu\/aipu\.model or kentaur\.io\/accelerator-model=<model>, or set defaultModel/,
        ),
      ],
    });
  });

  it('takes the Kentaur model label, and defaultModel last', () => {
    expect(adapter.discover(node().model('Titania').obj())).toMatchObject({
      model: 'Titania',
      source: 'kentaur-label',
    });
    const withDefault = new GenericAdapter({ config: { ...DARE, defaultModel: 'Titania' } });
    expect(withDefault.discover(node().obj())).toMatchObject({
      model: 'Titania',
      memoryGB: 64,
      warnings: [],
    });
  });

  it('warns about a model not among the configured ones', () => {
    expect(adapter.discover(node().label(MODEL_LABEL, 'Vec').obj())!.warnings).toEqual([
      'model Vec is not among the models configured for dare (Titania): add it there',
    ]);
  });

  it('recognises a node by its resource alone and says the labels are missing', () => {
    const found = adapter.discover(makeNode('n').allocatable('example.eu/aipu', 2).obj())!;
    expect(found).toMatchObject({
      model: 'unknown',
      nodeSelector: {},
      source: 'allocatable',
      devicesPerNode: 2,
    });
    expect(found.warnings[0]).toMatch(
      /has allocatable example\.eu\/aipu but not the labels .*pci-1200_1f0a\.present=true/,
    );
  });

  it('ignores other nodes', () => {
    expect(adapter.discover(makeNode('cpu').obj())).toBeUndefined();
    expect(adapter.discover(makeNode('g').nvidia().obj())).toBeUndefined();
  });
});

describe('GenericAdapter rendering', () => {
  const pool: PoolPlacement = {
    name: 'eu-1-dare-titania',
    site: 'eu-1',
    vendor: 'dare',
    model: 'Titania',
    nodeSelector: { [MODEL_LABEL]: 'Titania' },
    allocation: 'devicePlugin',
    resourceName: 'example.eu/aipu',
  };
  const input = (p: PoolPlacement = pool): RenderInput => {
    const w = makeWorkload('infer', 'team-b').kind('Service').accelerators({ count: 2 }).obj();
    return { workload: { name: 'infer', namespace: 'team-b', spec: w.spec }, objectName: 'infer-1', pool: p };
  };

  it('renders the pod from configuration alone', () => {
    const spec = new GenericAdapter({ config: DARE }).renderPodTemplate(input()).spec!;
    const main = spec.containers[0]!;
    expect(main.resources!.limits).toEqual({ 'example.eu/aipu': '2' });
    expect(spec.tolerations).toEqual([{ key: 'example.eu/aipu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.runtimeClassName).toBe('aipu');
    expect(spec.securityContext!.supplementalGroups).toEqual([2000]);
    expect(main.env).toEqual([
      { name: 'KENTAUR_VENDOR', value: 'dare' },
      { name: 'KENTAUR_MODEL', value: 'Titania' },
      { name: 'KENTAUR_DEVICES', value: '2' },
      { name: 'KENTAUR_VISIBLE_DEVICES_ENV', value: 'AIPU_VISIBLE_DEVICES' },
      { name: 'KENTAUR_TORCH_DEVICE', value: 'aipu' },
      { name: 'AIPU_LOG_LEVEL', value: 'info' },
    ]);
  });

  it('tolerates a configured taint key', () => {
    const spec = new GenericAdapter({
      config: { ...DARE, taintKey: 'example.eu/accelerator' },
    }).renderPodTemplate(input()).spec!;
    expect(spec.tolerations![0]!.key).toBe('example.eu/accelerator');
  });

  it('claims through the configured DeviceClass, and explains when there is none', () => {
    const dra = { ...pool, allocation: 'dra' as const };
    const claim = new GenericAdapter({ config: DARE }).renderResourceClaimTemplate(input(dra));
    expect(claim.spec.spec.devices.requests[0]!.exactly).toEqual({
      deviceClassName: 'aipu.example.eu',
      allocationMode: 'ExactCount',
      count: 2,
    });
    const without = new GenericAdapter({ config: { ...DARE, deviceClassName: undefined } });
    expect(() => without.renderResourceClaimTemplate(input(dra))).toThrow(
      /vendor dare has no DRA DeviceClass configured: set deviceClassName/,
    );
  });
});
