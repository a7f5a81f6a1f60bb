// Runs a sweep: every (mode, scale, repetition) point in a piscina worker, progress on the
// terminal, failed points recorded with their error while the rest carry on.
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { checkConfig } from '../cluster/config.ts';
import { resolveCostModel, withCostModelFile } from '../metrics/cost-model-source.ts';
import { type PointOutput, type PointRecord, type ResultRow, type RunResults, type SampleSet } from '../metrics/results.ts';
import { scenarioConfig, scenarioScales } from '../scenario/generate.ts';
import { loadScenario } from '../scenario/load.ts';
import type { ProxyModeName } from '../proxy/types.ts';
import { InputError } from '../util/errors.ts';
import { parseSweep, parseWorkload } from '../workload/schema.ts';
import { writeResults } from '../output/results-files.ts';
import { computeFits } from './fits.ts';
import { assembleResults, baseMeta, fileSha256, makeRunId } from './meta.ts';
import { type PlannedPoint, type Shard, planPoints, scheduleOrder, shardPoints } from './plan.ts';
import { Progress } from './progress.ts';
import { type JournalHead, SweepJournal } from './journal.ts';
import { prepareOutDir } from '../output/out-dir.ts';
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
  /** Write into a non-empty output folder, replacing kpsim's files there. */
  force?: boolean;
  /** The folder of an interrupted run: run only its missing points (its journal gives every other option). */
  resumeDir?: string;
  /** --cost-model: a cost-model file (kpsim calibrate's output) in place of the scenario's. */
  costModelFile?: string;
}

export interface SweepRun {
  results: RunResults;
  dir: string;
  files: string[];
  /** SIGINT stopped the run: the finished points are saved, results.json says the run is incomplete. */
  interrupted: boolean;
}

