// `kpsim churn <scenario> --sweep`: services x churn rate x modes on the simulated clock, written
// as a run folder (results.csv, fits.csv, results.json, index.html + charts/) like `kpsim sweep`.
import type { IptablesProfile } from '../../netfilter/costs.ts';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { resolveLoop, resolveSpec } from '../../controlplane/index.ts';
import { planChurnSweep, runChurnSweep } from '../../controlplane/sweep.ts';
import { churnFits } from '../../metrics/churn-rows.ts';
import { seriesKey } from '../../metrics/results.ts';
import { writeResults } from '../../output/results-files.ts';
import { modeNames } from '../../proxy/modes.ts';
import { churnFindings } from '../../report/churn-findings.ts';
import { writeReport } from '../../report/index.ts';
import { scenarioScales } from '../../scenario/generate.ts';
import { resolveCostModel, withCostModelFile } from '../../metrics/cost-model-source.ts';
import { loadScenario } from '../../scenario/load.ts';
import { assembleResults, baseMeta, makeRunId } from '../../sweep/meta.ts';
import { Progress } from '../../sweep/progress.ts';
import { prepareOutDir } from '../../output/out-dir.ts';
import { InputError } from '../../util/errors.ts';
import { parseList, parsePositive } from '../options.ts';
import { churnSweepTable } from './churn-sweep-table.ts';

/** Churn events per second of the default sweep: quiet, busy, and a rolling-deploy storm. */
export const DEFAULT_SWEEP_RATES = [1, 10, 50];

export interface ChurnSweepCliOptions {
  modes?: string[];
  scales?: number[];
  rates?: number[];
  partialSyncToo: boolean;
  duration?: number;
  minSyncPeriod?: number;
  profile?: IptablesProfile;
  nodes?: number;
  out?: string;
  force?: boolean;
  quiet?: boolean;
  /** --cost-model: a cost-model file in place of the scenario's. */
  costModel?: string;
  progress?: boolean;
}

export async function runChurnSweepCommand(file: string, o: ChurnSweepCliOptions): Promise<void> {
  // Everything a point reads is checked here, before any point runs or any file is written.
  if (file === '-') throw new InputError("a sweep records its scenario file's checksum: give its file, not - (standard input)", '-');
  const scenario = withCostModelFile(loadScenario(file), o.costModel);
  const pricing = resolveCostModel(scenario).info;
  const modes = o.modes ?? modeNames();
  const scales = o.scales ?? scenarioScales(scenario);
  const rates = o.rates ?? DEFAULT_SWEEP_RATES;
  if (scales.some((s) => s < 1)) throw new InputError('every scale of a churn sweep needs at least one service', file, 'services', scales);
  const pointOpts = {
    durationNs: o.duration,
    nodes: o.nodes,
    profile: o.profile,
    spec: o.minSyncPeriod !== undefined ? { minSyncPeriod: o.minSyncPeriod } : undefined,
  };
  const spec = resolveSpec(scenario, { mode: 'iptables', ...pointOpts });
  const loop = resolveLoop(scenario, spec);
  const plan = planChurnSweep(modes, scales, rates, o.partialSyncToo);
  if (o.out !== undefined) prepareOutDir(o.out, o.force);

  const startedAt = new Date();
  const t0 = performance.now();
  const progress = new Progress(plan.length, { mode: o.quiet ? 'off' : o.progress ? 'on' : 'auto' });
  progress.plan(`${plan.length} point${plan.length === 1 ? '' : 's'} in this process, one after the other`);
  const sweep = runChurnSweep(scenario, plan, pointOpts, (p, record) => {
    const label = `${seriesKey(p)} @ ${p.scale} services, ${p.rate}/s:`;
    progress.tick(
      record.status === 'ok' ? label : `${label} ${(record.error ?? '').split('\n')[0]}`,
      record.status === 'ok',
      record.wallSeconds,
    );
  });

  const results = assembleResults(
    {
      ...baseMeta({ runId: makeRunId('churn', startedAt, null), scenario, file, startedAt }),
      modes: [...modes],
      scales,
      repetitions: 1,
      iptablesProfile: spec.profile,
      costModel: pricing,
      churn: {
        rates,
        nodes: spec.nodes,
        durationS: spec.duration / 1e9,
        minSyncPeriodS: loop.minSyncPeriodNs / 1e9,
        syncPeriodS: loop.syncPeriodNs / 1e9,
        fullSyncPeriodS: loop.fullSyncPeriodNs / 1e9,
        burstSyncs: loop.burst,
        partialSyncToo: plan.some((p) => p.variant !== undefined),
      },
      shard: null,
      workers: 1,
      wallSeconds: (performance.now() - t0) / 1000,
    },
    { points: sweep.points, rows: sweep.rows, samples: [], fits: churnFits(sweep.rows) },
    // Points of one mode and scale differ by rate only: order by it too, so output is stable.
    (a, b) => (a.rate ?? 0) - (b.rate ?? 0),
  );
  const dir = o.out ?? join('reports', results.meta.runId);
  const files = writeResults(dir, results);
  const [index] = await writeReport(dir, results);
  process.stdout.write(
    `${churnSweepTable(results)}\n${churnFindings(results)
      .map((l) => `- ${l}`)
      .join('\n')}\n\nresults: ${files.join(', ')}\nreport: open ${index} in a browser (self-contained, works offline)\n`,
  );
  if (results.points.some((p) => p.status === 'failed')) process.exitCode = 1;
}

function increasing(values: number[], value: string): number[] {
  if (values.some((v, i) => i > 0 && v <= values[i - 1])) throw new InvalidArgumentError(`must be strictly increasing, got "${value}"`);
  return values;
}

export function parseScaleList(value: string): number[] {
  return increasing(
    parseList(value, 'numbers of services', (s) => {
      try {
        return parsePositive(s);
      } catch {
        throw new InvalidArgumentError(`expected positive integers (numbers of services), got "${s}" in "${value}"`);
      }
    }),
    value,
  );
}

export function parseRateList(value: string): number[] {
  return increasing(
    parseList(value, 'churn rates', (s) => {
      const n = Number(s);
      if (!/^\d*\.?\d+(e[-+]?\d+)?$/i.test(s) || !(n > 0) || !Number.isFinite(n))
        throw new InvalidArgumentError(`expected positive numbers of events per second, got "${s}" in "${value}"`);
      return n;
    }),
    value,
  );
}
