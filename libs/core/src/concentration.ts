/**
 * Herfindahl–Hirschman index of the amounts (e.g. allocated devices by vendor): Σ shareᵢ², from
 * 1/n (n equal parts) to 1 (one part holds everything); 0 when there is nothing.
 */
export function herfindahl(amounts: readonly number[]): number {
  const total = amounts.reduce((a, b) => a + b, 0);
  if (total <= 0) return 0;
  return amounts.reduce((sum, x) => sum + (x / total) ** 2, 0);
}