export async function runSweep(given: SweepOptions): Promise<SweepRun> {
  const resumed = given.resumeDir !== undefined ? SweepJournal.open(given.resumeDir) : null;
  const opts = resumed ? resumeOptions(resumed.head, given) : given;
  const file = opts.scenarioFile;
  const scenario = withCostModelFile(loadScenario(file), opts.costModelFile);
  // Check everything a point will read before any worker starts, so bad input fails fast.
  checkConfig(scenarioConfig(scenario), file, 'cluster');
  parseWorkload(scenario.workload, file);
  const sweep = parseSweep(scenario.sweep, file);
  const pricing = resolveCostModel(scenario).info;
  const modes = opts.modes ?? sweep.modes;
  const scales = opts.scales ?? scenarioScales(scenario);
  if (scales.some((s) => s < 1)) throw new InputError('every scale of a sweep needs at least one service', file, 'services', scales);
  const repetitions = opts.repetitions ?? sweep.repetitions;
  const planned = shardPoints(planPoints(modes, scales, repetitions), opts.shard ?? null);
  if (planned.length === 0) throw new InputError('this shard has no points to run', file, '--shard', opts.shard);
  if (resumed && fileSha256(file) !== resumed.head.meta.scenario.sha256)
    throw new InputError('the scenario changed since the run started: its points would not belong together; start a new run', file);
  if (resumed && pricing.sha256 !== resumed.head.meta.costModel?.sha256)
    throw new InputError(
      'the cost-model file changed since the run started: its points would be priced differently; start a new run',
      pricing.file,
    );
  const finished = new Set(resumed?.done.map((d) => pointKey(d.point)));
  const todo = planned.filter((p) => !finished.has(pointKey(p)));
  const workers = Math.max(1, Math.min(opts.workers ?? Math.max(1, os.availableParallelism()), todo.length));

  const startedAt = resumed ? new Date(resumed.head.meta.startedAt) : new Date();
  const shard = opts.shard ?? null;
  const runId = resumed?.head.meta.runId ?? makeRunId(scenario.name, startedAt, shard);
  const dir = given.resumeDir ?? opts.outDir ?? join(opts.reportsDir ?? 'reports', runId);
  if (!resumed) prepareOutDir(dir, opts.force);
  const meta: JournalHead['meta'] = {
    ...baseMeta({ runId, scenario, file, startedAt }),
    modes,
    scales,
    repetitions,
    iptablesProfile: sweep.iptablesProfile,
    costModel: pricing,
    shard,
    ...(opts.simulatedOnly ? { simulatedOnly: true as const } : {}),
  };
  const journal =
    resumed?.journal ??
    SweepJournal.create(dir, {
      scenarioFile: file,
      meta,
      simulatedOnly: opts.simulatedOnly === true,
      noReport: opts.noReport === true,
      workerHeapMb: opts.workerHeapMb,
    });
  const t0 = performance.now();
  // A point's cost: a fixed part (worker, cluster, benchmarks) plus a part per service.
  const weight = (p: PlannedPoint) => p.scale + 1000;
  const label = (p: PlannedPoint) => `${p.mode} @ ${p.scale} services${repetitions > 1 ? ` #${p.repetition}` : ''}`;
  const order = scheduleOrder(todo);
  const progress = new Progress(todo.length, {
    mode: opts.quiet ? 'off' : opts.progress ? 'on' : 'auto',
    totalWeight: todo.reduce((s, p) => s + weight(p), 0),
  });
  // The plan before any work, so a long sweep is never silent at the start.
  progress.plan(
    `${todo.length} point${todo.length === 1 ? '' : 's'}${resumed ? ` left of ${planned.length}` : ''} on ${workers} worker${workers === 1 ? '' : 's'}, largest first: ${order
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
  const points: PointRecord[] = resumed?.done.map((d) => d.point) ?? [];
  const rows: ResultRow[] = resumed?.done.flatMap((d) => d.rows) ?? [];
  const samples: SampleSet[] = resumed?.done.flatMap((d) => d.samples) ?? [];
  const absFile = resolve(file);
  // Ctrl-C: stop the workers, keep what finished (it is already on disk), say the run is incomplete.
  let interrupted = false;
  let destroyed: Promise<void> | null = null;
  const stop = () => (destroyed ??= pool.destroy());
  const onInterrupt = () => {
    interrupted = true;
    void stop();
  };
  process.once('SIGINT', onInterrupt);
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
          costModelFile: opts.costModelFile !== undefined ? resolve(opts.costModelFile) : undefined,
        };
        const started = performance.now();
        progress.start(label(p));
        try {
          const out = (await pool.run(task)) as PointOutput;
          if (interrupted) return;
          const wallSeconds = out.wallSeconds ?? (performance.now() - started) / 1000;
          const point: PointRecord = {
            ...p,
            status: 'ok',
            wallSeconds,
            ...(out.limits && out.limits.length > 0 ? { limits: out.limits } : {}),
          };
          journal.append({ point, rows: out.rows, samples: out.samples });
          rows.push(...out.rows);
          samples.push(...out.samples);
          points.push(point);
          progress.tick(label(p), true, wallSeconds, weight(p));
        } catch (err) {
          // A point cut short by the interrupt is missing, not failed: --resume runs it.
          if (interrupted) return;
          const wallSeconds = (performance.now() - started) / 1000;
          const e = err as Error & { code?: string };
          const error =
            e.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `out of memory (worker heap limit ${opts.workerHeapMb ?? 4096} MiB): ${e.message}`
              : e.message;
          const point: PointRecord = { ...p, status: 'failed', error, wallSeconds };
          journal.append({ point, rows: [], samples: [] });
          points.push(point);
          progress.tick(label(p), false, wallSeconds, weight(p), error.split('\n')[0]);
        } finally {
          slots.release();
        }
      }),
    );
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
    await stop();
  }
  const missingPoints = planned.length - points.length;
  const results = assembleResults(
    {
      ...meta,
      workers,
      wallSeconds: (performance.now() - t0) / 1000,
      ...(interrupted
        ? { incomplete: { reason: `interrupted: ${missingPoints} of ${planned.length} points not run`, missingPoints } }
        : {}),
    },
    { points, rows, samples, fits: computeFits(rows) },
  );
  const files = writeResults(dir, results);
  if (interrupted) return { results, dir, files, interrupted };
  journal.remove();
  if (!opts.noReport) {
    // Loaded here, not at the top: the report's modules would delay the plan at start-up.
    const { writeReport } = await import('../report/index.ts');
    files.push(...(await writeReport(dir, results)).slice(0, 1));
  }
  return { results, dir, files, interrupted };
}

const pointKey = (p: { mode: string; scale: number; repetition: number }) => `${p.mode}/${p.scale}/${p.repetition}`;

/** A resumed run repeats the interrupted one: its scenario, points and measurement, from the journal. */
function resumeOptions(head: JournalHead, given: SweepOptions): SweepOptions {
  const m = head.meta;
  return {
    scenarioFile: head.scenarioFile,
    modes: m.modes,
    scales: m.scales,
    repetitions: m.repetitions,
    shard: m.shard,
    simulatedOnly: head.simulatedOnly,
    noReport: head.noReport,
    workerHeapMb: head.workerHeapMb,
    // The same prices: the file that priced the first part (a scenario's own costModelFile resolves to it too).
    costModelFile: m.costModel?.source === 'file' ? m.costModel.file : undefined,
    workers: given.workers,
    quiet: given.quiet,
    progress: given.progress,
  };
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
