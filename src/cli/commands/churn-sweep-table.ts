// The terminal summary of a churn sweep: one line per point, simulated clock.
import { type RunResults, seriesView } from '../../metrics/results.ts';
import { churnSeries } from '../../report/churn-data.ts';
import { fallsBehind, pointStates } from '../../report/churn-findings.ts';
import { fmtS } from '../../controlplane/report.ts';

const COLUMNS = ['mode', 'services', 'rate/s', 'sync p50 s', 'latency p50 s', 'latency p99 s', 'queue max', 'busy', 'verdict'];

export function churnSweepTable(run: RunResults): string {
  const results = seriesView(run);
  const stat = (base: string, statistic: string) =>
    new Map(churnSeries(results.rows, base, statistic).map((p) => [`${p.mode}|${p.scale}|${p.rate}`, p.value]));
  const p50 = stat('programming.latency', 'p50');
  const p99 = stat('programming.latency', 'p99');
  const table: string[][] = [COLUMNS];
  const durationS = results.meta.churn?.durationS ?? null;
  for (const s of pointStates(results.rows)) {
    const k = `${s.mode}|${s.scale}|${s.rate}`;
    const verdict = fallsBehind(s, durationS) ? 'FALLS BEHIND' : s.cpuShare >= 0.9 ? 'keeps up (saturated)' : 'keeps up';
    table.push([
      s.mode,
      String(s.scale),
      s.rate === null ? '-' : String(s.rate),
      fmtS(s.syncP50),
      fmtS(p50.get(k) ?? NaN),
      fmtS(p99.get(k) ?? NaN),
      fmtS(s.queueMax),
      Number.isFinite(s.cpuShare) ? `${Math.round(100 * s.cpuShare)}%` : '-',
      verdict,
    ]);
  }
  for (const p of results.points)
    if (p.status === 'failed')
      table.push([p.mode, String(p.scale), String(p.rate ?? '-'), `FAILED: ${(p.error ?? '').split('\n')[0].slice(0, 60)}`]);
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table
    .map((r) =>
      r
        .map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
