// "This kernel vs the model": when a run was priced by a calibration file (kpsim calibrate), the
// kernel's own measurements (restore time, first-packet walk of KUBE-SERVICES) drawn as marks
// with their min..max beside kpsim's simulated curves for the same quantities.
import type { CalibrationPoint } from '../metrics/cost-model-source.ts';
import type { RunResults } from '../metrics/results.ts';
import { runScales } from './charts.ts';
import { positiveOnly, series, valueAt } from './data.ts';
import { fmt, fmtKpsim } from './format.ts';
import { KPSIM_LINE, layered } from './repro-kit.ts';
import { logY } from './spec-kit.ts';
import type { Block, Section } from './types.ts';

const BACKEND_COLORS = { 'kernel, iptables-nft': '#4e79a7', 'kernel, iptables-legacy': '#9c755f', 'kpsim (simulated)': '#222222' };

interface Quantity {
  name: string;
  title: string;
  /** Calibration point id and how to turn its value into the chart's unit. */
  id: string;
  scale: number;
  unit: string;
  /** kpsim's simulated series for the same quantity. */
  metric: string;
  statistic: string;
  kpsimScale: number;
  caption: string;
}

const QUANTITIES: Quantity[] = [
  {
    name: 'kernel-restore',
    title: 'Whole-ruleset restore: this kernel vs kpsim',
    id: 'iptables.restore',
    scale: 1,
    unit: 's',
    metric: 'sync.full',
    statistic: 'value',
    kpsimScale: 1,
    caption:
      "Seconds to load a node's whole iptables ruleset. Marks: iptables-restore of kpsim's rendered ruleset into empty tables on the calibration machine (CPU time of the command, median of the repetitions; the bar spans min..max), per backend. Line: this run's simulated sync.full for iptables (an empty node synced to the whole cluster), priced by the run's cost model.",
  },
  {
    name: 'kernel-walk',
    title: 'First-packet rule walk: this kernel vs kpsim',
    id: 'iptables.walk',
    scale: 1e-3,
    unit: 'µs',
    metric: 'lookup.latency',
    statistic: 'p99',
    kpsimScale: 1e-3,
    caption:
      "Microseconds a new connection's first packet spends in the iptables rules. Marks: a non-blocking connect() to an unused ClusterIP on the calibration machine (it walks all of KUBE-SERVICES), CPU above the same connect with no rules, median of the repetitions with min..max. Line: this run's simulated lookup.latency p99 for iptables (a packet for a service near the end of KUBE-SERVICES, so nearly the same walk), priced by the run's cost model.",
  },
];

export function hasCalibration(results: RunResults): boolean {
  return (results.meta?.costModel?.calibration?.points?.length ?? 0) > 0;
}

export function kernelSection(results: RunResults): Section {
  const info = results.meta.costModel!;
  const cal = info.calibration!;
  return {
    id: 'kernel',
    title: 'This kernel vs the model',
    clock: 'simulated vs measured (calibration)',
    intro: `This run was priced by ${info.file} (sha256 ${info.sha256?.slice(0, 12)}), measured by kpsim calibrate on ${cal.date.slice(0, 10) || 'an unrecorded date'} (kernel ${cal.kernel}, ${cal.cpuModel}). The calibration's own measurements are drawn beside this run's simulated numbers for the same quantities: where the line passes through the marks, the cost model reproduces this kernel at those scales; where it bends away, the kernel's cost grows differently from the model's (the model is linear in rules and lines). The calibration measured a cluster of its own scenario at its own scales; the line is this run's cluster.`,
    blocks: QUANTITIES.map((q) => block(results, cal.points, q)),
  };
}

function block(results: RunResults, points: CalibrationPoint[], q: Quantity): Block {
  const measured = points
    .filter((p) => p.id === q.id && p.services > 0)
    .map((p) => ({
      series: `kernel, iptables-${p.backend}`,
      services: p.services,
      value: p.median * q.scale,
      lo: p.min * q.scale,
      hi: p.max * q.scale,
    }));
  const sim = series(results.rows, q.metric, 'simulated', q.statistic).filter((p) => p.mode === 'iptables');
  const kpsim = positiveOnly(
    sim.map((p) => ({ series: 'kpsim (simulated)', services: p.scale, value: p.value * q.kpsimScale, lo: null, hi: null })),
  ).kept;
  const backends = [...new Set(measured.map((m) => m.series))];
  const table = {
    caption: `Measured (median, min..max) and kpsim's simulated ${q.metric} ${q.statistic} for iptables, in ${q.unit}.`,
    columns: ['services', ...backends, 'kpsim (simulated)'],
    rows: [...new Set(measured.map((m) => m.services))]
      .sort((a, b) => a - b)
      .map((s) => [
        fmt(s),
        ...backends.map((b) => {
          const m = measured.find((x) => x.services === s && x.series === b);
          return m ? `${fmt(m.value)} (${fmt(m.lo)}..${fmt(m.hi)})` : '—';
        }),
        fmtKpsim(scaled(valueAt(sim, 'iptables', s), q.kpsimScale)),
      ]),
  };
  if (measured.length === 0 || kpsim.length === 0) {
    const why =
      measured.length === 0
        ? 'the calibration has no such measurement'
        : `this run has no simulated ${q.metric} ${q.statistic} rows for iptables`;
    return { chart: { name: q.name, title: q.title, caption: q.caption, spec: null, notes: [`Nothing to draw: ${why}.`] }, table };
  }
  const values = [...measured, ...kpsim];
  const y = logY(
    'value',
    `${q.unit} (log scale)`,
    values.flatMap((v) => [v.value, v.lo ?? v.value, v.hi ?? v.value]),
    ',~g',
  );
  const color = {
    field: 'series',
    type: 'nominal',
    title: 'source',
    scale: { domain: Object.keys(BACKEND_COLORS), range: Object.values(BACKEND_COLORS) },
  };
  const tooltip = [
    { field: 'series', type: 'nominal', title: 'source' },
    { field: 'services', type: 'quantitative', title: 'services', format: ',d' },
    { field: 'value', type: 'quantitative', title: q.unit, format: ',.4~g' },
    { field: 'lo', type: 'quantitative', title: 'min', format: ',.4~g' },
    { field: 'hi', type: 'quantitative', title: 'max', format: ',.4~g' },
  ];
  const isKpsim = { field: 'series', equal: 'kpsim (simulated)' };
  const spec = layered(
    q.title.split(':')[0],
    `${q.unit}, log-log; marks: measured on the calibration machine; line: kpsim simulated`,
    values,
    [...new Set([...runScales(results), ...measured.map((m) => m.services)])].sort((a, b) => a - b),
    [
      { transform: [{ filter: isKpsim }], mark: KPSIM_LINE, encoding: { y, color, tooltip } },
      {
        transform: [{ filter: { not: isKpsim } }],
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        transform: [{ filter: { not: isKpsim } }],
        mark: { type: 'point', filled: true, size: 110, stroke: '#111', strokeWidth: 1, opacity: 1 },
        encoding: { y, color, shape: { value: 'diamond' }, tooltip },
      },
    ],
  );
  return { chart: { name: q.name, title: q.title, caption: q.caption, spec, notes: [] }, table };
}

function scaled(v: { value: number; exact: boolean } | null, k: number): { value: number; exact: boolean } | null {
  return v ? { value: v.value * k, exact: v.exact } : null;
}
