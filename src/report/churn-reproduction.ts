// Published control-plane measurements beside a churn sweep's own numbers, drawn only where the
// run's conditions match the published ones (iptables profile, min-sync-period); otherwise the
// block says what differs and how to rerun. Same conventions as reproduction.ts: published
// values are large outlined marks (or lines across) whose tooltip cites the source.
import type { RunResults } from '../metrics/results.ts';
import { runScales } from './charts.ts';
import { atRate, churnSeries, middleRate, rateLabel, runRates } from './churn-data.ts';
import { positiveOnly, sortModes, valueAt } from './data.ts';
import { fmt, fmtKpsim } from './format.ts';
import { type PublishedFigure, type PublishedFigures, num, sourceOf } from './published.ts';
import { RULE_ADD_FIGURE, iptablesProfileOf } from './reproduction.ts';
import { KPSIM_LINE, PUBLISHED_MARK, figure, layered, missingFigure } from './repro-kit.ts';
import { DASH_LEGEND, logY, modeColor, solidDashed } from './spec-kit.ts';
import type { Block, SmallTable } from './types.ts';

export const KEP3453_FIGURE = 'kep3453-partial-sync';

const PUBLISHED_TOOLTIP = (valueTitle: string): Record<string, unknown>[] => [
  { field: 'source', type: 'nominal', title: 'source' },
  { field: 'figure', type: 'nominal', title: 'figure id' },
  { field: 'label', type: 'nominal', title: 'published' },
  { field: 'value', type: 'quantitative', title: valueTitle, format: ',.4~g' },
  { field: 'caveat', type: 'nominal', title: 'conditions' },
];

