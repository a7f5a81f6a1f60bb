// The gate's configuration (gate.yaml): thresholds per clock, per-metric overrides, the ignore
// list and the complexity bands. Every field is optional; a missing one takes the default below
// (the defaults are the repository's gate.yaml, which a test keeps in step). Lists (overrides,
// ignore, complexity, higherIsBetter) replace the default list when given.
import { z } from 'zod';
import { allModes } from '../proxy/modes.ts';
import type { Clock } from '../metrics/results.ts';
import { schemaError } from '../scenario/load.ts';
import { parseDataText } from '../util/data-text.ts';
import { InputError } from '../util/errors.ts';
import { readInput } from '../util/stdio.ts';
import { globMatch } from './glob.ts';
import type { Direction } from './types.ts';

/** A wall-clock sample test counts a change only beyond `factor` (ratio of medians) and below `p`. */
export interface FactorP {
  factor: number;
  p: number;
}

export interface SimulatedLevels {
  /** Relative change |current - baseline| / |baseline| above which a simulated number warns (0: any change). */
  warn: number;
  /** ... and above which it fails (0: any change, i.e. exact comparison). */
  fail: number;
}

export interface SampleLevels {
  warn: FactorP;
  fail: FactorP;
}

export interface RowLevels {
  /** Factor (current/baseline, or its inverse when higher is better) above which a single wall value warns. */
  warn: number;
  fail: number;
}

export interface Override {
  metric: string;
  mode?: string;
  clock?: Clock;
  statistic?: string;
  direction?: Direction;
  simulated?: Partial<SimulatedLevels>;
  wallSamples?: { warn?: Partial<FactorP>; fail?: Partial<FactorP> };
  wallRows?: Partial<RowLevels>;
}

export interface IgnoreRule {
  metric: string;
  mode?: string;
  clock?: Clock;
  statistic?: string;
}

export interface Band {
  mode: string;
  metric: string;
  clock: Clock;
  statistic?: string;
  min?: number;
  max?: number;
}

export interface GateConfig {
  simulated: SimulatedLevels;
  wallSamples: SampleLevels & {
    /** Metric whose samples at the same point normalise the others (null: no normalisation). */
    normalizeBy: string | null;
    /** Permutations per test; the smallest p-value attainable is 1/(permutations+1). */
    permutations: number;
    /** Seed of the permutation test's random source (the verdict is deterministic). */
    seed: number | string;
    /** Larger sample sets are subsampled (seeded) to this many values per run. */
    maxSamples: number;
  };
  wallRows: RowLevels & {
    /** Per unit: an absolute change smaller than this never counts (single-shot timer noise). */
    noiseFloor: Record<string, number>;
  };
  /** Metric globs where a decrease is the regression (default: throughput.*). */
  higherIsBetter: string[];
  overrides: Override[];
  ignore: IgnoreRule[];
  complexity: Band[];
}

/**
 * The complexity bands of every registered mode (descriptor.expect): its lookup cost on the
 * simulated clock (rules evaluated too, for modes that walk rules) and its wall-clock p50.
 */
function defaultBands(): Band[] {
  return allModes().flatMap((m) => {
    const sim = m.expect.lookupExponent;
    const wall = m.expect.wallLookupExponent;
    return [
      { mode: m.name, metric: 'lookup.rules_evaluated', clock: 'simulated' as const, min: sim.min, max: sim.max },
      { mode: m.name, metric: 'lookup.latency', clock: 'simulated' as const, min: sim.min, max: sim.max },
      {
        mode: m.name,
        metric: 'lookup.latency',
        clock: 'wall' as const,
        statistic: 'p50',
        ...(wall.min !== undefined ? { min: wall.min } : {}),
        max: wall.max,
      },
    ];
  });
}

export const DEFAULT_GATE_CONFIG: GateConfig = {
  simulated: { warn: 0, fail: 0 },
  wallSamples: {
    normalizeBy: 'calibration.loop',
    permutations: 10000,
    seed: 1,
    maxSamples: 2000,
    warn: { factor: 1.05, p: 0.01 },
    fail: { factor: 1.1, p: 0.002 },
  },
  wallRows: { warn: 2, fail: 3, noiseFloor: { ms: 500 } },
  higherIsBetter: ['throughput.*'],
  overrides: [],
  ignore: [
    { metric: 'memory.heap_bytes', clock: 'wall' },
    { metric: 'memory.bytes_per_rule', clock: 'wall', statistic: 'peak_sync' },
    { metric: 'throughput.engine', clock: 'wall' },
  ],
  complexity: defaultBands(),
};

