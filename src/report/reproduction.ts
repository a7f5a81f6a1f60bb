// The reproduction panel: published measurements (data/published-figures.json) beside kpsim's
// own simulated numbers for the same conditions. Published points are marks with a tooltip that
// cites the source; kpsim's are lines. A figure whose kpsim metric the run lacks gets a note.
// The first-packet block (the Kubernetes nftables blog) is in first-packet-reproduction.ts.
import type { RunResults } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { parseSweep } from '../workload/schema.ts';
import { type SeriesPoint, series, sortModes, valueAt } from './data.ts';
import { fmt, fmtKpsim } from './format.ts';
import { type PublishedFigures, num, sourceOf } from './published.ts';
import { firstPacketBlock } from './first-packet-reproduction.ts';
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
import { runScenario } from './run-scenario.ts';
import { logY, modeColor } from './spec-kit.ts';
import type { Block, SmallTable } from './types.ts';

export { FIRST_PACKET_FIGURE, firstPacketBlock } from './first-packet-reproduction.ts';
export const CPU_FIGURE = 'tigera2019-cpu';
export const RULE_ADD_FIGURE = 'huawei2017-iptables-rule-add';
const IPVS_RULE_ADD_FIGURE = 'huawei2017-ipvs-rule-add';

/** (e2) CPU for 1,000 new connections/s at 10,000 services: Tigera (2019) vs kpsim. */
export function cpuBlock(results: RunResults, pub: PublishedFigures): Block {
  const name = 'repro-cpu';
  const title = 'CPU for 1,000 new connections/s: Tigera (2019) vs kpsim';
  const fig = figure(pub, CPU_FIGURE);
  if (!fig) return missingFigure(name, title, CPU_FIGURE, pub);
  const source = sourceOf(pub, fig);
  const published = fig.points
    .filter((p) => typeof p.mode === 'string' && num(p.services) !== null && num(p.value) !== null)
    .map((p) => ({
      series: 'published',
      mode: p.mode as string,
      services: num(p.services)!,
      value: num(p.value)!,
      source,
      figure: fig.id,
      caveat: fig.conditions ?? '',
      publishedStat: 'Tigera 2019',
    }));
  // fraction of a core = 1,000 connections/s x ns per connection / 1e9 ns per s.
  const perConn = series(results.rows, 'cpu.per_connection', 'simulated', 'value');
  const fraction: SeriesPoint[] = perConn.map((p) => ({ ...p, value: (1000 * p.value) / 1e9 }));
  const modes = sortModes(['iptables', 'ipvs'].filter((m) => fraction.some((p) => p.mode === m)));
  const table: SmallTable = {
    caption: 'Fraction of one core spent on 1,000 new connections per second. kpsim: 1,000 × cpu.per_connection (simulated ns) / 1e9.',
    columns: ['mode', 'services', 'published', 'kpsim'],
    rows: published.map((p) => [p.mode, fmt(p.services), fmt(p.value), fmtKpsim(valueAt(fraction, p.mode, p.services))]),
  };
  const caption = `Fraction of one CPU core the proxy path costs for 1,000 new connections per second, iptables vs ipvs. Marks: Tigera's measurement at 10,000 services (${fig.conditions ?? 'conditions not given'}). Lines: kpsim, 1,000 × simulated cpu.per_connection ns / 1e9, under this scenario's workload (simulated clock).`;
  if (modes.length === 0) {
    return {
      chart: {
        name,
        title,
        caption,
        spec: null,
        notes: [
          'This run has no simulated cpu.per_connection rows for iptables or ipvs, so there is nothing to draw against the published points; the table lists them.',
        ],
      },
      table,
      source,
    };
  }
  const kpsim = kpsimPoints(fraction, modes);
  const colorModes = sortModes([...modes, ...published.map((p) => p.mode)]);
  const y = logY(
    'value',
    'fraction of a core (log scale)',
    [...kpsim, ...published].map((p) => p.value),
    ',~g',
  );
  const spec = layered(
    'CPU for 1,000 new connections/s',
    'fraction of one core, log-log; marks: published; lines: kpsim simulated',
    [...kpsim, ...published],
    ticks(
      results,
      published.map((p) => p.services),
    ),
    [
      {
        transform: [{ filter: { field: 'series', equal: 'kpsim (simulated)' } }],
        mark: KPSIM_LINE,
        encoding: { y, color: modeColor(colorModes), tooltip: kpsimTooltip('fraction of a core') },
      },
      {
        transform: [{ filter: { field: 'series', equal: 'published' } }],
        mark: PUBLISHED_MARK,
        encoding: {
          y,
          color: modeColor(colorModes),
          shape: {
            field: 'publishedStat',
            type: 'nominal',
            title: 'published (marks)',
            scale: { domain: ['Tigera 2019'], range: ['diamond'] },
          },
          tooltip: publishedTooltip('fraction of a core'),
        },
      },
    ],
    'of a core',
  );
  const notes = [...(fig.notes ?? []).map((n) => `Source note: ${n}.`)];
  return { chart: { name, title, caption, spec, notes }, table, source };
}

