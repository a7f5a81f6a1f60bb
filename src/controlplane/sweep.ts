// A churn sweep point by point: services x churn rate x modes (plus KEP-3453 partial-restore
// iptables points), each point's rows with the rate in the metric name. Points run one after
// another on the main thread: those of one scale share the generated cluster (index.ts caches
// it), which costs more to build than most points take to simulate.
import { churnMetricName } from '../metrics/churn-rows.ts';
import type { PointRecord, ResultRow } from '../metrics/results.ts';
import type { ProxyModeName } from '../proxy/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import { InputError } from '../util/errors.ts';
import { type ChurnOptions, runChurnPoint } from './index.ts';

export interface ChurnSweepPoint {
  mode: ProxyModeName;
  partialSync: boolean;
  /** The results' mode column: the mode, or "iptables+partial". */
  label: string;
  scale: number;
  rate: number;
}

/**
 * Points in the order they run: by scale (one cluster per scale), then rate, then mode; an
 * iptables+partial point follows each iptables point when `partialSyncToo` is set.
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
        points.push({ mode, partialSync: false, label: mode, scale, rate });
        if (partialSyncToo && mode === 'iptables') points.push({ mode, partialSync: true, label: 'iptables+partial', scale, rate });
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
          partialSync: p.partialSync,
          scale: p.scale,
          rate: p.rate,
          metricSuffix: churnMetricName('', p.rate),
        }),
      );
      record = {
        mode: p.label,
        scale: p.scale,
        repetition: o.repetition ?? 0,
        rate: p.rate,
        status: 'ok',
        wallSeconds: (performance.now() - started) / 1000,
      };
    } catch (err) {
      if (err instanceof InputError) throw err;
      record = {
        mode: p.label,
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
