// Charts of a churn sweep (simulated clock): sync time and network programming latency against
// services, one panel per churn rate, and p99 latency against the churn rate at one scale. One
// line per mode (iptables+partial = KEP-3453 partial restores), log-log.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../metrics/results.ts';
import { runScales } from './charts.ts';
import { type ChurnPoint, churnSeries, fixedScale, rateLabel, runRates } from './churn-data.ts';
import { positiveOnly, runModes } from './data.ts';
import { CONFIG, solidDashed, VL_SCHEMA, logTicks, logY, modeColor, modeShape, servicesX } from './spec-kit.ts';
import type { ChartDef } from './types.ts';

function droppedNote(dropped: number, what: string): string[] {
  return dropped > 0
    ? [
        `${dropped} ${what} value${dropped > 1 ? 's' : ''} of zero or below left out: a log axis cannot show ${dropped > 1 ? 'them' : 'it'}.`,
      ]
    : [];
}

const RATE_TOOLTIP = { field: 'rateLabel', type: 'nominal', title: 'churn' };

function churnTooltip(valueTitle: string, extra: Record<string, unknown>[] = []): Record<string, unknown>[] {
  return [
    { field: 'mode', type: 'nominal', title: 'mode' },
    { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
    RATE_TOOLTIP,
    { field: 'value', type: 'quantitative', title: valueTitle, format: ',.4~g' },
    ...extra,
  ];
}

/** A row of panels, one per churn rate (ascending), sharing the y axis; `layer` draws each. */
function facetByRate(
  values: Record<string, unknown>[],
  rates: (number | null)[],
  layer: Record<string, unknown>[],
  subtitle: string,
): TopLevelSpec {
  return {
    $schema: VL_SCHEMA,
    config: CONFIG,
    title: { text: 'Simulated clock', subtitle },
    data: { values },
    facet: {
      column: {
        field: 'rateLabel',
        type: 'nominal',
        sort: rates.map(rateLabel),
        title: 'churn rate',
        header: { labelFontSize: 11, labelFontWeight: 'bold' },
      },
    },
    spacing: 12,
    spec: { width: 215, height: 200, layer },
    resolve: { scale: { y: 'shared' } },
  } as unknown as TopLevelSpec;
}

function toValues(points: ChurnPoint[], extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  return points.map((p) => ({ mode: p.mode, services: p.scale, rate: p.rate, rateLabel: rateLabel(p.rate), value: p.value, ...extra }));
}

/** (a) Full sync duration p50 against services per mode (and partial syncs, dashed), per rate. */
export function churnSyncChart(results: RunResults): ChartDef {
  const name = 'churn-sync-time';
  const title = 'Sync time vs services';
  const caption =
    'Median (p50) duration of one kube-proxy sync on a node while the churn runs: a full sync (solid) rewrites the whole ruleset; a KEP-3453 partial sync (dashed, iptables+partial only) rewrites the fixed chains and the chains of services that changed. One panel per churn rate. Simulated clock: seconds the cost model charges for what each sync writes (iptables-restore lines, IPVS netlink and ipset operations, userspace iptables commands).';
  const full = positiveOnly(churnSeries(results.rows, 'sync.duration.full', 'p50'));
  const partial = positiveOnly(churnSeries(results.rows, 'sync.duration.partial', 'p50'));
  if (full.kept.length === 0 && partial.kept.length === 0)
    return {
      name,
      title,
      caption,
      spec: null,
      notes: ['This run has no sync.duration.full or sync.duration.partial rows, so there is no chart.'],
    };
  const values = [...toValues(full.kept, { sync: 'full' }), ...toValues(partial.kept, { sync: 'partial' })];
  const spec = solidDashedByRate(results, values, {
    field: 'sync',
    domain: ['full', 'partial'],
    yTitle: 'sync time p50 (s, log scale)',
    tooltipTitle: 'sync time p50 (s)',
    caption: 's per sync (p50), log-log; panels share the y axis',
  });
  return {
    name,
    title,
    caption,
    spec,
    notes: [...droppedNote(full.dropped, 'full-sync'), ...droppedNote(partial.dropped, 'partial-sync')],
  };
}

/** (b) Network programming latency p50 (solid) and p99 (dashed) against services, per rate. */
export function churnLatencyChart(results: RunResults): ChartDef {
  const name = 'churn-programming-latency';
  const title = 'Network programming latency vs services';
  const caption =
    "Time from an API change (a Service or EndpointSlice update) to the end of the first sync on a node that includes it, over every change and node: p50 (solid) and p99 (dashed). This is what kube-proxy's kubeproxy_network_programming_duration_seconds observes. One panel per churn rate. Simulated clock.";
  const p50 = positiveOnly(churnSeries(results.rows, 'programming.latency', 'p50'));
  const p99 = positiveOnly(churnSeries(results.rows, 'programming.latency', 'p99'));
  if (p50.kept.length === 0 && p99.kept.length === 0)
    return { name, title, caption, spec: null, notes: ['This run has no programming.latency rows, so there is no chart.'] };
  const values = [...toValues(p50.kept, { percentile: 'p50' }), ...toValues(p99.kept, { percentile: 'p99' })];
  const spec = solidDashedByRate(results, values, {
    field: 'percentile',
    domain: ['p50', 'p99'],
    yTitle: 'programming latency (s, log scale)',
    tooltipTitle: 'latency (s)',
    caption: 's from change to programmed, log-log; solid p50, dashed p99',
  });
  return { name, title, caption, spec, notes: [...droppedNote(p50.dropped, 'p50'), ...droppedNote(p99.dropped, 'p99')] };
}

/** (c) Programming latency p99 against the churn rate, per mode, at one scale. */
export function churnRateChart(results: RunResults): ChartDef {
  const name = 'churn-latency-vs-rate';
  const title = 'Network programming latency p99 vs churn rate';
  const all = churnSeries(results.rows, 'programming.latency', 'p99').filter((p) => p.rate !== null);
  const scale = fixedScale(all);
  const at = positiveOnly(all.filter((p) => p.scale === scale));
  const allRates = new Set(all.map((p) => p.rate));
  const complete = [...new Set(all.map((p) => p.mode))].every((m) => at.kept.filter((p) => p.mode === m).length === allRates.size);
  const why = complete ? 'the largest scale every mode ran at every rate' : 'the largest scale with the most rates for every mode';
  const caption = `p99 network programming latency as the churn rate grows, at ${scale === null ? 'one scale' : `${scale.toLocaleString('en-US')} services (${why})`}. A flat line means the proxy absorbs more churn at no cost to latency (syncs batch the pending changes); a rising one means each change waits longer. Simulated clock.`;
  const rates = [...new Set(at.kept.map((p) => p.rate as number))].sort((a, b) => a - b);
  if (rates.length < 2) {
    return {
      name,
      title,
      caption,
      spec: null,
      notes: [
        `This run has programming.latency p99 at ${rates.length === 0 ? 'no churn rate' : 'one churn rate only'}${scale === null ? '' : ` at ${scale.toLocaleString('en-US')} services`}; a chart against the rate needs two or more (kpsim churn --sweep --rates 1,10,50).`,
      ],
    };
  }
  const modes = runModes(results);
  const values = toValues(at.kept);
  const x = {
    field: 'rate',
    type: 'quantitative',
    title: 'churn rate (events/s, log scale)',
    scale: { type: 'log', nice: false, padding: 12 },
    axis: { values: rates.length <= 12 ? rates : logTicks(rates), format: '~g', labelOverlap: 'greedy', grid: true },
  };
  const y = logY(
    'value',
    'programming latency p99 (s, log scale)',
    values.map((v) => v.value as number),
    ',~g',
  );
  const spec = {
    $schema: VL_SCHEMA,
    config: CONFIG,
    title: { text: 'Simulated clock', subtitle: `p99 s from change to programmed at ${scale!.toLocaleString('en-US')} services, log-log` },
    data: { values },
    width: 460,
    height: 260,
    layer: [
      { mark: { type: 'line' }, encoding: { x, y, color: modeColor(modes) } },
      {
        mark: { type: 'point', size: 45, filled: true },
        encoding: { x, y, color: modeColor(modes), shape: modeShape(modes), tooltip: churnTooltip('latency p99 (s)') },
      },
    ],
  };
  return { name, title, caption, spec: spec as unknown as TopLevelSpec, notes: droppedNote(at.dropped, 'p99') };
}

/** One panel per churn rate, log-log against services: a series per mode, `field`'s first value solid, its second dashed. */
function solidDashedByRate(
  results: RunResults,
  values: ReturnType<typeof toValues>,
  o: { field: string; domain: [string, string]; yTitle: string; tooltipTitle: string; caption: string },
) {
  const modes = runModes(results);
  const rates = runRates(results).filter((r) => values.some((v) => v.rate === r));
  const y = logY(
    'value',
    o.yTitle,
    values.map((v) => v.value as number),
    ',~g',
  );
  const x = servicesX(runScales(results), 'services');
  const dash = solidDashed(o.field, o.field, o.domain);
  return facetByRate(
    values,
    rates,
    [
      { mark: { type: 'line' }, encoding: { x, y, color: modeColor(modes), strokeDash: dash, detail: { field: o.field } } },
      {
        mark: { type: 'point', size: 40, filled: true },
        encoding: {
          x,
          y,
          color: modeColor(modes),
          shape: modeShape(modes),
          tooltip: churnTooltip(o.tooltipTitle, [{ field: o.field, type: 'nominal', title: o.field }]),
        },
      },
    ],
    o.caption,
  );
}