/** The iptables profile the run priced sync with, from the scenario file if it is unchanged. */
export function iptablesProfileOf(results: RunResults): string | null {
  const declared: unknown = results.meta.iptablesProfile;
  if (declared === 'modern' || declared === 'legacy') return declared;
  const scenario = runScenario(results);
  if (!scenario) return null;
  try {
    return parseSweep(scenario.sweep, results.meta.scenario.file).iptablesProfile;
  } catch {
    return null;
  }
}

/** (e3) Time to add one rule/service: Huawei (KubeCon 2017) legacy iptables vs kpsim sync.add_service. */
export function ruleAddBlock(results: RunResults, pub: PublishedFigures): Block {
  const name = 'repro-rule-add';
  const title = 'Time to add a service: Huawei (KubeCon 2017) vs kpsim';
  const fig = figure(pub, RULE_ADD_FIGURE);
  if (!fig) return missingFigure(name, title, RULE_ADD_FIGURE, pub);
  const source = sourceOf(pub, fig);
  const profile = iptablesProfileOf(results);
  const profileText =
    profile === 'legacy'
      ? 'This run priced iptables sync with the legacy profile (cost grows with the square of the table size), the closest to the published setup.'
      : profile === 'modern'
        ? 'This run priced iptables sync with the modern profile (cost follows the lines iptables-restore writes); the published numbers are for legacy iptables, which rewrote and re-checked the whole table on every change. Run the scenario with sweep.iptablesProfile: legacy to compare like with like.'
        : 'The iptables profile this run priced sync with is not recorded (the scenario file is missing or changed since the run); the published numbers are for legacy iptables.';
  const unit = unitLabel(fig.unit ?? 's');
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
      caveat: `${fig.mode ?? 'iptables'}${num(p.rules) !== null ? `, ${fmt(num(p.rules))} rules` : ''}`,
      publishedStat: 'Huawei 2017 (legacy iptables)',
    }));
  const add = series(results.rows, 'sync.add_service', 'simulated', 'value');
  const modes = sortModes(['iptables', 'ipvs'].filter((m) => add.some((p) => p.mode === m)));
  const table: SmallTable = {
    caption: `Seconds to add one service's rules. kpsim: simulated sync.add_service (${profile ?? 'unknown'} profile).`,
    columns: ['services', 'rules (published)', 'published iptables', 'kpsim iptables', 'kpsim ipvs'],
    rows: published.map((p) => [
      fmt(p.services),
      fmt(p.rules),
      fmt(p.value),
      fmtKpsim(valueAt(add, 'iptables', p.services)),
      fmtKpsim(valueAt(add, 'ipvs', p.services)),
    ]),
  };
  const caption = `Latency to add one service (its rules) to a node, in ${unit}. Marks: the published legacy-iptables measurements. Lines: kpsim's simulated sync.add_service for iptables and, for contrast, ipvs (simulated clock).`;
  const ipvsNote = figure(pub, IPVS_RULE_ADD_FIGURE)?.note;
  const notes = [profileText, ...(ipvsNote ? [`Published IPVS: ${ipvsNote}.`] : [])];
  if (!modes.includes('iptables')) {
    return {
      chart: {
        name,
        title,
        caption,
        spec: null,
        notes: [
          'This run has no simulated sync.add_service rows for iptables, so there is nothing to draw against the published points; the table lists them.',
          ...notes,
        ],
      },
      table,
      source,
    };
  }
  const kpsim = kpsimPoints(add, modes);
  const y = logY(
    'value',
    `time to add a service (${unit}, log scale)`,
    [...kpsim, ...published].map((p) => p.value),
    ',~g',
  );
  const spec = layered(
    'Time to add one service',
    `${unit}, log-log; marks: published; lines: kpsim simulated (${profile ?? 'unknown'} iptables profile)`,
    [...kpsim, ...published],
    ticks(
      results,
      published.map((p) => p.services),
    ),
    [
      {
        transform: [{ filter: { field: 'series', equal: 'kpsim (simulated)' } }],
        mark: KPSIM_LINE,
        encoding: { y, color: modeColor(modes), tooltip: kpsimTooltip(unit) },
      },
      {
        transform: [{ filter: { field: 'series', equal: 'published' } }],
        mark: PUBLISHED_MARK,
        encoding: {
          y,
          color: modeColor(modes),
          shape: {
            field: 'publishedStat',
            type: 'nominal',
            title: 'published (marks)',
            scale: { domain: ['Huawei 2017 (legacy iptables)'], range: ['diamond'] },
          },
          tooltip: publishedTooltip(unit),
        },
      },
    ],
    unit,
  );
  return { chart: { name, title, caption, spec, notes }, table, source };
}

export function reproductionBlocks(results: RunResults, pub: PublishedFigures): Block[] {
  return [firstPacketBlock(results, pub), cpuBlock(results, pub), ruleAddBlock(results, pub)];
}
