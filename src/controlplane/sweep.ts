// A churn sweep point by point: services x churn rate x modes (plus KEP-3453 partial-restore
// iptables points), each point's rows with the rate in the metric name. Points run one after
// another on the main thread: those of one scale share the generated cluster (index.ts caches
// it), which costs more to build than most points take to simulate.
import { churnMetricName } from '../metrics/churn-rows.ts';
import type { PointRecord, ResultRow } from '../metrics/results.ts';
import type { ProxyModeName } from '../proxy/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import { InputError } from '../util/errors.ts';
import { getMode } from '../proxy/modes.ts';
import { type ChurnOptions, PARTIAL, runChurnPoint } from './index.ts';

export interface ChurnSweepPoint {
  mode: ProxyModeName;
  /** The 'partial' variant (partial syncs), or undefined for the mode as it is. */
  variant?: string;
  scale: number;
  rate: number;
}

/**
 * Points in the order they run: by scale (one cluster per scale), then rate, then mode; an
 * a point of the mode's partial variant follows each point of a mode that has one when `partialSyncToo` is set.
 */
export function planChurnSweep(
  modes: readonly ProxyModeName[],
  scales: readonly number[],
  rates: readonly number[],
  partialSyncToo: boolean,
): ChurnSweepPoint[] {
  const points: ChurnSweepPoint[] = [];
  for (const scale of scales)
    for (const rate of rates)
      for (const mode of modes) {
        points.push({ mode, scale, rate });
        if (partialSyncToo && getMode(mode).variants.some((v) => v.name === PARTIAL)) points.push({ mode, variant: PARTIAL, scale, rate });
      }
  return points;
}

export interface ChurnSweepResult {
  rows: ResultRow[];
  /** One record per point; `rate` tells points of one mode and scale apart. */
  points: PointRecord[];
}

export type ChurnSweepOptions = Omit<ChurnOptions, 'mode' | 'services' | 'rate' | 'partialSync'>;

/**
 * Runs every planned point. A point that throws is recorded as failed and the rest carry on,
 * except for bad input (an InputError), which every point would hit: that is rethrown.
 */
export function runChurnSweep(
  scenario: Scenario,
  plan: readonly ChurnSweepPoint[],
  o: ChurnSweepOptions = {},
  onPoint?: (p: ChurnSweepPoint, record: PointRecord, index: number) => void,
): ChurnSweepResult {
  const rows: ResultRow[] = [];
  const points: PointRecord[] = [];
  plan.forEach((p, i) => {
    const started = performance.now();
    let record: PointRecord;
    try {
      rows.push(
        ...runChurnPoint(scenario, {
          ...o,
          mode: p.mode,
          partialSync: p.variant === PARTIAL,
          scale: p.scale,
          rate: p.rate,
          metricSuffix: churnMetricName('', p.rate),
        }),
      );
      record = {
        mode: p.mode,
        ...(p.variant ? { variant: p.variant } : {}),
        scale: p.scale,
        repetition: o.repetition ?? 0,
        rate: p.rate,
        status: 'ok',
        wallSeconds: (performance.now() - started) / 1000,
      };
    } catch (err) {
      if (err instanceof InputError) throw err;
      record = {
        mode: p.mode,
        ...(p.variant ? { variant: p.variant } : {}),
        scale: p.scale,
        repetition: o.repetition ?? 0,
        rate: p.rate,
        status: 'failed',
        error: (err as Error).message,
        wallSeconds: (performance.now() - started) / 1000,
      };
    }
    points.push(record);
    onPoint?.(p, record, i);
  });
  return { rows, points };
}
