// Number and text formatting for the page's tables (plain strings; html.ts escapes them).

const SIG3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** Three significant digits with thousands separators: 0.35, 47.2, 18,000; "—" for no number. */
export function fmt(v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (v !== 0 && Math.abs(v) < 1e-6) return v.toExponential(2);
  return SIG3.format(v);
}

export function fmtFixed(v: number | null | undefined, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

/** A kpsim cell whose published condition lies outside the run's scales. */
export const NOT_IN_RUN = '— (not in this run)';

/** kpsim's value at a published condition: exact, interpolated between scales, or not covered. */
export function fmtKpsim(v: { value: number; exact: boolean } | null): string {
  if (!v) return NOT_IN_RUN;
  return v.exact ? fmt(v.value) : `≈ ${fmt(v.value)} (interpolated)`;
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h} h ` : ''}${m} min ${s % 60} s`;
}

export function fmtBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '—';
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
