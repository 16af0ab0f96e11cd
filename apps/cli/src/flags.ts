/**
 * A positive number from a flag (or the environment variable standing in for it), or an error that
 * names the flag and the fix: `--site-failover-grace "ten" is not a positive number of seconds: give
 * e.g. --site-failover-grace 30`. Undefined when the value is not given.
 */
export function positiveNumber(
  flag: string,
  value: string | undefined,
  o: { example: string; unit?: string; env?: string },
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0))
    throw new Error(
      `--${flag}${o.env ? ` (or ${o.env})` : ''} ${JSON.stringify(value)} is not a positive number` +
        `${o.unit ? ` of ${o.unit}` : ''}: give e.g. --${flag} ${o.example}`,
    );
  return n;
}
