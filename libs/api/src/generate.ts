import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { customResourceDefinitions } from './crds';

/** The checked-in CRD file: used by the tests, the Helm chart and `kubectl apply -f`. */
export const CRD_FILE = join(__dirname, '..', 'generated', 'kentaur-crds.yaml');

const HEADER = [
  '# GENERATED from libs/api/src (schemas and kind definitions) by `npm run generate`. Do not edit:',
  '# a unit test fails when this file and the sources disagree.',
  '',
].join('\n');

export function renderCrdYaml(opts: { vendors?: readonly string[] } = {}): string {
  const docs = customResourceDefinitions(opts).map((crd) => stringify(crd, { lineWidth: 0 }));
  return HEADER + docs.map((d) => `---\n${d}`).join('');
}

/** Rewrites the CRD file; returns whether it changed. */
export function writeCrdYaml(file = CRD_FILE): boolean {
  const next = renderCrdYaml();
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* first generation */
  }
  if (current === next) return false;
  writeFileSync(file, next);
  return true;
}

if (require.main === module) {
  const changed = writeCrdYaml();
  process.stdout.write(`${CRD_FILE}: ${changed ? 'regenerated' : 'up to date'}\n`);
}
