// Which points a sweep runs, and how `--shard i/N` slices them.
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

/** Parses "i/N" (1-based i). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new InputError('--shard must be i/N with 1 <= i <= N, e.g. 1/4', undefined, '--shard', text);
  return { index, count };
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
