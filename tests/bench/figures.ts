import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Where every benchmark writes its figures (not committed). */
export const RESULTS_DIR = join(__dirname, '../../bench-results');

/** The machine a figure was measured on: it goes into every JSON file. */
export function machine(): { cpus: number; cpuModel: string; node: string } {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version };
}

/** Writes bench-results/<name>.json (<name>.smoke.json for a smoke run); returns the path. */
export function writeFigures(name: string, smoke: boolean, figures: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, smoke ? `${name}.smoke.json` : `${name}.json`);
  writeFileSync(file, JSON.stringify(figures, null, 2) + '\n');
  return file;
}
