// Synthetic RunResults for the gate's tests: simulated rows from a toy cost model (so doubling a
// cost-model constant moves them), wall-clock samples drawn from a realistic noisy distribution
// (log-normal with 10% spread plus a few GC-like outliers, 50-200 samples per point), the
// calibration loop, single wall values, and the complexity fits over the scales.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.ts';
import { normal } from '../../src/engine/distributions.ts';
import { type CostModel, DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import type { Clock, FitRecord, ResultRow, RunResults, SampleSet } from '../../src/metrics/results.ts';
import { compareRows as rowOrder } from '../../src/metrics/results.ts';
import { complexityVerdict, fitPowerLaw } from '../../src/metrics/stats.ts';

export interface FixtureOptions {
  modes?: string[];
  scales?: number[];
  repetitions?: number;
  costModel?: Partial<CostModel>;
  /** Seed of the recorded wall-clock distribution. */
  seed?: number | string;
  runId?: string;
}

/** Which way the fabricated lookup grows: iptables walks ~half the rules, IPVS is one hash probe. */
function rulesEvaluated(mode: string, scale: number, rep: number): number {
  const base = mode === 'iptables' ? 8 + 0.5 * scale : mode === 'userspace' ? 6 + 0.5 * scale : 4;
  return base * (1 + 0.001 * (rep - 1));
}

export function fabricateRun(opts: FixtureOptions = {}): RunResults {
  const modes = opts.modes ?? ['iptables', 'ipvs'];
  const scales = opts.scales ?? [100, 1000, 10000];
  const repetitions = opts.repetitions ?? 1;
  const cm = { ...DEFAULT_COST_MODEL, ...opts.costModel } as CostModel;
  const rng = new Rng(opts.seed ?? 'recorded');
  const rows: ResultRow[] = [];
  const samples: SampleSet[] = [];
  const points: RunResults['points'] = [];
  for (const mode of modes) {
    for (const scale of scales) {
      for (let repetition = 1; repetition <= repetitions; repetition++) {
        const r = rng.fork(`${mode}/${scale}/${repetition}`);
        points.push({ mode, scale, repetition, status: 'ok', wallSeconds: 1 });
        const sim = (metric: string, unit: string, statistic: string, value: number) =>
          rows.push({ mode, scale, repetition, metric, clock: 'simulated', unit, statistic, value });
        const wall = (metric: string, unit: string, statistic: string, value: number) =>
          rows.push({ mode, scale, repetition, metric, clock: 'wall', unit, statistic, value });
        const rules = rulesEvaluated(mode, scale, repetition);
        for (const [stat, f] of [
          ['mean', 1],
          ['p50', 0.95],
          ['p99', 1.9],
        ] as const)
          sim('lookup.rules_evaluated', 'rules', stat, rules * f);
        const lookupNs = rules * cm.iptablesRuleNs + (mode === 'ipvs' ? 1.2 * cm.ipvsProbeNs + cm.ipvsScheduleNs : 0);
        for (const [stat, f] of [
          ['mean', 1],
          ['p50', 0.95],
          ['p99', 1.9],
        ] as const)
          sim('lookup.latency', 'ns', stat, lookupNs * f);
        const lines = 20 + 7 * scale;
        sim('sync.full', 's', 'value', (lines * cm.iptablesRestoreLineNs + (mode === 'ipvs' ? 6 * scale * cm.ipvsNetlinkOpNs : 0)) / 1e9);
        sim('throughput.node_core', 'packets/s', 'value', 1e9 / (cm.packetBaseNs + cm.conntrackLookupNs + lookupNs / 20));
        sim('memory.iptables_rules', 'count', 'value', mode === 'ipvs' ? 40 : 10 + 4 * scale);
        // Single wall-clock values (no samples).
        wall('sync.full', 'ms', 'value', (mode === 'ipvs' ? 1 : 0.5) * scale * Math.exp(normal(r, 0, 0.05)));
        wall('throughput.engine', 'packets/s', 'value', 2e6 * Math.exp(normal(r, 0, 0.05)));
        wall('memory.heap_bytes', 'bytes', 'value', 1000 * scale * Math.exp(normal(r, 0, 0.3)));
        // Wall-clock samples: ns per lookup (iptables grows with the services, IPVS flat) and the calibration loop.
        const lookupMedian = mode === 'ipvs' ? 60 : 2 * scale;
        samples.push({
          mode,
          scale,
          repetition,
          metric: 'lookup.latency',
          unit: 'ns',
          values: noisy(r.fork('lookup'), lookupMedian, r.int(50, 201)),
        });
        samples.push({
          mode,
          scale,
          repetition,
          metric: 'calibration.loop',
          unit: 'ns',
          values: noisy(r.fork('calibration'), 0.8, r.int(50, 101)),
        });
      }
    }
  }
  const run: RunResults = {
    schema: 'kpsim-results/1',
    meta: {
      runId: opts.runId ?? 'fixture',
      kpsimVersion: '0.1.0',
      scenario: { name: 'fixture', file: 'scenarios/fixture.yaml', seed: 1, sha256: 'f'.repeat(64) },
      modes,
      scales,
      repetitions,
      shard: null,
      workers: 1,
      git: { commit: null, dirty: null },
      machine: { node: 'v20.0.0', platform: 'linux', arch: 'x64', cpuModel: 'fixture cpu', cores: 1, memoryBytes: 1 },
      startedAt: '2025-01-01T00:00:00.000Z',
      wallSeconds: 1,
    },
    points,
    rows,
    samples,
    fits: [],
  };
  return refresh(run);
}

/** Log-normal around `median` with 10% spread, 2% of the samples 2-4x slower (GC pauses, interrupts). */
function noisy(r: Rng, median: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = median * Math.exp(normal(r, 0, 0.1));
    if (r.next() < 0.02) v *= 2 + 2 * r.next();
    out.push(v);
  }
  return out;
}

