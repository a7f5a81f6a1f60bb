// Comparison mode: a run beside a baseline run. Each chart is built twice (from the current
// run and from the baseline, by the same chart code) and the baseline's values are layered in,
// lighter and dashed. The "what changed" table is the gate's own decision (src/gate): the
// report does not compare numbers itself.
import type { TopLevelSpec } from 'vega-lite';
import { changedOf, type Line, lines, ratioOf } from '../gate/format.ts';
import type { BandCheck, GateReport } from '../gate/types.ts';
import { fmt } from './format.ts';
import type { ChartDef, SmallTable } from './types.ts';

export const RUN_DOMAIN = ['current', 'baseline'];

type Json = Record<string, unknown>;

const LINE_MARKS = new Set(['line', 'trail']);
const POINT_MARKS = new Set(['point', 'circle', 'square', 'tick']);

function markType(mark: unknown): string {
  return typeof mark === 'string' ? mark : typeof mark === 'object' && mark !== null ? String((mark as Json).type) : '';
}

// Opacity and dash of `run` share one legend (same field and title): a dashed, lighter line is the baseline.
const RUN_LEGEND = { orient: 'right', symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 };

/** Whether any mark of the spec already encodes `channel` (its scale is then shared by every layer). */
function usesChannel(node: Json, channel: string): boolean {
  const enc = node.encoding as Json | undefined;
  if (enc && channel in enc) return true;
  const children = ['layer', 'hconcat', 'vconcat', 'concat'].flatMap((k) => (Array.isArray(node[k]) ? (node[k] as Json[]) : []));
  if (node.spec && typeof node.spec === 'object') children.push(node.spec as Json);
  return children.some((c) => usesChannel(c, channel));
}

/** Adds the `run` channels to every mark of a spec (recursively through layer/concat/facet). */
function addRunChannels(node: Json, dash: boolean): void {
  for (const key of ['layer', 'hconcat', 'vconcat', 'concat']) {
    const list = node[key];
    if (Array.isArray(list)) for (const child of list) addRunChannels(child as Json, dash);
  }
  if (node.spec && typeof node.spec === 'object') addRunChannels(node.spec as Json, dash);
  if (!('mark' in node)) return;
  const type = markType(node.mark);
  const enc = { ...((node.encoding as Json | undefined) ?? {}) };
  if (type === 'errorbar' || type === 'rule' || type === 'rect' || type === 'text') {
    // Spreads and annotations are the current run's: the baseline's would double every bar.
    node.transform = [...((node.transform as unknown[]) ?? []), { filter: { field: 'run', equal: 'current' } }];
    return;
  }
  if (!LINE_MARKS.has(type) && !POINT_MARKS.has(type)) return;
  const title = 'run';
  enc.opacity = {
    field: 'run',
    type: 'ordinal',
    sort: RUN_DOMAIN,
    title,
    scale: { domain: RUN_DOMAIN, range: [1, 0.4] },
    legend: RUN_LEGEND,
  };
  // Where dashes already mean something (p50/p99, kind of sync, a published line), lighter is enough.
  if (dash && LINE_MARKS.has(type)) {
    enc.strokeDash = {
      field: 'run',
      type: 'ordinal',
      sort: RUN_DOMAIN,
      title,
      scale: {
        domain: RUN_DOMAIN,
        range: [
          [1, 0],
          [5, 3],
        ],
      },
      legend: RUN_LEGEND,
    };
  }
  if (Array.isArray(enc.tooltip)) enc.tooltip = [{ field: 'run', type: 'nominal', title: 'run' }, ...enc.tooltip];
  node.encoding = enc;
}

/**
 * The current run's chart with the baseline's values drawn in: lighter points, dashed lines.
 * Values the two runs share exactly (published figures) are drawn once.
 */
export function overlayBaseline(cur: ChartDef, base: ChartDef | undefined, baselineRun: string): ChartDef {
  if (!cur.spec) return cur;
  const spec = structuredClone(cur.spec) as unknown as Json;
  const data = spec.data as { values?: Json[] } | undefined;
  if (!base?.spec || !Array.isArray(data?.values)) {
    return { ...cur, notes: [...cur.notes, `The baseline (${baselineRun}) has no data for this chart: only the current run is drawn.`] };
  }
  const mine = data.values.map((v) => ({ ...v, run: 'current' }));
  const seen = new Set(data.values.map((v) => JSON.stringify(v)));
  const theirs = ((base.spec as unknown as { data: { values: Json[] } }).data.values ?? [])
    .filter((v) => !seen.has(JSON.stringify(v)))
    .map((v) => ({ ...v, run: 'baseline' }));
  data.values = [...mine, ...theirs];
  const dash = !usesChannel(spec, 'strokeDash');
  addRunChannels(spec, dash);
  return {
    ...cur,
    spec: spec as unknown as TopLevelSpec,
    caption: `${cur.caption} ${dash ? 'Solid, full colour: this run; dashed and lighter' : 'Full colour: this run; lighter'}: the baseline (${baselineRun}).`,
  };
}

export interface ChangesModel {
  outcome: string;
  summary: string;
  warnings: string[];
  changed: SmallTable;
  bands: SmallTable | null;
  unchanged: SmallTable;
}

const CHANGE_COLUMNS = ['mode', 'services', 'metric', 'clock', 'stat', 'baseline', 'current', 'ratio', 'p', 'verdict', 'note'];

function row(l: Line): string[] {
  const r = ratioOf(l.worst);
  const ratio = r === null ? '—' : Number.isFinite(r) ? `${fmt(r)}×` : '∞';
  return [l.mode, fmt(l.worst.scale), l.metric, l.clock || '—', l.stat, l.baseline, l.current, ratio, l.p || '—', l.worst.verdict, l.note];
}

function bandRow(b: BandCheck): string[] {
  const k = (v: number | null) => (v === null ? '—' : v.toFixed(2));
  return [
    b.mode,
    b.metric,
    `${b.clock}, ${b.statistic}`,
    `[${b.min ?? '−∞'}, ${b.max ?? '+∞'}]`,
    k(b.baselineExponent),
    k(b.exponent),
    b.verdict,
  ];
}

/** The gate's report as the page's first section: changed lines first, biggest change first; the rest collapsed. */
export function changesModel(gate: GateReport, summaryLine: string): ChangesModel {
  const all = lines(gate);
  const changed = changedOf(all);
  const keys = new Set(changed);
  const unchanged = all.filter((l) => !keys.has(l));
  const badBands = gate.bands.filter((b) => b.verdict !== 'pass');
  return {
    outcome: gate.outcome,
    summary: summaryLine,
    warnings: gate.warnings,
    changed: {
      caption:
        changed.length > 0
          ? `${changed.length} line${changed.length === 1 ? '' : 's'} changed beyond the gate's levels, biggest change first. Ratio: current / baseline (wall-clock samples: of the medians normalised by the calibration loop); p: the permutation test's p-value.`
          : "Nothing changed beyond the gate's levels.",
      columns: CHANGE_COLUMNS,
      rows: changed.map(row),
    },
    bands:
      badBands.length > 0
        ? {
            caption: 'Complexity exponents outside their bands (metric ~ services^k).',
            columns: ['mode', 'metric', 'clock, statistic', 'band', 'baseline k', 'current k', 'verdict'],
            rows: badBands.map(bandRow),
          }
        : null,
    unchanged: {
      caption: `Every other line the gate checked (${unchanged.length}), within its levels.`,
      columns: CHANGE_COLUMNS,
      rows: unchanged.map(row),
    },
  };
}
