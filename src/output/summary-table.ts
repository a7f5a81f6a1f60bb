// The one-screen terminal summary of a run: headline numbers per mode and scale, then the fits.
import { type RunResults, seriesView } from '../metrics/results.ts';
import { fitCertainty, fitExponentText, fitVerdictText } from '../metrics/stats.ts';
import { modeRatios, ratioCell } from '../report/ratios.ts';

const COLUMNS: { head: string; metric: string; clock: 'simulated' | 'wall'; statistic: string; fmt: (v: number) => string }[] = [
  { head: 'rules/pkt', metric: 'lookup.rules_evaluated', clock: 'simulated', statistic: 'mean', fmt: (v) => v.toFixed(0) },
  { head: 'lookup sim', metric: 'lookup.latency', clock: 'simulated', statistic: 'mean', fmt: ns },
  { head: 'lookup wall p50', metric: 'lookup.latency', clock: 'wall', statistic: 'p50', fmt: ns },
  { head: 'sync full sim', metric: 'sync.full', clock: 'simulated', statistic: 'value', fmt: (v) => secs(v) },
  { head: '+1 svc sim', metric: 'sync.add_service', clock: 'simulated', statistic: 'value', fmt: (v) => secs(v) },
  { head: 'sync full wall', metric: 'sync.full', clock: 'wall', statistic: 'value', fmt: (v) => secs(v / 1000) },
  { head: 'pkts/s/core sim', metric: 'throughput.node_core', clock: 'simulated', statistic: 'value', fmt: (v) => si(v) },
];

export function summaryTable(run: RunResults): string {
  const r = seriesView(run);
  const lines: string[] = [];
  const ratios = modeRatios(r.rows);
  const ratioHead = ratios ? [`${ratios.what === 'first packet' ? '1st pkt' : 'lookup'} vs fastest`] : [];
  const header = ['mode', 'services', ...COLUMNS.map((c) => c.head), ...ratioHead];
  const table: string[][] = [header];
  const index = new Map<string, number>();
  for (const row of r.rows) index.set(`${row.mode}|${row.scale}|${row.metric}|${row.clock}|${row.statistic}|${row.repetition}`, row.value);
  for (const p of r.points) {
    if (p.repetition !== 1) continue;
    if (p.status === 'failed') {
      table.push([p.mode, String(p.scale), `FAILED: ${(p.error ?? '').split('\n')[0].slice(0, 60)}`]);
      continue;
    }
    table.push([
      p.mode,
      String(p.scale),
      ...COLUMNS.map((c) => {
        const v = index.get(`${p.mode}|${p.scale}|${c.metric}|${c.clock}|${c.statistic}|1`);
        return v === undefined ? '-' : c.fmt(v);
      }),
      ...(ratios ? [ratioCell(ratios, p.mode, p.scale) || '-'] : []),
    ]);
  }
  lines.push(render(table), '');
  const fits = r.fits.filter(
    (f) => f.metric === 'lookup.latency' || f.metric === 'sync.add_service' || f.metric === 'lookup.rules_evaluated',
  );
  if (fits.length) {
    const ft: string[][] = [['mode', 'metric', 'clock', 'exponent', '95% CI', 'R²', 'verdict']];
    // The same rule as the HTML report: no exponent from fewer than 3 scales, "uncertain" when wide.
    for (const f of fits)
      ft.push([
        f.mode,
        f.metric,
        f.clock,
        fitExponentText(f),
        fitCertainty(f) === 'too few scales' ? '-' : `[${f.ciLow.toFixed(2)}, ${f.ciHigh.toFixed(2)}]`,
        fitCertainty(f) === 'too few scales' ? '-' : f.r2.toFixed(3),
        fitVerdictText(f),
      ]);
    lines.push('complexity (metric ~ services^k):', render(ft));
  }
  // Capacities exceeded: findings, not failures (the real proxy carries on without those services).
  const limited = r.points.filter((p) => p.limits && p.limits.length > 0);
  if (limited.length > 0) {
    lines.push('', 'limits reached (the points completed; what did not fit is not programmed):');
    for (const p of limited)
      for (const l of p.limits!)
        lines.push(
          `  ${p.mode} @ ${p.scale} services: ${l.name} holds ${l.capacity}, ${l.wanted} wanted: ${l.droppedCount} not programmed (e.g. ${l.dropped.slice(0, 3).join(', ')}); ${l.consequence}`,
        );
  }
  const failed = r.points.filter((p) => p.status === 'failed').length;
  lines.push(
    '',
    `${r.points.length - failed} points ok, ${failed} failed, ${r.meta.wallSeconds.toFixed(1)} s wall-clock on ${r.meta.workers} worker${r.meta.workers > 1 ? 's' : ''}`,
  );
  return lines.join('\n');
}

function render(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function ns(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} µs`;
  return `${v.toFixed(0)} ns`;
}

function secs(v: number): string {
  if (v >= 3600) return `${(v / 3600).toFixed(1)} h`;
  if (v >= 60) return `${(v / 60).toFixed(1)} min`;
  if (v >= 1) return `${v.toFixed(2)} s`;
  if (v >= 1e-3) return `${(v * 1e3).toFixed(1)} ms`;
  return `${(v * 1e6).toFixed(0)} µs`;
}

function si(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)}k`;
  return v.toFixed(0);
}
