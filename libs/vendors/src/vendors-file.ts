import { readFileSync } from 'node:fs';
import { parseGenericVendorConfig, type GenericVendorConfig } from './generic/generic-config';

/**
 * Vendors added by data: a JSON file holding an array of generic vendor configurations (the Helm
 * chart renders `vendors.custom` into one). Every problem names its entry and field and says how to
 * fix it; nothing is half-loaded.
 */
export function parseVendorsFile(text: string, source: string): GenericVendorConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message}): write an array of vendor objects`, {
      cause: e,
    });
  }
  if (!Array.isArray(raw))
    throw new Error(`${source}: must be a JSON array of vendor objects, e.g. [{"vendor": "acme-npu", ...}]`);
  const configs: GenericVendorConfig[] = [];
  const problems: string[] = [];
  raw.forEach((entry, i) => {
    const { config, errors } = parseGenericVendorConfig(entry, `[${i}]`);
    if (config) configs.push(config);
    problems.push(...errors.map((e) => `${e.field}: ${e.message}`));
  });
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return configs;
}

/** Reads and validates a vendors file (see parseVendorsFile). */
export function loadVendorsFile(path: string): GenericVendorConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `vendors file ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause: e,
      },
    );
  }
  return parseVendorsFile(text, `vendors file ${path}`);
}