const KPSIM_TOOLTIP = (valueTitle: string): Record<string, unknown>[] => [
  { field: 'series', type: 'nominal', title: 'kpsim (simulated)' },
  { field: 'mode', type: 'nominal', title: 'mode' },
  { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
  { field: 'rateLabel', type: 'nominal', title: 'churn' },
  { field: 'value', type: 'quantitative', title: valueTitle, format: ',.4~g' },
];

/**
 * Huawei (KubeCon 2017): seconds to add one service on legacy iptables. Its kpsim counterpart is
 * a full sync (adding a service to an idle proxy costs one whole-table restore), next to the p50
 * programming latency under the run's lowest churn rate, where changes also wait for the sync
 * in progress. Drawn only for a legacy-profile run.
 */
export function churnRuleAddBlock(results: RunResults, pub: PublishedFigures): Block {
  const name = 'repro-churn-rule-add';
  const title = 'Time to add a service: Huawei (KubeCon 2017) vs kpsim sync and programming latency';
  const fig = figure(pub, RULE_ADD_FIGURE);
  if (!fig) return missingFigure(name, title, RULE_ADD_FIGURE, pub);
  const source = sourceOf(pub, fig);
  const profile = iptablesProfileOf(results);
  const rate = runRates(results)[0] ?? null;
  const unit = fig.unit ?? 's';
  const sync = atRate(churnSeries(results.rows, 'sync.duration.full', 'p50'), rate);
  const latency = atRate(churnSeries(results.rows, 'programming.latency', 'p50'), rate);
  // The ruleset size is the study's real condition: services with more endpoints have more rules.
  const rules = atRate(churnSeries(results.rows, 'ruleset.rules', 'start'), rate);
  const published = fig.points
    .filter((p) => num(p.services) !== null && num(p.value) !== null)
    .map((p) => ({
      series: 'published',
      mode: 'iptables',
      services: num(p.services)!,
      rules: num(p.rules),
      value: num(p.value)!,
      source,
      figure: fig.id,
      label: 'Huawei 2017 (legacy iptables)',
      caveat: `${fig.mode ?? 'iptables'}, one service added${num(p.rules) !== null ? `, ${fmt(num(p.rules))} rules` : ''}`,
    }));
  const matches = profile === 'legacy';
  const kp = (points: typeof sync, mode: string, s: number) =>
    matches ? fmtKpsim(valueAt(points, mode, s)) : `— (${profile ?? 'unknown'} profile)`;
  const table: SmallTable = {
    caption: `Seconds to add one service's rules; rules: the published table size, and the iptables rules of kpsim's reference node at that scale (legacy restore time grows with their square, so compare at similar sizes). kpsim (simulated, ${profile ?? 'unknown'} iptables profile): full sync p50 ("sync") and programming latency p50 at ${rateLabel(rate)} ("latency").`,
    columns: ['services', 'rules', 'kpsim rules', 'published iptables', 'kpsim iptables sync', 'kpsim iptables latency', 'kpsim ipvs sync'],
    rows: published.map((p) => [
      fmt(p.services),
      fmt(p.rules),
      fmtKpsim(valueAt(rules, 'iptables', p.services)),
      fmt(p.value),
      kp(sync, 'iptables', p.services),
      kp(latency, 'iptables', p.services),
      kp(sync, 'ipvs', p.services),
    ]),
  };
  const caption = `Latency to add one service, in ${unit}. Marks: the published legacy-iptables measurements (one service added to an otherwise idle proxy). Lines: kpsim's full sync p50 (solid; adding a service costs one whole-table restore) and p50 network programming latency at ${rateLabel(rate)}, the run's lowest churn rate (dashed; a change may also wait for the sync in progress), for iptables and, for contrast, ipvs. Simulated clock.`;
  const modes = sortModes(['iptables', 'ipvs'].filter((m) => sync.some((p) => p.mode === m) || latency.some((p) => p.mode === m)));
  if (!matches) {
    const why =
      profile === 'modern'
        ? "This run priced iptables with the modern profile (cost follows the lines iptables-restore writes); Huawei measured legacy iptables, which re-validated the whole table on every change. kpsim's numbers are not drawn beside them: rerun with --profile legacy to compare like with like."
        : "The iptables profile this run priced sync with is not recorded; Huawei measured legacy iptables, so kpsim's numbers are not drawn beside them.";
    return { chart: { name, title, caption, spec: null, notes: [why] }, table, source };
  }
  if (!modes.includes('iptables')) {
    return {
      chart: {
        name,
        title,
        caption,
        spec: null,
        notes: [
          'This run has no iptables sync.duration.full or programming.latency rows, so there is nothing to draw against the published points; the table lists them.',
        ],
      },
      table,
      source,
    };
  }
  const kpsim = modes.flatMap((mode) => [
    ...positiveOnly(sync.filter((p) => p.mode === mode)).kept.map((p) => ({
      series: 'full sync p50',
      mode,
      services: p.scale,
      rateLabel: rateLabel(rate),
      value: p.value,
    })),
    ...positiveOnly(latency.filter((p) => p.mode === mode)).kept.map((p) => ({
      series: 'programming latency p50',
      mode,
      services: p.scale,
      rateLabel: rateLabel(rate),
      value: p.value,
    })),
  ]);
  const ticks = [...new Set([...runScales(results), ...published.map((p) => p.services)])].sort((a, b) => a - b);
  const y = logY(
    'value',
    `time to add a service (${unit}, log scale)`,
    [...kpsim, ...published].map((p) => p.value),
    ',~g',
  );
  const spec = layered(
    'Time to add one service',
    `${unit}, log-log; marks: published; lines: kpsim simulated (legacy iptables profile)`,
    [...kpsim, ...published],
    ticks,
    [
      {
        transform: [{ filter: { field: 'series', oneOf: ['full sync p50', 'programming latency p50'] } }],
        mark: KPSIM_LINE,
        encoding: {
          y,
          color: modeColor(modes),
          strokeDash: solidDashed('series', 'kpsim (lines)', ['full sync p50', 'programming latency p50']),
          detail: { field: 'series' },
          tooltip: KPSIM_TOOLTIP(unit),
        },
      },
      {
        transform: [{ filter: { field: 'series', equal: 'published' } }],
        mark: PUBLISHED_MARK,
        encoding: {
          y,
          color: modeColor(modes),
          shape: {
            field: 'label',
            type: 'nominal',
            title: 'published (marks)',
            scale: { domain: ['Huawei 2017 (legacy iptables)'], range: ['diamond'] },
          },
          tooltip: PUBLISHED_TOOLTIP(unit),
        },
      },
    ],
    unit,
  );
  return { chart: { name, title, caption, spec, notes: [] }, table, source };
}

interface KepVariant {
  label: string;
  mode: string;
  minSyncS: number | null;
  value: number;
}

/** "partial restore, min-sync-period 1 s" -> iptables+partial at 1 s; the figure's conditions give the default. */
export function kepVariants(fig: PublishedFigure): KepVariant[] {
  const msp = (text: unknown) => {
    const m = typeof text === 'string' ? /min-sync-period (\d+(?:\.\d+)?) ?s\b/.exec(text) : null;
    return m ? Number(m[1]) : null;
  };
  const fallback = msp(fig.conditions);
  return fig.points
    .filter((p) => typeof p.variant === 'string' && num(p.value) !== null)
    .map((p) => {
      const label = p.variant as string;
      return {
        label,
        mode: /^partial/i.test(label) ? 'iptables+partial' : 'iptables',
        minSyncS: msp(label) ?? fallback,
        value: num(p.value)!,
      };
    });
}

/**
 * KEP-3453: p50 network programming latency on the 5,000-node GCE scalability job, full vs
 * partial restores. The job's number of services is not published, so each value is a line
 * across the chart: where kpsim's line crosses it is the cluster size kpsim needs to match it.
 * Drawn for the variants whose min-sync-period equals the run's.
 */
export function kepBlock(results: RunResults, pub: PublishedFigures): Block {
  const name = 'repro-churn-kep3453';
  const title = 'Partial restores: KEP-3453 vs kpsim programming latency';
  const fig = figure(pub, KEP3453_FIGURE);
  if (!fig) return missingFigure(name, title, KEP3453_FIGURE, pub);
  const source = sourceOf(pub, fig);
  const unit = fig.unit ?? 's';
  const runMsp = typeof results.meta?.churn?.minSyncPeriodS === 'number' ? results.meta.churn.minSyncPeriodS : null;
  const nodes = typeof results.meta?.churn?.nodes === 'number' ? results.meta.churn.nodes : null;
  const rate = middleRate(runRates(results));
  const p50 = atRate(churnSeries(results.rows, 'programming.latency', 'p50'), rate);
  const scales = [...new Set(p50.map((p) => p.scale))].sort((a, b) => a - b);
  const variants = kepVariants(fig);
  const matches = (v: KepVariant) => runMsp !== null && v.minSyncS === runMsp && p50.some((p) => p.mode === v.mode);
  const table: SmallTable = {
    caption: `p50 network programming latency (${unit}). kpsim: simulated, at ${rateLabel(rate)}${nodes !== null ? `, ${fmt(nodes)} nodes` : ''}, min-sync-period ${runMsp === null ? 'not recorded' : `${fmt(runMsp)} s`}; one column per scale of the run (@ services).`,
    columns: ['published variant', 'kpsim mode', 'min-sync-period', 'published p50', ...scales.map((s) => `@ ${fmt(s)}`)],
    rows: variants.map((v) => [
      v.label,
      v.mode,
      v.minSyncS === null ? '—' : `${fmt(v.minSyncS)} s`,
      fmt(v.value),
      ...scales.map((s) =>
        matches(v)
          ? fmtKpsim(valueAt(p50, v.mode, s))
          : runMsp !== null && v.minSyncS !== runMsp
            ? `— (run: ${fmt(runMsp)} s)`
            : '— (not in this run)',
      ),
    ]),
  };
  const caption = `p50 network programming latency against services, in ${unit}. Dashed lines across: KEP-3453's published p50 (${fig.conditions ?? 'conditions not given'}), for the variants run here with the same min-sync-period. Solid lines: kpsim's simulated p50 for full restores (iptables) and partial restores (iptables+partial) at ${rateLabel(rate)}, the run's middle churn rate. The job's number of services is not published: where kpsim's line crosses the published one is the cluster size at which they agree.`;
  const drawn = variants.filter(matches);
  const notes = [
    ...(nodes !== null && nodes !== 5000
      ? [
          `The published job ran 5,000 nodes; this run simulated ${fmt(nodes)} kube-proxy instances per point (every node runs the same loop on the same ruleset, with its own phase).`,
        ]
      : []),
    ...(fig.notes ?? []).map((n) => `Source note: ${n}.`),
  ];
  if (drawn.length === 0) {
    const why =
      runMsp === null
        ? 'This run does not record its min-sync-period (a churn sweep writes it to results.json), so no published variant can be matched.'
        : !p50.some((p) => p.mode === 'iptables' || p.mode === 'iptables+partial')
          ? 'This run has no iptables or iptables+partial programming.latency rows, so there is nothing to draw against the published values; the table lists them.'
          : `No published variant ran with this run's min-sync-period (${fmt(runMsp)} s; published: ${[...new Set(variants.map((v) => v.minSyncS))].map((s) => (s === null ? '?' : `${fmt(s)} s`)).join(', ')}), so nothing is drawn: rerun with --min-sync-period ${fmt(variants[0]?.minSyncS ?? 10)}s (and iptables with --partial-sync-too) to compare.`;
    return { chart: { name, title, caption, spec: null, notes: [why, ...notes] }, table, source };
  }
  const modes = sortModes(drawn.map((v) => v.mode));
  const kpsim = modes.flatMap((mode) =>
    positiveOnly(p50.filter((p) => p.mode === mode)).kept.map((p) => ({
      series: 'kpsim',
      mode,
      services: p.scale,
      rateLabel: rateLabel(rate),
      value: p.value,
    })),
  );
  const published = drawn.map((v) => ({
    series: 'published',
    mode: v.mode,
    value: v.value,
    source,
    figure: fig.id,
    label: `KEP-3453 p50: ${v.label}`,
    caveat: `${fig.conditions ?? ''}${v.minSyncS !== null ? `; min-sync-period ${fmt(v.minSyncS)} s` : ''}`,
    publishedStat: 'KEP-3453 p50 (5,000 nodes)',
  }));
  if (drawn.length < variants.length)
    notes.unshift(
      `Not drawn (different min-sync-period from this run's ${fmt(runMsp)} s): ${variants
        .filter((v) => !matches(v))
        .map((v) => `${v.label} (${fmt(v.value)} ${unit})`)
        .join('; ')}.`,
    );
  const y = logY(
    'value',
    `programming latency p50 (${unit}, log scale)`,
    [...kpsim, ...published].map((p) => p.value),
    ',~g',
  );
  const spec = layered(
    'Network programming latency p50',
    `${unit}, log-log; dashed lines across: published; solid: kpsim simulated at ${rateLabel(rate)}`,
    [...kpsim, ...published],
    runScales(results),
    [
      {
        transform: [{ filter: { field: 'series', equal: 'kpsim' } }],
        mark: KPSIM_LINE,
        encoding: { y, color: modeColor(modes), tooltip: KPSIM_TOOLTIP(unit) },
      },
      {
        transform: [{ filter: { field: 'series', equal: 'published' } }],
        noX: true,
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          color: modeColor(modes),
          strokeDash: {
            field: 'publishedStat',
            type: 'nominal',
            title: 'published (lines across)',
            scale: { domain: ['KEP-3453 p50 (5,000 nodes)'], range: [[6, 3]] },
            legend: DASH_LEGEND,
          },
          tooltip: PUBLISHED_TOOLTIP(unit),
        },
      },
    ],
    unit,
  );
  return { chart: { name, title, caption, spec, notes }, table, source };
}

export function churnReproductionBlocks(results: RunResults, pub: PublishedFigures): Block[] {
  return [churnRuleAddBlock(results, pub), kepBlock(results, pub)];
}
