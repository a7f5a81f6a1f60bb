// (e1) of the reproduction panel: the Kubernetes blog's nftables post (2025) charts first-packet
// latency percentiles for iptables and nftables at 5k, 10k and 30k services. Its points are drawn
// as marks, per mode and percentile; kpsim's simulated first_packet.latency as lines for the
// modes the run has among iptables, nftables, ipvs (the blog's comparison) and ebpf. Every value
// comes from the published file or from the run's rows: nothing is derived.
import type { ResultRow, RunResults } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { type SeriesPoint, series, sortModes, valueAt } from './data.ts';
import { fmt, fmtKpsim } from './format.ts';
import { type PublishedFigure, type PublishedFigures, num, sourceOf } from './published.ts';
import { DASH_LEGEND, logY, modeColor } from './spec-kit.ts';
import {
  KPSIM_LINE,
  PUBLISHED_MARK,
  figure,
  kpsimPoints,
  kpsimTooltip,
  layered,
  missingFigure,
  publishedTooltip,
  ticks,
} from './repro-kit.ts';
import type { Block, SmallTable } from './types.ts';

export const FIRST_PACKET_FIGURE = 'k8s-blog-2025-nftables-first-packet';
const METRIC = 'first_packet.latency';
/** The quantiles a sweep point writes for first_packet.latency (src/sweep/point.ts), in order. */
const QUANTILES = ['p01', 'p50', 'p90', 'p99'] as const;
type Quantile = (typeof QUANTILES)[number];
/** The modes kpsim draws beside the blog's: its two, IPVS (which it compares nftables with) and eBPF. */
const KPSIM_MODES = ['iptables', 'nftables', 'ipvs', 'ebpf'];
/** One dash per percentile for kpsim's lines, one shape per percentile for the published marks. */
const DASH: Record<Quantile, number[]> = { p01: [1, 3], p50: [1, 0], p90: [4, 2], p99: [8, 3] };
const SHAPE: Record<Quantile, string> = { p01: 'triangle-down', p50: 'diamond', p90: 'square', p99: 'triangle-up' };

type PublishedMark = {
  series: 'published';
  mode: string;
  services: number;
  publishedStat: Quantile;
  value: number;
  source: string;
  figure: string;
  caveat: string;
};

/** What the block draws: the percentiles both sides have, the published marks and kpsim's series. */
interface Panel {
  fig: PublishedFigure;
  source: string;
  unit: string;
  stats: Quantile[];
  /** Percentiles the figure has that this run's rows do not (not drawn). */
  notInRun: Quantile[];
  published: PublishedMark[];
  pubModes: string[];
  kp: Map<Quantile, SeriesPoint[]>;
  modes: string[];
}

function list(items: string[], conj = 'and'): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${conj} ${items[items.length - 1]}`;
}

/**
 * The percentiles to draw: those the figure has that the run's rows also carry. A run with no
 * first_packet.latency rows at all still gets the figure's own, for the table.
 */
function quantilesOf(fig: PublishedFigure, rows: ResultRow[]): { stats: Quantile[]; notInRun: Quantile[] } {
  const published = QUANTILES.filter((q) => fig.points.some((p) => num(p[q]) !== null));
  const inRun = published.filter((q) => rows.some((r) => r.metric === METRIC && r.clock === 'simulated' && r.statistic === q));
  if (inRun.length === 0) return { stats: published, notInRun: [] };
  return { stats: inRun, notInRun: published.filter((q) => !inRun.includes(q)) };
}

function publishedMarks(fig: PublishedFigure, source: string, stats: Quantile[]): PublishedMark[] {
  const caveat = fig.approx ? 'approximate: read off the published chart' : '';
  return fig.points
    .filter((p) => typeof p.mode === 'string' && num(p.services) !== null)
    .flatMap((p) =>
      stats
        .filter((q) => num(p[q]) !== null)
        .map((q) => ({
          series: 'published' as const,
          mode: p.mode as string,
          services: num(p.services)!,
          publishedStat: q,
          value: num(p[q])!,
          source,
          figure: fig.id,
          caveat,
        })),
    );
}

function panelOf(results: RunResults, pub: PublishedFigures, fig: PublishedFigure): Panel {
  const { stats, notInRun } = quantilesOf(fig, results.rows);
  const source = sourceOf(pub, fig);
  const published = publishedMarks(fig, source, stats);
  const kp = new Map(stats.map((q) => [q, series(results.rows, METRIC, 'simulated', q)]));
  const has = (m: string) => stats.some((q) => kp.get(q)!.some((p) => p.mode === m));
  return {
    fig,
    source,
    unit: unitLabel(fig.unit ?? 'us'),
    stats,
    notInRun,
    published,
    pubModes: sortModes(published.map((p) => p.mode)),
    kp,
    modes: sortModes(KPSIM_MODES.filter(has)),
  };
}

/** One row per published number of services: per percentile, the published modes, then kpsim's. */
function comparisonTable(p: Panel): SmallTable {
  const pubAt = (mode: string, s: number, q: Quantile) =>
    fmt(p.published.find((m) => m.mode === mode && m.services === s && m.publishedStat === q)?.value);
  return {
    caption: `Published ${list(p.pubModes)} values beside kpsim's simulated ${METRIC} (${p.unit}) at the same number of services, per percentile; kpsim columns for the modes this run has.`,
    columns: [
      'services',
      ...p.stats.flatMap((q) => [...p.pubModes.map((m) => `published ${m} ${q}`), ...p.modes.map((m) => `kpsim ${m} ${q}`)]),
    ],
    rows: [...new Set(p.published.map((m) => m.services))]
      .sort((a, b) => a - b)
      .map((s) => [
        fmt(s),
        ...p.stats.flatMap((q) => [...p.pubModes.map((m) => pubAt(m, s, q)), ...p.modes.map((m) => fmtKpsim(valueAt(p.kp.get(q)!, m, s)))]),
      ]),
  };
}

