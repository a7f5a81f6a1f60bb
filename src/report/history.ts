// `kpsim history`: runs of one scenario over time (commits, dates), one chart per metric, as
// asv draws one graph per benchmark. Each run is compared with the one before it by the
// regression gate itself (src/gate), and the numbers it flagged are ringed on the charts.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { GateConfig } from '../gate/config.ts';
import { lines } from '../gate/format.ts';
import { compareRuns } from '../gate/gate.ts';
import { readGateInput } from '../gate/inputs.ts';
import type { GateReport } from '../gate/types.ts';
import type { Clock, RunResults } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { FITTED } from '../sweep/fits.ts';
import { InputError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { browserLibraries } from './assets.ts';
import { series, sortModes, unitOf } from './data.ts';
import { fmt } from './format.ts';
import { escapeHtml, pageSpecs, renderPage, section, table } from './html.ts';
import { writeCharts } from './index.ts';
import { CONFIG, VL_SCHEMA, logTicks } from './spec-kit.ts';
import type { ChartDef, Section, SmallTable } from './types.ts';

export interface HistoryRun {
  file: string;
  results: RunResults;
  /** x-axis label: "2026-12-04 099a9e1" (date and short commit), unique within the history. */
  label: string;
}

/**
 * The metrics charted by default: the ones a sweep fits (the headline numbers) and the first
 * packet; any other the gate flagged in some run is charted too.
 */
export const HISTORY_METRICS: { metric: string; clock: Clock; statistic: string }[] = [
  ...FITTED,
  { metric: 'first_packet.latency', clock: 'simulated', statistic: 'p50' },
];

/**
 * The runs under each path: a run folder (results.json in it), a results file, or a store folder
 * whose entries are run folders or results files (e.g. one JSON file per CI run). Ordered by start
 * time; the same run given twice counts once.
 */
export function loadHistory(paths: string[]): HistoryRun[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new InputError('not found (give run folders, results files or a folder of them)', p);
    if (statSync(p).isFile()) files.push(p);
    else if (existsSync(join(p, 'results.json'))) files.push(join(p, 'results.json'));
    else {
      const inside = readdirSync(p)
        .sort()
        .flatMap((name) => {
          const q = join(p, name);
          if (statSync(q).isDirectory()) return existsSync(join(q, 'results.json')) ? [join(q, 'results.json')] : [];
          return /\.json$/.test(name) ? [q] : [];
        });
      if (inside.length === 0) throw new InputError('no runs in this folder (no results.json, no <run>/results.json, no *.json)', p);
      files.push(...inside);
    }
  }
  const seen = new Set<string>();
  const runs: Omit<HistoryRun, 'label'>[] = [];
  for (const file of files) {
    const { results } = readGateInput(file, 'source');
    const id = results.meta?.runId ?? file;
    if (seen.has(id)) continue;
    seen.add(id);
    runs.push({ file, results });
  }
  runs.sort((a, b) => String(a.results.meta?.startedAt ?? '').localeCompare(String(b.results.meta?.startedAt ?? '')));
  const labels = new Map<string, number>();
  return runs.map((r) => {
    const m = r.results.meta;
    const commit = m?.git?.commit ? `${m.git.commit.slice(0, 7)}${m.git.dirty ? '+' : ''}` : (m?.runId ?? 'run');
    const base = `${typeof m?.startedAt === 'string' ? m.startedAt.slice(0, 10) : '?'} ${commit}`;
    const n = (labels.get(base) ?? 0) + 1;
    labels.set(base, n);
    return { ...r, label: n > 1 ? `${base} #${n}` : base };
  });
}

export interface Flag {
  run: number;
  mode: string;
  scale: number;
  metric: string;
  clock: string;
  verdict: 'FAIL' | 'warn' | 'missing';
  note: string;
}

/** Each run against the one before it, with the gate's rules and levels. */
export function gateSteps(runs: HistoryRun[], config: GateConfig): (GateReport | null)[] {
  return runs.map((r, i) =>
    i === 0 ? null : compareRuns(runs[i - 1].results, r.results, config, { baseline: runs[i - 1].file, current: r.file }),
  );
}

function flagsOf(steps: (GateReport | null)[]): Flag[] {
  const out: Flag[] = [];
  steps.forEach((g, run) => {
    if (!g) return;
    for (const l of lines(g)) {
      const v = l.worst.verdict;
      if (v !== 'FAIL' && v !== 'warn' && v !== 'missing') continue;
      out.push({ run, mode: l.mode, scale: l.worst.scale, metric: l.metric, clock: l.clock, verdict: v, note: l.note });
    }
  });
  return out;
}

