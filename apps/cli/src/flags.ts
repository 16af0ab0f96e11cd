interface FlagHint {
  example: string;
  unit?: string;
  env?: string;
}

/**
 * A positive number from a flag (or the environment variable standing in for it), or an error that
 * names the flag and the fix: `--site-failover-grace "ten" is not a positive number of seconds: give
 * e.g. --site-failover-grace 30`. Undefined when the value is not given.
 */
export function positiveNumber(flag: string, value: string | undefined, o: FlagHint): number | undefined {
  return numberFlag(flag, value, { ...o, zero: false });
}

/** As positiveNumber, 0 allowed too (for sizes where 0 turns a feature off). */
export function nonNegativeNumber(flag: string, value: string | undefined, o: FlagHint): number | undefined {
  return numberFlag(flag, value, { ...o, zero: true });
}

function numberFlag(
  flag: string,
  value: string | undefined,
  o: FlagHint & { zero: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && (n > 0 || (o.zero && n === 0))) return n;
  const unit = o.unit ? ` of ${o.unit}` : '';
  const what = o.zero ? `a number${unit}, 0 or more` : `a positive number${unit}`;
  throw new Error(
    `--${flag}${o.env ? ` (or ${o.env})` : ''} ${JSON.stringify(value)} is not ${what}: give e.g. --${flag} ${o.example}`,
  );
}