const clone = (r: RunResults): RunResults => structuredClone(r);

/**
 * Recomputes what derives from the samples and rows: the wall summary rows of each sample set
 * and the complexity fits, the way the sweep does.
 */
export function refresh(run: RunResults): RunResults {
  const sampled = new Set(run.samples.map((s) => `${s.mode}|${s.scale}|${s.repetition}|${s.metric}`));
  run.rows = run.rows.filter((r) => !(r.clock === 'wall' && sampled.has(`${r.mode}|${r.scale}|${r.repetition}|${r.metric}`)));
  for (const s of run.samples) {
    const sorted = [...s.values].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const stats: [string, number][] =
      s.metric === 'calibration.loop'
        ? [['p50', q(0.5)]]
        : [
            ['p50', q(0.5)],
            ['p99', q(0.99)],
            ['n', sorted.length],
          ];
    for (const [statistic, value] of stats)
      run.rows.push({
        mode: s.mode,
        scale: s.scale,
        repetition: s.repetition,
        metric: s.metric,
        clock: 'wall',
        unit: s.unit,
        statistic,
        value,
      });
  }
  run.rows.sort(rowOrder);
  run.fits = fits(run.rows);
  return run;
}

const FITTED: { metric: string; clock: Clock; statistic: string }[] = [
  { metric: 'lookup.rules_evaluated', clock: 'simulated', statistic: 'mean' },
  { metric: 'lookup.latency', clock: 'simulated', statistic: 'mean' },
  { metric: 'lookup.latency', clock: 'wall', statistic: 'p50' },
  { metric: 'sync.full', clock: 'simulated', statistic: 'value' },
];

function fits(rows: ResultRow[]): FitRecord[] {
  const out: FitRecord[] = [];
  for (const mode of [...new Set(rows.map((r) => r.mode))]) {
    for (const f of FITTED) {
      const sel = rows.filter(
        (r) => r.mode === mode && r.metric === f.metric && r.clock === f.clock && r.statistic === f.statistic && r.repetition === 1,
      );
      const fit = fitPowerLaw(
        sel.map((r) => r.scale),
        sel.map((r) => r.value),
      );
      if (!fit) continue;
      out.push({
        mode,
        ...f,
        unit: sel[0].unit,
        exponent: fit.exponent,
        ciLow: fit.ciLow,
        ciHigh: fit.ciHigh,
        intercept: fit.intercept,
        r2: fit.r2,
        n: fit.n,
        verdict: complexityVerdict(fit),
      });
    }
  }
  return out;
}

/**
 * An unchanged re-run: identical simulated rows; every sample set bootstrap-resampled (same size,
 * with replacement) from the recorded one, single wall values jittered by ~5%.
 */
export function rerun(run: RunResults, seed: number | string): RunResults {
  const out = clone(run);
  const rng = new Rng(seed);
  for (const s of out.samples) {
    const r = rng.fork(`${s.mode}/${s.scale}/${s.repetition}/${s.metric}`);
    const src = s.values;
    s.values = src.map(() => src[r.int(0, src.length)]);
  }
  for (const row of out.rows) {
    if (row.clock === 'wall' && row.statistic === 'value')
      row.value *= Math.exp(normal(rng.fork(`${row.mode}/${row.scale}/${row.repetition}/${row.metric}`), 0, 0.05));
  }
  out.meta.runId = `rerun-${seed}`;
  return refresh(out);
}

/** Multiplies wall-clock samples of the metrics selected (and, with `rows`, the single wall time values). */
export function slowWall(run: RunResults, factor: number, opts: { metrics?: string[]; rows?: boolean } = {}): RunResults {
  const out = clone(run);
  for (const s of out.samples) if (!opts.metrics || opts.metrics.includes(s.metric)) s.values = s.values.map((v) => v * factor);
  if (opts.rows) {
    for (const r of out.rows) {
      if (r.clock !== 'wall' || r.statistic !== 'value') continue;
      if (r.unit === 'ms') r.value *= factor;
      if (r.unit === 'packets/s') r.value /= factor;
    }
  }
  return refresh(out);
}

export function edit(run: RunResults, f: (r: RunResults) => void): RunResults {
  const out = clone(run);
  f(out);
  return out;
}

export function writeRun(dir: string, name: string, run: RunResults): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(run, null, 1) + '\n');
  return file;
}