/** One chart: the metric per run, a panel per mode, a line per scale; the gate's flags ringed. */
export function historyChart(runs: HistoryRun[], metric: string, clock: Clock, statistic: string, flags: Flag[]): ChartDef {
  const name = `history-${metric}-${clock}-${statistic}`.replace(/[^\w.-]+/g, '_');
  const title = `${metric} (${clock} clock, ${statistic})`;
  const unit = unitLabel(runs.map((r) => unitOf(r.results.rows, metric, clock)).find(Boolean) ?? '');
  const values: Record<string, unknown>[] = [];
  runs.forEach((r, i) => {
    for (const p of series(r.results.rows, metric, clock, statistic)) {
      if (!(p.value > 0)) continue;
      const flag = flags.find((f) => f.run === i && f.mode === p.mode && f.scale === p.scale && f.metric === metric && f.clock === clock);
      values.push({
        run: r.label,
        runId: r.results.meta?.runId ?? '',
        commit: r.results.meta?.git?.commit ?? '',
        mode: p.mode,
        services: p.scale,
        value: p.value,
        flag: flag?.verdict ?? '',
        note: flag?.note ?? '',
      });
    }
  });
  const caption = `${metric}, ${statistic}, on the ${clock} clock, in ${unit || 'its unit'}: one panel per proxy mode, one line per number of services, one point per run (start date and commit) in the order the runs started. A ringed point is a number the regression gate flagged against the run before it (red: FAIL or missing, orange: warn).`;
  if (values.length === 0) return { name, title, caption, spec: null, notes: [`No run has ${clock}-clock ${metric} ${statistic} rows.`] };
  const modes = sortModes(values.map((v) => v.mode as string));
  const labels = runs.map((r) => r.label);
  // The caption names the x axis: a title under each panel would run into the next one.
  const x = { field: 'run', type: 'ordinal', sort: labels, title: null, axis: { labelAngle: -40, labelLimit: 140 } };
  const ticks = logTicks(values.map((v) => v.value as number));
  const y = {
    field: 'value',
    type: 'quantitative',
    title: `${statistic}${unit ? ` (${unit}` : ''}${unit ? ', log scale)' : ' (log scale)'}`,
    scale: { type: 'log', nice: true },
    // SI prefixes read wrong below 1 ("100m" seconds): plain numbers there.
    axis: {
      format: values.some((v) => (v.value as number) < 1) ? ',~g' : '~s',
      labelOverlap: 'greedy',
      ...(ticks ? { values: ticks } : {}),
    },
  };
  const scales = [...new Set(values.map((v) => v.services as number))].sort((a, b) => a - b);
  const flagDomain = ['FAIL', 'missing', 'warn'].filter((f) => values.some((v) => v.flag === f));
  const color = {
    field: 'services',
    type: 'ordinal',
    sort: scales,
    title: 'services',
    scale: { scheme: 'viridis', reverse: true },
    legend: { orient: 'right', labelExpr: "format(datum.value, ',')" },
  };
  const tooltip = [
    { field: 'run', type: 'nominal', title: 'run' },
    { field: 'runId', type: 'nominal', title: 'run id' },
    { field: 'commit', type: 'nominal', title: 'commit' },
    { field: 'mode', type: 'nominal', title: 'mode' },
    { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
    { field: 'value', type: 'quantitative', title: `${statistic}${unit ? ` (${unit})` : ''}`, format: ',.4~g' },
    { field: 'flag', type: 'nominal', title: 'gate' },
    { field: 'note', type: 'nominal', title: 'gate note' },
  ];
  const spec = {
    $schema: VL_SCHEMA,
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'mode', type: 'nominal', sort: modes, title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } } },
    spacing: 14,
    spec: {
      width: Math.max(130, Math.min(260, 30 * labels.length)),
      height: 220,
      layer: [
        { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color, detail: { field: 'services' } } },
        { mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y, color, tooltip } },
        ...(flagDomain.length === 0
          ? []
          : [
              {
                transform: [{ filter: "datum.flag !== ''" }],
                mark: { type: 'point', filled: false, size: 260, strokeWidth: 2.5 },
                encoding: {
                  x,
                  y,
                  stroke: {
                    field: 'flag',
                    type: 'nominal',
                    title: 'gate flag',
                    scale: { domain: flagDomain, range: flagDomain.map((f) => (f === 'warn' ? '#ff9f1c' : '#d62728')) },
                    legend: { orient: 'right' },
                  },
                  tooltip,
                },
              },
            ]),
      ],
    },
    resolve: { scale: { y: 'shared' } },
  };
  const flagged = values.filter((v) => v.flag !== '').length;
  return {
    name,
    title,
    caption,
    // Up to about eight runs a chart fits half the page; beyond, it takes the whole row.
    wide: modes.length * Math.max(130, Math.min(260, 30 * labels.length)) > 480,
    spec: spec as unknown as TopLevelSpec,
    notes: flagged > 0 ? [`${flagged} point${flagged === 1 ? '' : 's'} flagged by the gate (ringed).`] : [],
  };
}

export interface HistoryModel {
  runs: HistoryRun[];
  steps: (GateReport | null)[];
  flags: Flag[];
  section: Section;
  runsTable: SmallTable;
  flagsTable: SmallTable;
}

