// Runs a sweep: every (mode, scale, repetition) point in a piscina worker, progress on the
// terminal, failed points recorded with their error while the rest carry on.
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { checkConfig } from '../cluster/config.ts';
import { costModelWith } from '../metrics/cost-model.ts';
import {
  type PointOutput,
  type PointRecord,
  type ResultRow,
  type RunResults,
  type SampleSet,
  comparePoints,
  compareRows,
} from '../metrics/results.ts';
import { scenarioConfig, scenarioScales } from '../scenario/generate.ts';
import { loadScenario } from '../scenario/load.ts';
import type { ProxyModeName } from '../proxy/types.ts';
import { InputError } from '../util/errors.ts';
import { parseSweep, parseWorkload } from '../workload/schema.ts';
import { writeResults } from '../output/results-files.ts';
import { computeFits } from './fits.ts';
import { fileSha256, gitInfo, machineInfo, makeRunId } from './meta.ts';
import { type PlannedPoint, type Shard, planPoints, scheduleOrder, shardPoints } from './plan.ts';
import { Progress } from './progress.ts';
import type { PointTask } from './point.ts';

export interface SweepOptions {
  scenarioFile: string;
  /** Parent folder of the run folder (default reports/). */
  reportsDir?: string;
  /** Exact output folder (overrides reportsDir/runId). */
  outDir?: string;
  workers?: number;
  shard?: Shard | null;
  modes?: ProxyModeName[];
  scales?: number[];
  repetitions?: number;
  /** No progress at all, not even failures (the summary still lists them). */
  quiet?: boolean;
  /** Progress lines on stderr even when it is not a terminal (CI logs). */
  progress?: boolean;
  /** Skip tinybench wall-clock measurements (fast tests of the simulated numbers). */
  simulatedOnly?: boolean;
  /** Skip the HTML report (results.csv/json only). */
  noReport?: boolean;
  /** Heap limit per worker, MiB: a point that needs more fails alone. */
  workerHeapMb?: number;
}

export interface SweepRun {
  results: RunResults;
  dir: string;
  files: string[];
}

export async function runSweep(opts: SweepOptions): Promise<SweepRun> {
  const file = opts.scenarioFile;
  const scenario = loadScenario(file);
  // Check everything a point will read before any worker starts, so bad input fails fast.
  checkConfig(scenarioConfig(scenario), file, 'cluster');
  parseWorkload(scenario.workload, file);
  const sweep = parseSweep(scenario.sweep, file);
  costModelWith(scenario.costModel, file);
  const modes = opts.modes ?? sweep.modes;
  const scales = opts.scales ?? scenarioScales(scenario);
  const repetitions = opts.repetitions ?? sweep.repetitions;
  const planned = shardPoints(planPoints(modes, scales, repetitions), opts.shard ?? null);
  if (planned.length === 0) throw new InputError('this shard has no points to run', file, '--shard', opts.shard);
  const workers = Math.max(1, Math.min(opts.workers ?? Math.max(1, os.availableParallelism()), planned.length));

  const startedAt = new Date();
  const t0 = performance.now();
  // A point's cost: a fixed part (worker, cluster, benchmarks) plus a part per service.
  const weight = (p: PlannedPoint) => p.scale + 1000;
  const label = (p: PlannedPoint) => `${p.mode} @ ${p.scale} services${repetitions > 1 ? ` #${p.repetition}` : ''}`;
  const order = scheduleOrder(planned);
  const progress = new Progress(planned.length, {
    mode: opts.quiet ? 'off' : opts.progress ? 'on' : 'auto',
    totalWeight: planned.reduce((s, p) => s + weight(p), 0),
  });
  // The plan before any work, so a long sweep is never silent at the start.
  progress.plan(
    `${planned.length} point${planned.length === 1 ? '' : 's'} on ${workers} worker${workers === 1 ? '' : 's'}, largest first: ${order
      .slice(0, 3)
      .map(label)
      .join(', ')}${order.length > 3 ? ', ...' : ''}`,
  );
  const pool = new Piscina({
    filename: new URL('./worker-entry.mjs', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: opts.workerHeapMb ?? 4096 },
  });
  const points: PointRecord[] = [];
  const rows: ResultRow[] = [];
  const samples: SampleSet[] = [];
  const absFile = resolve(file);
  try {
    // At most one point per worker is handed to the pool, so "running" means running.
    const slots = new Slots(workers);
    await Promise.all(
      order.map(async (p: PlannedPoint) => {
        await slots.acquire();
        const task: PointTask = {
          scenarioFile: absFile,
          mode: p.mode,
          scale: p.scale,
          repetition: p.repetition,
          simulatedOnly: opts.simulatedOnly,
        };
        const started = performance.now();
        progress.start(label(p));
        try {
          const out = (await pool.run(task)) as PointOutput;
          const wallSeconds = out.wallSeconds ?? (performance.now() - started) / 1000;
          rows.push(...out.rows);
          samples.push(...out.samples);
          points.push({ ...p, status: 'ok', wallSeconds });
          progress.tick(label(p), true, wallSeconds, weight(p));
        } catch (err) {
          const wallSeconds = (performance.now() - started) / 1000;
          const e = err as Error & { code?: string };
          const error =
            e.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `out of memory (worker heap limit ${opts.workerHeapMb ?? 4096} MiB): ${e.message}`
              : e.message;
          points.push({ ...p, status: 'failed', error, wallSeconds });
          progress.tick(label(p), false, wallSeconds, weight(p), error.split('\n')[0]);
        } finally {
          slots.release();
        }
      }),
    );
  } finally {
    progress.stop();
    await pool.destroy();
  }
  rows.sort(compareRows);
  points.sort(comparePoints);
  samples.sort(comparePoints);
  const shard = opts.shard ?? null;
  const runId = makeRunId(scenario.name, startedAt, shard);
  const results: RunResults = {
    schema: 'kpsim-results/1',
    meta: {
      runId,
      kpsimVersion: '0.1.0',
      scenario: { name: scenario.name, file, seed: scenario.seed, sha256: fileSha256(file) },
      modes,
      scales,
      repetitions,
      iptablesProfile: sweep.iptablesProfile,
      shard,
      workers,
      git: gitInfo(),
      machine: machineInfo(),
      startedAt: startedAt.toISOString(),
      wallSeconds: (performance.now() - t0) / 1000,
    },
    points,
    rows,
    samples,
    fits: computeFits(rows),
  };
  const dir = opts.outDir ?? join(opts.reportsDir ?? 'reports', runId);
  const files = writeResults(dir, results);
  if (!opts.noReport) {
    // Loaded here, not at the top: the report's modules would delay the plan at start-up.
    const { writeReport } = await import('../report/index.ts');
    files.push(...(await writeReport(dir, results)).slice(0, 1));
  }
  return { results, dir, files };
}

/** A counting semaphore, first come first served (the schedule's largest-first order is kept). */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
