// A synthetic churn sweep's RunResults: the rows `kpsim churn --sweep` writes (summaryRows with
// the rate in the metric name) for 4 modes x 4 scales x 3 rates, with simple closed-form values:
// iptables sync linear in services, ipvs flat, userspace falling behind at the largest scale.
import type { IptablesProfile } from '../../src/netfilter/costs.ts';
import { churnFits, churnMetricName } from '../../src/metrics/churn-rows.ts';
import type { ChurnRunMeta, PointRecord, ResultRow, RunResults } from '../../src/metrics/results.ts';

export const CHURN_MODES = ['userspace', 'iptables', 'iptables+partial', 'ipvs'];
export const CHURN_SCALES = [1000, 5000, 10000, 50000];
export const CHURN_RATES = [1, 10, 50];

export interface ChurnFixtureOptions {
  rates?: number[];
  profile?: IptablesProfile;
  minSyncPeriodS?: number;
  /** Leave meta.churn out (a results.json from before churn sweeps recorded it). */
  noChurnMeta?: boolean;
}

/** Seconds of one full sync: ~0.35 ms per iptables service, flat IPVS, slow userspace. */
export function syncSeconds(mode: string, n: number, rate: number): number {
  if (mode === 'ipvs') return 7e-4 + 6e-4 * rate;
  if (mode === 'userspace') return 1.1e-2 * n;
  return 3.5e-4 * n;
}

export function churnRows(opts: ChurnFixtureOptions = {}): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const mode of CHURN_MODES)
    for (const scale of CHURN_SCALES)
      for (const rate of opts.rates ?? CHURN_RATES) {
        const add = (metric: string, unit: string, statistic: string, value: number) =>
          rows.push({ mode, scale, repetition: 0, metric: churnMetricName(metric, rate), clock: 'simulated', unit, statistic, value });
        const sync = syncSeconds(mode, scale, rate);
        const partialSync = mode === 'iptables+partial' ? sync / 15 : NaN;
        const behind = mode === 'userspace' && scale === 50000;
        const p50 = mode === 'iptables+partial' ? 0.5 + partialSync : 1.5 * sync + 0.4;
        const p99 = mode === 'iptables+partial' ? 1 + sync : 2 * sync + 1 + (behind ? rate * 100 : 0);
        for (const [st, v] of [
          ['p50', p50],
          ['p90', (p50 + p99) / 2],
          ['p99', p99],
          ['max', p99 * 1.1],
          ['mean', p50 * 1.05],
        ] as const)
          add('programming.latency', 's', st, v);
        add('sync.duration.full', 's', 'p50', sync);
        add('sync.duration.full', 's', 'p99', sync * 1.02);
        if (mode === 'iptables+partial') add('sync.duration.partial', 's', 'p50', partialSync);
        const changesPerS = 1.9 * rate;
        const queueMax = behind ? changesPerS * 300 : changesPerS * (sync + 1) * 1.5;
        add('queue.length', 'changes', 'final', behind ? queueMax : queueMax / 2);
        add('queue.length', 'changes', 'max', queueMax);
        add(
          'proxy.cpu_share',
          'fraction',
          'mean',
          Math.min(1, (sync * changesPerS) / (1 + sync * changesPerS) + (mode === 'userspace' ? 0.5 : 0)),
        );
        add('churn.change_rate', 'changes/s', 'value', changesPerS);
        add('ruleset.rules', 'rules', 'start', mode === 'ipvs' ? 17 : 14 * scale);
        add('churn.keeps_up', 'bool', 'value', behind ? 0 : 1);
      }
  return rows;
}

export function churnResults(opts: ChurnFixtureOptions = {}): RunResults {
  const rates = opts.rates ?? CHURN_RATES;
  const rows = churnRows(opts);
  const churn: ChurnRunMeta = {
    rates,
    nodes: 10,
    durationS: 300,
    minSyncPeriodS: opts.minSyncPeriodS ?? 1,
    syncPeriodS: 30,
    fullSyncPeriodS: 30,
    burstSyncs: 2,
    partialSyncToo: true,
  };
  const points: PointRecord[] = CHURN_MODES.flatMap((mode) =>
    CHURN_SCALES.flatMap((scale) => rates.map((rate) => ({ mode, scale, repetition: 0, rate, status: 'ok' as const, wallSeconds: 0.1 }))),
  );
  return {
    schema: 'kpsim-results/1',
    meta: {
      runId: '20261124-120000-churn',
      kpsimVersion: '0.1.0',
      scenario: { name: 'churn', file: 'scenarios/churn.yaml', seed: 7, sha256: '0'.repeat(64) },
      modes: CHURN_MODES,
      scales: CHURN_SCALES,
      repetitions: 1,
      iptablesProfile: opts.profile ?? 'modern',
      ...(opts.noChurnMeta ? {} : { churn }),
      shard: null,
      workers: 1,
      git: { commit: null, dirty: null },
      machine: { node: 'v20', platform: 'linux', arch: 'x64', cpuModel: 'test', cores: 2, memoryBytes: 2 ** 32 },
      startedAt: '2026-11-24T12:00:00.000Z',
      wallSeconds: 10,
    },
    points,
    rows,
    samples: [],
    fits: churnFits(rows),
  };
}