/** A p-value level needs this many permutations per unit of 1/p, so it is resolved to ~10%. */
export const PERMUTATIONS_PER_INVERSE_P = 10;

const relative = z.number().min(0);
const factor = z.number().min(1);
const pValue = z.number().gt(0).max(1);
const factorP = z.object({ factor, p: pValue }).strict();
const partialFactorP = z.object({ factor: factor.optional(), p: pValue.optional() }).strict();
const clock = z.enum(['simulated', 'wall']);
const name = z.string().min(1);

const schema = z
  .object({
    simulated: z.object({ warn: relative.optional(), fail: relative.optional() }).strict().optional(),
    wallSamples: z
      .object({
        normalizeBy: z.union([name, z.null(), z.literal('none')]).optional(),
        permutations: z.number().int().min(1).max(1_000_000).optional(),
        seed: z.union([z.number().int(), z.string()]).optional(),
        maxSamples: z.number().int().min(10).optional(),
        warn: factorP.optional(),
        fail: factorP.optional(),
      })
      .strict()
      .optional(),
    wallRows: z
      .object({
        warn: factor.optional(),
        fail: factor.optional(),
        noiseFloor: z.record(z.string(), z.number().min(0)).optional(),
      })
      .strict()
      .optional(),
    higherIsBetter: z.array(name).optional(),
    overrides: z
      .array(
        z
          .object({
            metric: name,
            mode: name.optional(),
            clock: clock.optional(),
            statistic: name.optional(),
            direction: z.enum(['lower', 'higher', 'both']).optional(),
            simulated: z.object({ warn: relative.optional(), fail: relative.optional() }).strict().optional(),
            wallSamples: z.object({ warn: partialFactorP.optional(), fail: partialFactorP.optional() }).strict().optional(),
            wallRows: z.object({ warn: factor.optional(), fail: factor.optional() }).strict().optional(),
          })
          .strict(),
      )
      .optional(),
    ignore: z
      .array(
        z.union([name, z.object({ metric: name, mode: name.optional(), clock: clock.optional(), statistic: name.optional() }).strict()]),
      )
      .optional(),
    complexity: z
      .array(
        z
          .object({
            mode: name,
            metric: name,
            clock,
            statistic: name.optional(),
            min: z.number().optional(),
            max: z.number().optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export function loadGateConfig(path: string): GateConfig {
  const text = readInput(path, 'gate config');
  return parseGateConfig(text, path);
}

export function parseGateConfig(text: string, path: string): GateConfig {
  const raw = parseDataText(text, path) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(
      'a gate config must be a mapping (simulated, wallSamples, wallRows, overrides, ignore, complexity, ...)',
      path,
      '(top level)',
      raw,
    );
  }
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw schemaError(parsed.error, path);
  const c = parsed.data;
  const d = DEFAULT_GATE_CONFIG;
  const normalizeBy = c.wallSamples?.normalizeBy;
  const config: GateConfig = {
    simulated: { ...d.simulated, ...c.simulated },
    wallSamples: {
      ...d.wallSamples,
      ...c.wallSamples,
      normalizeBy: normalizeBy === undefined ? d.wallSamples.normalizeBy : normalizeBy === 'none' ? null : normalizeBy,
    },
    wallRows: { ...d.wallRows, ...c.wallRows, noiseFloor: c.wallRows?.noiseFloor ?? d.wallRows.noiseFloor },
    higherIsBetter: c.higherIsBetter ?? d.higherIsBetter,
    overrides: c.overrides ?? d.overrides,
    ignore: c.ignore ? c.ignore.map((r) => (typeof r === 'string' ? { metric: r } : r)) : d.ignore,
    complexity: c.complexity ?? d.complexity,
  };
  checkConsistency(config, path);
  return config;
}

/** Levels that could never trigger or contradict each other are errors, naming the field. */
export function checkConsistency(c: GateConfig, path?: string): void {
  const levels = (where: string, sim: SimulatedLevels, rows: RowLevels, samples: SampleLevels) => {
    if (sim.warn > sim.fail)
      throw new InputError(`warn level ${sim.warn} is above the fail level ${sim.fail}`, path, `${where}simulated.warn`, sim.warn);
    if (rows.warn > rows.fail)
      throw new InputError(`warn factor ${rows.warn} is above the fail factor ${rows.fail}`, path, `${where}wallRows.warn`, rows.warn);
    if (samples.warn.factor > samples.fail.factor)
      throw new InputError(
        `warn factor ${samples.warn.factor} is above the fail factor ${samples.fail.factor}`,
        path,
        `${where}wallSamples.warn.factor`,
        samples.warn.factor,
      );
    if (samples.warn.p < samples.fail.p)
      throw new InputError(
        `warn p-value ${samples.warn.p} is stricter than the fail p-value ${samples.fail.p}`,
        path,
        `${where}wallSamples.warn.p`,
        samples.warn.p,
      );
    const k = c.wallSamples.permutations;
    const needed = Math.ceil(PERMUTATIONS_PER_INVERSE_P / samples.fail.p);
    if (k < needed) {
      throw new InputError(
        `${k} permutations cannot resolve the fail level p < ${samples.fail.p}: the smallest attainable p-value is 1/(permutations+1) = ${(1 / (k + 1)).toPrecision(2)}; use at least ${needed} (${PERMUTATIONS_PER_INVERSE_P}/p)`,
        path,
        'wallSamples.permutations',
        k,
      );
    }
  };
  levels('', c.simulated, c.wallRows, c.wallSamples);
  c.overrides.forEach((o, i) => {
    const r = applyOverride(c, o);
    levels(`overrides[${i}].`, r.simulated, r.wallRows, r.wallSamples);
  });
  c.complexity.forEach((b, i) => {
    if (b.min === undefined && b.max === undefined) throw new InputError('a band needs min, max or both', path, `complexity[${i}]`, b);
    if (b.min !== undefined && b.max !== undefined && b.min > b.max)
      throw new InputError(`min ${b.min} is above max ${b.max}`, path, `complexity[${i}].min`, b.min);
  });
}

export interface Thresholds {
  direction: Direction;
  simulated: SimulatedLevels;
  wallSamples: SampleLevels;
  wallRows: RowLevels;
}

function applyOverride(base: Omit<Thresholds, 'direction'>, o: Override): Omit<Thresholds, 'direction'> {
  return {
    simulated: { ...base.simulated, ...o.simulated },
    wallSamples: {
      warn: { ...base.wallSamples.warn, ...o.wallSamples?.warn },
      fail: { ...base.wallSamples.fail, ...o.wallSamples?.fail },
    },
    wallRows: { warn: base.wallRows.warn, fail: base.wallRows.fail, ...o.wallRows },
  };
}

export interface Subject {
  mode: string;
  metric: string;
  clock: Clock;
  statistic?: string | null;
}

function matches(rule: { metric: string; mode?: string; clock?: Clock; statistic?: string }, s: Subject): boolean {
  return (
    globMatch(rule.metric, s.metric) &&
    globMatch(rule.mode, s.mode) &&
    (rule.clock === undefined || rule.clock === s.clock) &&
    (rule.statistic === undefined || (s.statistic != null && globMatch(rule.statistic, s.statistic)))
  );
}

/** The levels and direction for one number: defaults, then every matching override in order. */
export function thresholdsFor(c: GateConfig, s: Subject): Thresholds {
  let levels: Omit<Thresholds, 'direction'> = {
    simulated: c.simulated,
    wallSamples: { warn: c.wallSamples.warn, fail: c.wallSamples.fail },
    wallRows: { warn: c.wallRows.warn, fail: c.wallRows.fail },
  };
  // Simulated numbers are deterministic: a change either way means the model or the code changed.
  let direction: Direction = s.clock === 'simulated' ? 'both' : c.higherIsBetter.some((g) => globMatch(g, s.metric)) ? 'higher' : 'lower';
  for (const o of c.overrides) {
    if (!matches(o, s)) continue;
    levels = applyOverride(levels, o);
    if (o.direction) direction = o.direction;
  }
  return { direction, ...levels };
}

export function isIgnored(c: GateConfig, s: Subject): boolean {
  return c.ignore.some((r) => matches(r, s));
}
