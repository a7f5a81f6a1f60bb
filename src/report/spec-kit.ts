// Pieces every vega-lite spec of the report shares: config (system fonts only, so nothing is
// fetched), the log-scaled services axis and the fixed per-mode colours.
import { modeColorScale, seriesDisplay } from './data.ts';

export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: '#d0d0d0' },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titleColor: '#333',
    labelColor: '#333',
    gridColor: '#eeeeee',
    domainColor: '#888',
    tickColor: '#888',
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'bold',
    titleColor: '#333',
    labelColor: '#333',
    symbolStrokeWidth: 2,
    labelLimit: 280,
  },
  title: { fontSize: 13, fontWeight: 'bold', anchor: 'start', color: '#222', subtitleFontSize: 11, subtitleColor: '#555', offset: 8 },
  header: { labelFontSize: 12, labelFontWeight: 'bold', titleFontSize: 12, labelColor: '#333' },
  line: { strokeWidth: 2 },
  point: { size: 36, filled: true },
} as const;

/** The x axis of every chart: number of services, log scale, ticks at the run's scales. */
export function servicesX(scales: number[], title = 'services (log scale)'): Record<string, unknown> {
  const ticks = [...new Set(scales.filter((s) => s > 0))].sort((a, b) => a - b);
  return {
    field: 'services',
    type: 'quantitative',
    title,
    scale: { type: 'log', nice: false, padding: 12 },
    axis: { ...(ticks.length > 0 && ticks.length <= 12 ? { values: ticks } : {}), format: '~s', labelOverlap: 'greedy', grid: true },
  };
}

/**
 * Tick values for a log axis over `values`: powers of ten, plus 2 and 5 times them when the data
 * span two decades or less (a log axis's default 1-2-3...9 ticks are unreadable).
 */
export function logTicks(values: number[]): number[] | undefined {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return undefined;
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.ceil(Math.log10(Math.max(...pos)));
  const span = Math.max(1, hi - lo);
  const step = span > 8 ? 2 : 1;
  const mults = span <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += step) for (const m of mults) ticks.push(Number((m * 10 ** e).toPrecision(6)));
  return ticks.filter((t) => t <= 10 ** hi * 1.0000001);
}

/** A log-scaled quantitative y channel on `field`, with decade ticks over `values`. */
export function logY(field: string, title: string, values: number[], format = '~s'): Record<string, unknown> {
  const ticks = logTicks(values);
  return {
    field,
    type: 'quantitative',
    title,
    scale: { type: 'log', nice: true },
    axis: { format, labelOverlap: 'greedy', ...(ticks ? { values: ticks } : {}) },
  };
}

export function modeColor(modes: string[], title = 'proxy mode'): Record<string, unknown> {
  return { field: 'mode', type: 'nominal', title, scale: modeColorScale(modes), legend: { orient: 'right' } };
}

const EXTRA_SHAPES = ['diamond', 'cross', 'triangle-down', 'wedge'];

/** A point shape per mode (same title as the colour, so the legends merge): lines that lie on top of each other stay visible. */
export function modeShape(modes: string[], title = 'proxy mode'): Record<string, unknown> {
  let extra = 0;
  const free = EXTRA_SHAPES.filter((s) => !modes.some((m) => seriesDisplay(m)?.shape === s));
  return {
    field: 'mode',
    type: 'nominal',
    title,
    scale: { domain: modes, range: modes.map((m) => seriesDisplay(m)?.shape ?? free[extra++ % free.length]) },
  };
}

/** The legend of a strokeDash channel drawn as line segments, not circles. */
export const DASH_LEGEND = { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 } as const;

/** A strokeDash encoding: `field`'s first value solid, its second dashed. */
export function solidDashed(field: string, title: string, domain: readonly [string, string]) {
  return {
    field,
    type: 'nominal',
    title,
    scale: {
      domain,
      range: [
        [1, 0],
        [6, 3],
      ],
    },
    legend: DASH_LEGEND,
  };
}

/** Tooltip entries: mode, services and a value with its unit. */
export function tooltip(valueField: string, valueTitle: string, extra: Record<string, unknown>[] = []): Record<string, unknown>[] {
  return [
    { field: 'mode', type: 'nominal', title: 'mode' },
    { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
    { field: valueField, type: 'quantitative', title: valueTitle, format: ',.4~g' },
    ...extra,
  ];
}
