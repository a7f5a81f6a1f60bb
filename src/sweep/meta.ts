// Run metadata: what ran, where, from which commit.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { type RunMeta, type RunResults, comparePoints, compareRows } from '../metrics/results.ts';

export function gitInfo(cwd = process.cwd()): RunMeta['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

export function machineInfo(): RunMeta['machine'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryBytes: os.totalmem(),
  };
}

export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A sortable, filesystem-safe run id: 20261123-184501-scale-sweep[-shard1of4]. */
export function makeRunId(scenario: string, date: Date, shard: { index: number; count: number } | null): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
  const safe = scenario.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${stamp}-${safe}${shard ? `-shard${shard.index}of${shard.count}` : ''}`;
}

/** The version of kpsim that wrote a run (package.json's). */
export const KPSIM_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What every run's metadata starts with: the scenario, where and when it ran, with which kpsim. */
export function baseMeta(o: {
  runId: string;
  scenario: { name: string; seed: number | string };
  file: string;
  startedAt: Date;
}): Pick<RunMeta, 'runId' | 'kpsimVersion' | 'scenario' | 'git' | 'machine' | 'startedAt'> {
  return {
    runId: o.runId,
    kpsimVersion: KPSIM_VERSION,
    scenario: { name: o.scenario.name, file: o.file, seed: o.scenario.seed, sha256: fileSha256(o.file) },
    git: gitInfo(),
    machine: machineInfo(),
    startedAt: o.startedAt.toISOString(),
  };
}

/** A run's results in their canonical order (never the order workers finished in). */
export function assembleResults(
  meta: RunMeta,
  parts: Pick<RunResults, 'points' | 'rows' | 'samples' | 'fits'>,
  samePoint: (a: RunResults['points'][number], b: RunResults['points'][number]) => number = () => 0,
): RunResults {
  return {
    schema: 'kpsim-results/1',
    meta,
    points: parts.points.sort((a, b) => comparePoints(a, b) || samePoint(a, b)),
    rows: parts.rows.sort(compareRows),
    samples: parts.samples.sort(comparePoints),
    fits: parts.fits,
  };
}
