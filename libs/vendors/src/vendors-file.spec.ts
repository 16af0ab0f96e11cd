import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VendorRegistry } from './registry';
import { loadVendorsFile, parseVendorsFile } from './vendors-file';

const DARE = {
  vendor: 'dare',
  resourceName: 'example.eu/aipu',
  nodeSelector: { 'feature.node.kubernetes.io/pci-1e52.present': 'true' },
  defaultModel: 'aipu-1',
};

describe('vendors file', () => {
  it('loads configured vendors that a registry then places on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kentaur-vendors-'));
    const file = join(dir, 'vendors.json');
    writeFileSync(file, JSON.stringify([DARE]));
    const vendors = loadVendorsFile(file);
    expect(vendors).toEqual([DARE]);
    const registry = new VendorRegistry({ generic: vendors });
    expect(registry.adapter('dare').resourceNames).toEqual(['example.eu/aipu']);
  });

  it('an empty array adds nothing', () => {
    expect(parseVendorsFile('[]', 'f')).toEqual([]);
  });

  it.each([
    ['not JSON', '[{', /^f: not JSON .*: write an array of vendor objects/],
    ['not an array', '{"vendor": "dare"}', /^f: must be a JSON array of vendor objects/],
    ['a built-in vendor', JSON.stringify([{ ...DARE, vendor: 'amd' }]), /^f: \[0\]\.vendor: /],
    [
      'every bad entry at once',
      JSON.stringify([DARE, { ...DARE, vendor: 'x', resourceName: 'no-domain' }, 'text']),
      /^f: \[1\]\.resourceName: .*; \[2\]: must be an object/,
    ],
  ])('refuses %s, naming the entry and field', (_name, text, message) => {
    expect(() => parseVendorsFile(text, 'f')).toThrow(message);
  });

  it('a file that cannot be read is named', () => {
    expect(() => loadVendorsFile('/nonexistent/vendors.json')).toThrow(
      'vendors file /nonexistent/vendors.json: cannot be read (ENOENT)',
    );
  });
});
