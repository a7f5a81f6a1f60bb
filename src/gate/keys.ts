// Keys and small helpers shared by the comparisons.

export function pointKey(mode: string, scale: number, repetition: number): string {
  return `${mode}|${scale}|${repetition}`;
}

/** Median of a list (sorts a copy); NaN when empty. */
export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(values).sort();
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
