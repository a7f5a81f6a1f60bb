// Which points a sweep runs, and how `--shard i/N` (or auto/N, in a Kubernetes Indexed Job) slices them.
import { InputError } from '../util/errors.ts';
import type { ProxyModeName } from '../proxy/types.ts';
import { comparePoints } from '../metrics/results.ts';

export interface PlannedPoint {
  mode: ProxyModeName;
  scale: number;
  repetition: number;
}

export interface Shard {
  index: number;
  count: number;
}

export function planPoints(modes: ProxyModeName[], scales: number[], repetitions: number): PlannedPoint[] {
  const points: PlannedPoint[] = [];
  for (const mode of modes)
    for (const scale of scales) for (let repetition = 1; repetition <= repetitions; repetition++) points.push({ mode, scale, repetition });
  return points.sort(comparePoints);
}

/** What a Kubernetes Indexed Job sets in each of its pods: the pod's completion index, 0 to completions - 1. */
export const JOB_INDEX_VAR = 'JOB_COMPLETION_INDEX';

/**
 * Parses "i/N", i 1-based (1 <= i <= N), or "auto/N", which takes i from the environment of a pod of
 * a Kubernetes Indexed Job: i = JOB_COMPLETION_INDEX + 1, so completion indexes 0 to N-1 run shards
 * 1/N to N/N (docs/distributed.md).
 */
export function parseShard(text: string, env: Readonly<Record<string, string | undefined>> = process.env): Shard {
  const m = /^(\d+|auto)\/(\d+)$/.exec(text);
  const count = m ? Number(m[2]) : NaN;
  const index = m && m[1] !== 'auto' ? Number(m[1]) : NaN;
  if (!m || count < 1 || (m[1] !== 'auto' && (index < 1 || index > count)))
    throw new InputError(
      '--shard must be i/N with 1 <= i <= N, e.g. 1/4, or auto/N in a pod of a Kubernetes Indexed Job',
      undefined,
      '--shard',
      text,
    );
  if (m[1] !== 'auto') return { index, count };
  const raw = env[JOB_INDEX_VAR];
  const needs = `auto/${count} needs the 0-based completion index of a Kubernetes Indexed Job, 0 to ${count - 1}`;
  if (raw === undefined)
    throw new InputError(
      `${JOB_INDEX_VAR} is not set`,
      undefined,
      '--shard',
      text,
      `auto/N is for a pod of a Kubernetes Indexed Job (completionMode: Indexed), which sets it; elsewhere give i/N, e.g. 1/${count}`,
    );
  const shown = JSON.stringify(raw.length > 40 ? `${raw.slice(0, 37)}...` : raw);
  if (/^-\d+$/.test(raw)) throw new InputError(`${JOB_INDEX_VAR} is ${shown}, a negative index`, undefined, '--shard', text, needs);
  if (!/^\d+$/.test(raw)) throw new InputError(`${JOB_INDEX_VAR} is ${shown}, not an integer`, undefined, '--shard', text, needs);
  const jobIndex = Number(raw);
  if (jobIndex >= count)
    throw new InputError(
      `${JOB_INDEX_VAR} is ${shown}, not below N = ${count}`,
      undefined,
      '--shard',
      text,
      `the Job's completions must be ${count}: indexes 0 to ${count - 1} run shards 1/${count} to ${count}/${count}`,
    );
  return { index: jobIndex + 1, count };
}

/** Round-robin over the ordered points, so each shard gets a mix of small and large scales. */
export function shardPoints(points: PlannedPoint[], shard: Shard | null): PlannedPoint[] {
  if (!shard) return points;
  return points.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Largest points first: the pool's makespan is shortest when long tasks start early. */
export function scheduleOrder(points: PlannedPoint[]): PlannedPoint[] {
  return points.slice().sort((a, b) => b.scale - a.scale || comparePoints(a, b));
}
