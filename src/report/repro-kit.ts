// What every reproduction chart shares (data-plane and control-plane alike): how kpsim's line and
// a published value are drawn, finding a published figure, and the note shown when it is absent.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { runScales } from './charts.ts';
import { fmt, NOT_IN_RUN } from './format.ts';
import type { PublishedFigure, PublishedFigures } from './published.ts';
import { CONFIG, VL_SCHEMA, servicesX } from './spec-kit.ts';
import { type SeriesPoint, positiveOnly } from './data.ts';
import type { Block, SmallTable } from './types.ts';

/** kpsim's points of each mode, as its lines' data (values a log axis cannot show are left out). */
export function kpsimPoints(points: SeriesPoint[], modes: string[], extra: Record<string, unknown> = {}) {
  return modes.flatMap((mode) =>
    positiveOnly(points.filter((p) => p.mode === mode)).kept.map((p) => ({
      series: 'kpsim (simulated)',
      mode,
      services: p.scale,
      ...extra,
      value: p.value,
    })),
  );
}

/** kpsim's own series: a line with small filled points. */
export const KPSIM_LINE = { type: 'line', point: { size: 22, filled: true }, strokeWidth: 2 };
/** A published value: a large outlined point, so it reads as a measurement, not a curve. */
export const PUBLISHED_MARK = { type: 'point', filled: true, size: 130, stroke: '#111', strokeWidth: 1, opacity: 1 };

export function figure(pub: PublishedFigures, id: string): PublishedFigure | undefined {
  return pub.figures.find((f) => f.id === id);
}

/** The chart's place in the page, with a note saying why there is nothing to compare with. */
export function missingFigure(name: string, title: string, id: string, pub: PublishedFigures): Block {
  const why = pub.error ? pub.error : `figure "${id}" is not in ${pub.file}`;
  return { chart: { name, title, caption: '', spec: null, notes: [`No published figure to compare with: ${why}.`] } };
}

/** Tooltip of a published mark: its source, figure id and caveat. */
export function publishedTooltip(valueTitle: string): Record<string, unknown>[] {
  return [
    { field: 'source', type: 'nominal', title: 'source' },
    { field: 'figure', type: 'nominal', title: 'figure id' },
    { field: 'mode', type: 'nominal', title: 'mode' },
    { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
    { field: 'value', type: 'quantitative', title: valueTitle, format: ',.4~g' },
    { field: 'caveat', type: 'nominal', title: 'note' },
  ];
}

/** Tooltip of a point on a kpsim line. */
export function kpsimTooltip(valueTitle: string, extra: Record<string, unknown>[] = []): Record<string, unknown>[] {
  return [
    { field: 'series', type: 'nominal', title: 'series' },
    { field: 'mode', type: 'nominal', title: 'mode' },
    { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
    { field: 'value', type: 'quantitative', title: valueTitle, format: ',.4~g' },
    ...extra,
  ];
}

/** The x ticks of a reproduction chart: the run's scales and the published conditions. */
export function ticks(results: RunResults, published: number[]): number[] {
  return [...new Set([...runScales(results), ...published])].sort((a, b) => a - b);
}

/** A chart layer; `noX` marks a published value without a cluster size (drawn across the width). */
export type ReproLayer = Record<string, unknown> & { noX?: boolean };

/**
 * Layers over one services axis. The axis is shared from the top unless a layer must span the
 * width; then every other layer carries it itself.
 */
export function layered(
  title: string,
  subtitle: string,
  values: Record<string, unknown>[],
  scales: number[],
  layers: ReproLayer[],
  unit = '',
): TopLevelSpec {
  const off = offAxis(values);
  const kept = off.length > 0 ? values.filter((v) => !off.includes(v)) : values;
  const shown = new Set(kept.map((v) => v.services));
  const x = servicesX(off.length > 0 ? scales.filter((s) => shown.has(s)) : scales);
  const spanning = layers.some((l) => l.noX);
  const offText = off.map(
    (v) =>
      `${typeof v.mode === 'string' ? `${v.mode} ` : ''}${fmt(v.value as number)}${unit ? ` ${unitLabel(unit)}` : ''} at ${fmt(v.services as number)} service${v.services === 1 ? '' : 's'}`,
  );
  return {
    $schema: VL_SCHEMA,
    config: CONFIG,
    title: {
      text: title,
      subtitle: off.length > 0 ? [subtitle, `Not drawn, far off this run's scales: published ${offText.join(', ')}`] : subtitle,
    },
    data: { values: kept },
    width: 460,
    height: 260,
    ...(spanning ? {} : { encoding: { x } }),
    layer: spanning ? layers.map(({ noX, ...l }) => (noX ? l : { ...l, encoding: { x, ...(l.encoding as object) } })) : layers,
    resolve: { legend: { shape: 'independent', strokeDash: 'independent' } },
  } as unknown as TopLevelSpec;
}

/**
 * Published values more than a decade outside kpsim's own scales on the chart: drawn, one point
 * (say, 1 service) would stretch the axis over decades with nothing of this run in them.
 */
function offAxis(values: Record<string, unknown>[]): Record<string, unknown>[] {
  const own = values.filter((v) => v.series !== 'published' && typeof v.services === 'number' && v.services > 0);
  if (own.length === 0) return [];
  const lo = Math.min(...own.map((v) => v.services as number));
  const hi = Math.max(...own.map((v) => v.services as number));
  return values.filter((v) => v.series === 'published' && typeof v.services === 'number' && (v.services < lo / 10 || v.services > hi * 10));
}

/**
 * A comparison table without the rows where every kpsim column reads "not in this run" (the run's
 * scales do not reach that published condition); the caption says which rows and why.
 */
export function hideUncovered(t: SmallTable, runScales: number[]): SmallTable {
  const kp = t.columns.map((c, i) => (c.startsWith('kpsim') ? i : -1)).filter((i) => i >= 0);
  const at = t.columns.indexOf('services');
  if (kp.length === 0 || at < 0) return t;
  const hidden = t.rows.filter((r) => kp.every((i) => r[i] === NOT_IN_RUN));
  if (hidden.length === 0) return t;
  const where = [...new Set(hidden.map((r) => r[at]))];
  const range = runScales.length > 0 ? ` (${fmt(runScales[0])} to ${fmt(runScales[runScales.length - 1])} services)` : '';
  return {
    ...t,
    rows: t.rows.filter((r) => !hidden.includes(r)),
    caption: `${t.caption} Not listed: the published row${hidden.length === 1 ? '' : 's'} at ${where.join(', ')} service${where.length === 1 && where[0] === '1' ? '' : 's'}, outside this run's scales${range}; a sweep whose scales reach ${where.length === 1 ? 'it' : 'them'} shows ${where.length === 1 ? 'it' : 'them'}.`,
  };
}
