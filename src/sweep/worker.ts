// Piscina task: run one sweep point. Errors propagate to the pool, which reports the point as
// failed and carries on with the rest.
import { runPoint, type PointTask } from './point.ts';
import type { PointOutput } from '../metrics/results.ts';

export default async function runSweepPoint(task: PointTask): Promise<PointOutput> {
  // A test hook: make one chosen point fail, to prove a crashed point does not stop the sweep.
  const failAt = process.env.KPSIM_FAIL_POINT;
  if (failAt && failAt === `${task.mode}/${task.scale}`) throw new Error(`injected failure at ${failAt} (KPSIM_FAIL_POINT)`);
  if (failAt === `${task.mode}/${task.scale}/oom`) {
    const hog: number[][] = [];
    for (;;) hog.push(new Array(1e6).fill(1));
  }
  // A test hook: slow every point down, so a test can interrupt a sweep between points.
  const delayMs = Number(process.env.KPSIM_POINT_DELAY_MS ?? 0);
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  const started = performance.now();
  const out = await runPoint(task);
  return { ...out, wallSeconds: (performance.now() - started) / 1000 };
}
