/**
 * Small number helpers for the benchmark report: medians across rounds, ratios and fixed-width formatting.
 * Kept free of I/O so the report maths can be tested on its own.
 */

/** Median of the finite numbers in `values` (mean of the two middle ones for an even count); `undefined` when none. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return undefined;
  finite.sort((a, b) => a - b);
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

/** Smallest and largest finite value, to show the spread behind a median; `undefined` when none. */
export function range(values: readonly (number | undefined)[]): { min: number; max: number } | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { min: Math.min(...finite), max: Math.max(...finite) };
}

/** `numerator / denominator`, or `undefined` when either side is missing or the denominator is not positive. */
export function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || !(denominator > 0)) return undefined;
  return numerator / denominator;
}

/** `a - b`, or `undefined` when either side is missing. */
export function difference(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  return a - b;
}

/** Formats a value for a table cell; missing values become an em dash so gaps are visible, not zeros. */
export function formatNumber(value: number | undefined, fractionDigits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
}

/** Formats a duration given in microseconds as milliseconds with two decimals (the unit wrk users read). */
export function formatMicrosAsMillis(micros: number | undefined): string {
  return formatNumber(micros === undefined ? undefined : micros / 1000, 2);
}

/** Formats a ratio as `1.23×`. */
export function formatRatio(value: number | undefined): string {
  return value === undefined ? '—' : `${formatNumber(value, 2)}×`;
}