export function buildHistory(runs: HistoryRun[], config: GateConfig): HistoryModel {
  const steps = gateSteps(runs, config);
  const flags = flagsOf(steps);
  const keys = new Set(HISTORY_METRICS.map((m) => `${m.metric}|${m.clock}|${m.statistic}`));
  const extra = new Map<string, { metric: string; clock: Clock; statistic: string }>();
  for (const f of flags) {
    if (f.metric === '(point)' || (f.clock !== 'simulated' && f.clock !== 'wall')) continue;
    // A flagged wall-clock sample set is drawn by its median row; any other flag by its first statistic.
    const stats = [
      ...new Set(runs.flatMap((r) => r.results.rows.filter((x) => x.metric === f.metric && x.clock === f.clock).map((x) => x.statistic))),
    ];
    const statistic = stats.includes('p50') ? 'p50' : stats.includes('mean') ? 'mean' : stats.includes('value') ? 'value' : stats[0];
    const key = `${f.metric}|${f.clock}|${statistic}`;
    if (statistic && !keys.has(key)) extra.set(key, { metric: f.metric, clock: f.clock, statistic });
  }
  const charts = [...HISTORY_METRICS, ...extra.values()].map((m) => historyChart(runs, m.metric, m.clock, m.statistic, flags));
  const section: Section = {
    id: 'metrics',
    title: 'One chart per metric',
    clock: 'simulated and wall clock',
    intro:
      "Each chart follows one number across the runs, oldest on the left. Simulated-clock numbers are deterministic: a step means the code or the cost model changed. Wall-clock numbers are this machine kind's own timings; the gate normalises wall-clock samples by a calibration loop before it compares them, so a ring there is a slowdown beyond the machine's speed, not a raw difference.",
    blocks: charts.filter((c) => c.spec).map((chart) => ({ chart })),
  };
  const runsTable: SmallTable = {
    caption: 'The runs, oldest first, and what the gate said about each against the one before it.',
    columns: ['run', 'run id', 'commit', 'started', 'scenario', 'points', 'gate against the previous run'],
    rows: runs.map((r, i) => {
      const m = r.results.meta;
      const g = steps[i];
      const count = (v: string) => g?.comparisons.filter((c) => c.verdict === v).length ?? 0;
      return [
        r.label,
        m?.runId ?? '—',
        m?.git?.commit ? `${m.git.commit}${m.git.dirty ? ' (uncommitted changes)' : ''}` : '—',
        m?.startedAt ?? '—',
        m?.scenario?.name ?? '—',
        fmt(r.results.points.length),
        g ? `${g.outcome}: ${count('FAIL')} regressions, ${count('missing')} missing, ${count('warn')} warnings` : '(first run)',
      ];
    }),
  };
  const flagsTable: SmallTable = {
    caption: flags.length > 0 ? 'Every number the gate flagged, run by run.' : 'The gate flagged nothing between consecutive runs.',
    columns: ['run', 'mode', 'services', 'metric', 'clock', 'verdict', 'note'],
    rows: flags.map((f) => [runs[f.run].label, f.mode, fmt(f.scale), f.metric, f.clock || '—', f.verdict, f.note]),
  };
  return { runs, steps, flags, section, runsTable, flagsTable };
}

/** Writes `<dir>/index.html` and its charts; returns the files written (index.html first). */
export async function writeHistory(dir: string, runs: HistoryRun[], config: GateConfig): Promise<{ files: string[]; model: HistoryModel }> {
  if (runs.length === 0) throw new InputError('no runs to draw');
  const model = buildHistory(runs, config);
  const written = await writeCharts(
    dir,
    model.section.blocks.map((b) => b.chart),
  );
  const first = runs[0].label;
  const last = runs[runs.length - 1].label;
  const latest = model.steps[model.steps.length - 1];
  const html = renderPage({
    title: `kpsim history: ${runs.length} runs`,
    h1: 'kpsim history',
    sub: `${runs.length} run${runs.length === 1 ? '' : 's'} from ${first} to ${last}`,
    intro: latest
      ? `<p class="headline ${escapeHtml(latest.outcome)}">Latest run against the one before it: <b>gate ${escapeHtml(latest.outcome)}</b>; ${model.flags.length} flag${model.flags.length === 1 ? '' : 's'} over the whole history (<a href="#flags">list</a>).</p>`
      : '',
    nav: [
      ['metrics', 'Charts'],
      ['flags', 'Flags'],
      ['runs', 'Runs'],
    ],
    body: `${section(model.section)}
<section id="flags">
<h2>What the gate flagged</h2>
${model.flags.length > 0 ? table(model.flagsTable, 'changes') : `<p>${escapeHtml(model.flagsTable.caption)}</p>`}
</section>
<section id="runs">
<h2>Runs</h2>
<details open><summary>${runs.length} runs</summary>
${table(model.runsTable)}
</details>
</section>`,
    specs: pageSpecs([model.section]),
    libraries: browserLibraries(),
    footer: "Generated by <code>kpsim history</code> from the runs' results files.",
  });
  const index = join(dir, 'index.html');
  writeFileAtomic(index, html);
  return { files: [index, ...written], model };
}
