import { readFileSync } from 'node:fs';
import { customResourceDefinitions } from './crds';
import { CRD_FILE, renderCrdYaml } from './generate';
import type { JSONSchemaProps } from './schema';

describe('generated CRDs', () => {
  it('the checked-in file matches the sources (run `npm run generate` after changing libs/api)', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(renderCrdYaml());
  });

  it('defines the four kinds with status subresource, short names and printer columns', () => {
    const crds = customResourceDefinitions();
    expect(crds.map((c) => c.metadata.name)).toEqual([
      'workloads.kentaur.io',
      'acceleratorpools.kentaur.io',
      'tenants.kentaur.io',
      'sites.kentaur.io',
    ]);
    for (const crd of crds) {
      const spec = crd.spec as {
        names: { shortNames: string[] };
        versions: { subresources: unknown; additionalPrinterColumns: unknown[] }[];
      };
      expect(spec.names.shortNames.length).toBeGreaterThan(0);
      expect(spec.versions[0]!.subresources).toEqual({ status: {} });
      expect(spec.versions[0]!.additionalPrinterColumns.length).toBeGreaterThan(2);
    }
  });

  // CEL cost estimation needs bounds on every string, list and map; an unbounded one makes the API
  // server reject rules as too expensive. Walk every schema and require them.
  it('bounds every string, list and map', () => {
    const unbounded: string[] = [];
    const walk = (p: JSONSchemaProps, path: string) => {
      if (p.type === 'string' && p.maxLength === undefined && !p.enum) unbounded.push(path);
      if (p.type === 'array' && p.maxItems === undefined) unbounded.push(path);
      if (p.additionalProperties && p.maxProperties === undefined) unbounded.push(path);
      for (const [k, child] of Object.entries(p.properties ?? {})) walk(child, `${path}.${k}`);
      if (p.items) walk(p.items, `${path}[]`);
      if (p.additionalProperties) walk(p.additionalProperties, `${path}{}`);
    };
    for (const crd of customResourceDefinitions()) {
      const root = (crd.spec as { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] }).versions[0]!
        .schema.openAPIV3Schema;
      walk(root.properties!.spec!, `${crd.metadata.name}:spec`);
    }
    expect(unbounded).toEqual([]);
  });

  it('adds configured vendors to the allowed image keys', () => {
    const yaml = renderCrdYaml({ vendors: ['dare'] });
    expect(yaml).toContain("'tenstorrent', 'dare'");
  });
});
