// The regression gate: the current run against a baseline. Points first (a point the baseline
// has and the current run lacks, or that failed, is a failure), then the wall-clock sample tests,
// the single numbers, and the complexity bands. Reads its inputs and never writes them.
import { describeCostModel, samePricing } from '../metrics/cost-model-source.ts';
import type { RunResults } from '../metrics/results.ts';
import { seriesKey } from '../metrics/results.ts';
import { InputError } from '../util/errors.ts';
import { checkBands } from './complexity.ts';
import type { GateConfig } from './config.ts';
import { inputError } from './inputs.ts';
import { pointKey } from './keys.ts';
import { compareRows } from './rows.ts';
import { compareSamples } from './samples.ts';
import { type Comparison, type GateReport, type Outcome, isFailure } from './types.ts';

export interface GateOptions {
  /** Compare runs priced by different cost models (with a loud warning) instead of refusing. */
  allowCostModelChange?: boolean;
}

/** A comparison line about a whole point (missing, failed, new): no metric, no numbers. */
function pointComparison(p: PointInfo) {
  return {
    kind: 'point' as const,
    mode: p.mode,
    scale: p.scale,
    repetition: p.repetition,
    metric: '(point)',
    clock: null,
    statistic: null,
    unit: '',
    baseline: null,
    current: null,
    change: null,
    p: null,
  };
}

interface PointInfo {
  mode: string;
  scale: number;
  repetition: number;
  status: 'ok' | 'failed';
  error?: string;
}

export function compareRuns(
  baseline: RunResults,
  current: RunResults,
  config: GateConfig,
  files = { baseline: '(baseline)', current: '(current)' },
  opts: GateOptions = {},
): GateReport {
  if (baseline.rows.length === 0 && baseline.samples.length === 0) {
    throw inputError('baseline', 'no rows and no samples: nothing to compare against', files.baseline, 'rows');
  }
  // Runs of two scenarios have different points: comparing them is a mistake in the input, not a regression.
  const sb = baseline.meta?.scenario;
  const sc = current.meta?.scenario;
  if (sb?.name !== undefined && sc?.name !== undefined && sb.name !== sc.name)
    throw inputError(
      'current',
      `comes from scenario "${sc.name}", the baseline from scenario "${sb.name}": the gate compares runs of one scenario (make a baseline of this one with kpsim baseline update --from RUN)`,
      files.current,
      'meta.scenario.name',
      sc.name,
    );
  const warnings = metaWarnings(baseline, current);
  const pb = baseline.meta?.costModel;
  const pc = current.meta?.costModel;
  if (!samePricing(pb, pc)) {
    const what = `the runs were priced by different cost models (baseline: ${describeCostModel(pb)}; current: ${describeCostModel(pc)}), so simulated numbers differ by the prices, not by the code`;
    if (!opts.allowCostModelChange)
      throw new InputError(`${what}. Run both with the same --cost-model, or pass --allow-cost-model-change to compare anyway`);
    warnings.unshift(`PRICED DIFFERENTLY: ${what}; every simulated comparison below shows the change of prices`);
  }
  const comparisons: Comparison[] = [];

  const ptb = points(baseline);
  const ptc = points(current);
  const common = new Set<string>();
  for (const [key, b] of ptb) {
    const c = ptc.get(key);
    const skeleton = pointComparison(b);
    if (b.status !== 'ok') continue;
    if (!c) comparisons.push({ ...skeleton, verdict: 'missing', note: 'point not in the current run' });
    else if (c.status !== 'ok')
      comparisons.push({
        ...skeleton,
        verdict: 'missing',
        note: `point failed in the current run: ${(c.error ?? 'no error message').split('\n')[0].slice(0, 120)}`,
      });
    else common.add(key);
  }
  for (const [key, c] of ptc) {
    const b = ptb.get(key);
    if (c.status === 'ok' && b?.status !== 'ok') {
      comparisons.push({ ...pointComparison(c), verdict: 'new', note: b ? 'failed in the baseline' : 'not in the baseline' });
    }
  }

  const samples = compareSamples(baseline, current, common, config);
  warnings.push(...samples.warnings);
  const rows = compareRows(baseline, current, common, samples.sampled, config);
  comparisons.push(...samples.comparisons, ...rows.comparisons);
  const bands = checkBands(baseline.fits, current.fits, config.complexity);

  const failed = comparisons.some((c) => isFailure(c.verdict)) || bands.checks.some((b) => b.verdict !== 'pass');
  const outcome: Outcome = failed ? 'FAIL' : comparisons.some((c) => c.verdict === 'warn') ? 'warn' : 'pass';
  return {
    baselineFile: files.baseline,
    currentFile: files.current,
    baselineRun: baseline.meta?.runId ?? '?',
    currentRun: current.meta?.runId ?? '?',
    comparisons,
    bands: bands.checks,
    bandsSkipped: bands.skipped,
    ignored: samples.ignored.size + rows.ignored.size,
    warnings,
    outcome,
  };
}

/** Point records, plus any (mode, scale, repetition) that has rows or samples but no record. */
function points(r: RunResults): Map<string, PointInfo> {
  const m = new Map<string, PointInfo>();
  for (const p of r.points)
    m.set(pointKey(seriesKey(p), p.scale, p.repetition), {
      mode: seriesKey(p),
      scale: p.scale,
      repetition: p.repetition,
      status: p.status,
      error: p.error,
    });
  for (const x of [...r.rows, ...r.samples]) {
    const key = pointKey(seriesKey(x), x.scale, x.repetition);
    if (!m.has(key)) m.set(key, { mode: seriesKey(x), scale: x.scale, repetition: x.repetition, status: 'ok' });
  }
  return m;
}

function metaWarnings(b: RunResults, c: RunResults): string[] {
  const out: string[] = [];
  const sb = b.meta?.scenario;
  const sc = c.meta?.scenario;
  if (sb && sc && (sb.sha256 !== sc.sha256 || sb.seed !== sc.seed)) {
    out.push(
      `the runs come from different scenarios or seeds (baseline ${sb.name} seed ${sb.seed}, current ${sc.name} seed ${sc.seed}): simulated changes may come from the scenario, not the code`,
    );
  }
  const mb = b.meta?.machine;
  const mc = c.meta?.machine;
  if (mb && mc && mb.node !== mc.node) {
    out.push(
      `different Node.js versions (baseline ${mb.node}, current ${mc.node}): Math functions may differ in the last bit, which exact simulated comparisons would show`,
    );
  }
  if (mb && mc && mb.cpuModel !== mc.cpuModel) {
    out.push(
      `different machines (baseline "${mb.cpuModel}", current "${mc.cpuModel}"): wall-clock samples are normalised by the calibration loop; single wall-clock values are not`,
    );
  }
  return out;
}
