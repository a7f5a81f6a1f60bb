// The gate's output: a terminal table and a Markdown version (for $GITHUB_STEP_SUMMARY), one line
// per (mode, scale, metric, clock). A line stands for every statistic and repetition checked for
// it and shows the worst of them.
import { comparePoints } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { type BandCheck, type Comparison, type GateReport, severity } from './types.ts';

export interface Line {
  mode: string;
  scale: string;
  metric: string;
  clock: string;
  stat: string;
  baseline: string;
  current: string;
  change: string;
  p: string;
  verdict: string;
  note: string;
  /** Comparisons this line stands for. */
  checks: number;
  worst: Comparison;
}

const HEAD = ['mode', 'scale', 'metric', 'clock', 'stat', 'baseline', 'current', 'change', 'p', 'verdict', 'note'] as const;
const BAND_HEAD = ['mode', 'metric', 'clock', 'stat', 'band', 'baseline k', 'current k', '95% CI', 'verdict'];

export function lines(report: GateReport): Line[] {
  const groups = new Map<string, Comparison[]>();
  for (const c of report.comparisons) {
    const key = c.kind === 'point' ? `point|${c.mode}|${c.scale}|${c.repetition}` : `${c.mode}|${c.scale}|${c.metric}|${c.clock}`;
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const out: Line[] = [];
  for (const list of groups.values()) {
    const worst = list.reduce((a, b) =>
      severity(b.verdict) > severity(a.verdict) ||
      (severity(b.verdict) === severity(a.verdict) && Math.abs(b.change ?? 0) > Math.abs(a.change ?? 0))
        ? b
        : a,
    );
    const stat =
      worst.kind === 'point'
        ? `rep ${worst.repetition}`
        : worst.kind === 'wall-samples'
          ? 'samples'
          : `${worst.statistic}${worst.repetition !== null && worst.repetition !== 1 ? ` #${worst.repetition}` : ''}`;
    const others = list.length > 1 ? `${list.length} checked` : '';
    out.push({
      mode: worst.mode,
      scale: String(worst.scale),
      metric: worst.metric,
      clock: worst.clock ?? '',
      stat,
      baseline: value(worst.baseline, worst.unit),
      current: value(worst.current, worst.unit),
      change: change(worst.change),
      p: worst.p === null ? '' : pValue(worst.p),
      verdict: worst.verdict,
      note: [worst.note ?? '', others].filter(Boolean).join('; '),
      checks: list.length,
      worst,
    });
  }
  const clockRank = (c: string) => (c === 'simulated' ? 0 : c === 'wall' ? 1 : -1);
  return out.sort(
    (a, b) =>
      comparePoints({ mode: a.mode, scale: a.worst.scale, repetition: 0 }, { mode: b.mode, scale: b.worst.scale, repetition: 0 }) ||
      (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0) ||
      clockRank(a.clock) - clockRank(b.clock),
  );
}

export function summaryLine(report: GateReport): string {
  const n = (v: Comparison['verdict']) => report.comparisons.filter((c) => c.verdict === v).length;
  const bandsOut = report.bands.filter((b) => b.verdict === 'FAIL').length;
  const bandsMissing = report.bands.filter((b) => b.verdict === 'missing').length;
  const parts = [
    `${n('FAIL')} regression${n('FAIL') === 1 ? '' : 's'}`,
    `${n('missing')} missing`,
    `${n('warn')} warning${n('warn') === 1 ? '' : 's'}`,
    `${n('new')} new`,
    `${n('pass')} passed`,
    `${report.ignored} ignored`,
  ];
  const bands = `complexity bands: ${report.bands.length - bandsOut - bandsMissing} in band, ${bandsOut} outside, ${bandsMissing} missing${report.bandsSkipped ? `, ${report.bandsSkipped} not applicable` : ''}`;
  return `gate ${report.outcome}: ${parts.join(', ')} (of ${report.comparisons.length} checks); ${bands}`;
}

/** current / baseline of a comparison (for sample tests: of the normalised medians); null without both. */
export function ratioOf(c: Comparison): number | null {
  return c.change === null ? null : 1 + c.change;
}

/**
 * The lines that changed beyond the gate's levels (worst verdict not a pass), biggest change
 * first: missing points and numbers, then by |log(current/baseline)|, then new ones.
 */
export function changedLines(report: GateReport): Line[] {
  return changedOf(lines(report));
}

/** The changed lines among `all` (the same objects), biggest change first. */
export function changedOf(all: Line[]): Line[] {
  const size = (l: Line) => {
    if (l.worst.verdict === 'missing') return Infinity;
    const r = ratioOf(l.worst);
    if (r === null) return -1;
    return r > 0 && Number.isFinite(r) ? Math.abs(Math.log(r)) : Number.MAX_VALUE;
  };
  return all
    .filter((l) => l.worst.verdict !== 'pass')
    .map((l, i) => ({ l, i, s: size(l) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.l);
}

/**
 * The terminal output. By default the verdict, the lines that changed and the bands out of
 * range; `verbose` adds every line and band (a passing gate on a sweep is hundreds of lines).
 */
export function formatText(report: GateReport, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [
    `baseline: ${report.baselineFile} (run ${report.baselineRun})`,
    `current:  ${report.currentFile} (run ${report.currentRun})`,
  ];
  for (const w of report.warnings) out.push(`warning: ${w}`);
  const all = lines(report);
  const shown = opts.verbose ? all : changedOf(all);
  if (shown.length) out.push('', render([[...HEAD], ...shown.map(cells)], [1, 5, 6, 7, 8]));
  else out.push('', "no number changed beyond the gate's levels");
  const bands = opts.verbose ? report.bands : report.bands.filter((b) => b.verdict !== 'pass');
  if (bands.length) out.push('', 'complexity (metric ~ services^k):', render([BAND_HEAD, ...bands.map(bandCells)], [5, 6]));
  out.push('', summaryLine(report));
  if (!opts.verbose && shown.length < all.length)
    out.push(
      `(${all.length - shown.length} unchanged line${all.length - shown.length === 1 ? '' : 's'} not shown: --verbose for the full table)`,
    );
  return out.join('\n') + '\n';
}

export function formatMarkdown(report: GateReport): string {
  const icon = report.outcome === 'FAIL' ? '❌' : report.outcome === 'warn' ? '⚠️' : '✅';
  const out: string[] = [
    `## ${icon} kpsim performance gate: ${report.outcome}`,
    '',
    `**${summaryLine(report)}**`,
    '',
    `Baseline \`${report.baselineFile}\` (run \`${report.baselineRun}\`), current \`${report.currentFile}\` (run \`${report.currentRun}\`).`,
    '',
  ];
  if (report.warnings.length) out.push(report.warnings.map((w) => `> **Warning:** ${md(w)}`).join('\n>\n'), '');
  const ls = lines(report);
  const problems = ls.filter((l) => l.worst.verdict !== 'pass');
  if (problems.length) out.push('### Needs attention', '', mdTable([...HEAD], problems.map(cells)), '');
  if (report.bands.length) out.push('### Complexity (metric ~ services^k)', '', mdTable(BAND_HEAD, report.bands.map(bandCells)), '');
  out.push(`<details><summary>All ${ls.length} comparisons</summary>`, '', mdTable([...HEAD], ls.map(cells)), '', '</details>', '');
  return out.join('\n');
}

function cells(l: Line): string[] {
  return [l.mode, l.scale, l.metric, l.clock, l.stat, l.baseline, l.current, l.change, l.p, l.verdict, l.note];
}

function bandCells(b: BandCheck): string[] {
  const band = `[${b.min ?? '-inf'}, ${b.max ?? '+inf'}]`;
  const k = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  return [
    b.mode,
    b.metric,
    b.clock,
    b.statistic,
    band,
    k(b.baselineExponent),
    k(b.exponent),
    b.ciLow !== null && b.ciHigh !== null ? `[${b.ciLow.toFixed(2)}, ${b.ciHigh.toFixed(2)}]` : '-',
    b.verdict,
  ];
}

function render(rows: string[][], rightAligned: number[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const right = new Set(rightAligned);
  return rows
    .map((row) =>
      row
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function mdTable(head: string[], rows: string[][]): string {
  const row = (r: string[]) => `| ${r.map((c) => md(c) || ' ').join(' | ')} |`;
  return [row(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(row)].join('\n');
}

function md(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
}

export function value(v: number | null, unit: string): string {
  if (v === null) return '-';
  return unit ? `${num(v)} ${unitLabel(unit)}` : num(v);
}

function num(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

export function change(c: number | null): string {
  if (c === null) return '';
  if (c === 0) return '0%';
  if (!Number.isFinite(c)) return c > 0 ? '+inf' : '-inf';
  const pct = c * 100;
  const sign = pct > 0 ? '+' : '';
  return Math.abs(pct) < 0.01 ? `${sign}${pct.toExponential(1)}%` : `${sign}${pct.toFixed(2)}%`;
}

function pValue(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}
