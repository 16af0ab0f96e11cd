// The Helm chart renders from copies under helm/kentaur/files/ (Helm cannot read outside the chart):
// each copy must equal its one source in the repository, byte for byte. `bash helm/kentaur/sync-crds.sh`
// refreshes them. And the vendors the chart's ci values declare must be what the vendor code accepts.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseGenericVendorConfig } from '@kentaur/vendors';

const ROOT = resolve(__dirname, '../..');
const CHART = join(ROOT, 'helm/kentaur');
const FIX = 'run `bash helm/kentaur/sync-crds.sh` and commit the copies';

const dashboards = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.json'))
    .sort();

describe('helm/kentaur/files: copies of their sources', () => {
  const pairs: [string, string][] = [
    ['libs/api/generated/kentaur-crds.yaml', 'files/crds/kentaur-crds.yaml'],
    ['deploy/prometheus/alerts.yaml', 'files/prometheus/alerts.yaml'],
    ['deploy/rbac/gateway.yaml', 'files/rbac/gateway.yaml'],
    ...dashboards('deploy/grafana/dashboards').map((f): [string, string] => [
      `deploy/grafana/dashboards/${f}`,
      `files/dashboards/${f}`,
    ]),
  ];

  it.each(pairs)('%s is copied unchanged to helm/kentaur/%s', (source, copy) => {
    const same = readFileSync(join(ROOT, source), 'utf8') === readFileSync(join(CHART, copy), 'utf8');
    expect({ copy, same, fix: same ? undefined : FIX }).toEqual({ copy, same: true, fix: undefined });
  });

  it('has exactly the dashboards of deploy/grafana/dashboards', () => {
    expect(dashboards('helm/kentaur/files/dashboards')).toEqual(dashboards('deploy/grafana/dashboards'));
  });
});

describe('helm/kentaur vendors.custom', () => {
  it('ci/custom-vendor-values.yaml declares vendors that libs/vendors accepts', () => {
    const values = parse(readFileSync(join(CHART, 'ci/custom-vendor-values.yaml'), 'utf8')) as {
      vendors: { custom: unknown[] };
    };
    expect(values.vendors.custom.length).toBeGreaterThan(0);
    values.vendors.custom.forEach((v, i) => {
      expect(parseGenericVendorConfig(v, `vendors.custom[${i}]`).errors).toEqual([]);
    });
  });

  it('values.yaml declares none by default', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as {
      vendors: { custom: unknown[] };
    };
    expect(values.vendors.custom).toEqual([]);
  });
});