function captionOf(p: Panel): string {
  const marks = `Marks: the published ${list(p.pubModes)} measurements (${p.fig.approx ? "approximate, read off the blog's chart" : 'as published'}), one shape per percentile.`;
  const lines =
    p.modes.length > 0
      ? ` Lines: kpsim's simulated ${METRIC} for ${list(p.modes)} at the run's scales (simulated clock), one dash per percentile.`
      : '';
  const ipvs = p.modes.includes('ipvs')
    ? ' The blog reports nftables about equal to IPVS; the ipvs line is there for that comparison.'
    : '';
  return `Latency of a new connection's first packet through the node, ${list(p.stats)}, in ${p.unit}. ${marks}${lines}${ipvs}`;
}

function notesOf(p: Panel): string[] {
  const notes: string[] = [];
  const missing = p.pubModes.filter((m) => !p.modes.includes(m));
  if (p.modes.length > 0 && missing.length > 0)
    notes.push(`This run has no ${METRIC} rows for ${list(missing)}: the published ${list(missing)} marks have no kpsim line beside them.`);
  if (p.notInRun.length > 0)
    notes.push(`The published figure also has ${list(p.notInRun)}; this run's ${METRIC} rows do not, so they are not drawn.`);
  return notes;
}

function kpsimLines(p: Panel) {
  return p.modes.flatMap((mode) => p.stats.flatMap((q) => kpsimPoints(p.kp.get(q)!, [mode], { kpsimStat: q })));
}

function chartSpec(results: RunResults, p: Panel) {
  const kpsim = kpsimLines(p);
  const values = [...kpsim, ...p.published];
  const color = modeColor(sortModes([...p.modes, ...p.pubModes]));
  const y = logY(
    'value',
    `first-packet latency (${p.unit}, log scale)`,
    values.map((v) => v.value),
    ',~g',
  );
  const percentile = { type: 'nominal', title: 'percentile' };
  return layered(
    'First-packet latency',
    `${p.unit}, log-log; marks: published; lines: kpsim simulated`,
    values,
    ticks(
      results,
      p.published.map((m) => m.services),
    ),
    [
      {
        transform: [{ filter: { field: 'series', equal: 'kpsim (simulated)' } }],
        mark: KPSIM_LINE,
        encoding: {
          y,
          color,
          strokeDash: {
            field: 'kpsimStat',
            ...percentile,
            title: 'kpsim (lines)',
            scale: { domain: p.stats, range: p.stats.map((q) => DASH[q]) },
            legend: DASH_LEGEND,
          },
          detail: { field: 'kpsimStat' },
          tooltip: kpsimTooltip(p.unit, [{ field: 'kpsimStat', ...percentile }]),
        },
      },
      {
        transform: [{ filter: { field: 'series', equal: 'published' } }],
        mark: PUBLISHED_MARK,
        encoding: {
          y,
          color,
          shape: {
            field: 'publishedStat',
            ...percentile,
            title: 'published (marks)',
            scale: { domain: p.stats, range: p.stats.map((q) => SHAPE[q]) },
          },
          tooltip: [...publishedTooltip(p.unit), { field: 'publishedStat', ...percentile }],
        },
      },
    ],
    p.unit,
  );
}

/** (e1) First-packet latency percentiles: Kubernetes blog 2025 (iptables, nftables) vs kpsim. */
export function firstPacketBlock(results: RunResults, pub: PublishedFigures): Block {
  const name = 'repro-first-packet';
  const title = 'First-packet latency: Kubernetes blog (2025) vs kpsim';
  const fig = figure(pub, FIRST_PACKET_FIGURE);
  if (!fig) return missingFigure(name, title, FIRST_PACKET_FIGURE, pub);
  const p = panelOf(results, pub, fig);
  const table = comparisonTable(p);
  const caption = captionOf(p);
  if (p.modes.length === 0) {
    const none = `This run has no simulated ${METRIC} rows for ${list(KPSIM_MODES, 'or')}, so there is nothing to draw against the published points; the table lists them.`;
    return { chart: { name, title, caption, spec: null, notes: [none] }, table, source: p.source };
  }
  return { chart: { name, title, caption, spec: chartSpec(results, p), notes: notesOf(p) }, table, source: p.source };
}
