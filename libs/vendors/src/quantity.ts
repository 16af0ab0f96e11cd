// Kubernetes memory quantities, just enough to size /dev/shm from a pod's memory.

const BINARY: [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const DECIMAL: [string, number][] = [
  ['E', 1e18],
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
];
const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][-+]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

/** Bytes in a memory quantity ("512Gi", "100G", "1e9", 1073741824); undefined when it is not one. */
export function parseMemoryBytes(quantity: string | number | undefined): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) && quantity > 0 ? quantity : undefined;
  if (quantity === undefined) return undefined;
  const m = QUANTITY.exec(quantity.trim());
  if (!m) return undefined;
  const [, number, exponent, suffix] = m;
  const multipliers: Record<string, number> = { ...Object.fromEntries([...BINARY, ...DECIMAL]), m: 1e-3 };
  const factor = exponent !== undefined ? 10 ** Number(exponent.slice(1)) : suffix ? multipliers[suffix]! : 1;
  const bytes = Number(number) * factor;
  return bytes > 0 ? bytes : undefined;
}

/** The shortest exact quantity for a whole number of bytes: 2^38 → "256Gi", 5e10 → "50G". */
export function formatBytes(bytes: number): string {
  const whole = Math.ceil(bytes);
  const exact = [...BINARY, ...DECIMAL]
    .filter(([, factor]) => whole % factor === 0)
    .map(([suffix, factor]) => `${whole / factor}${suffix}`);
  return [...exact, String(whole)].reduce((best, s) => (s.length < best.length ? s : best));
}
