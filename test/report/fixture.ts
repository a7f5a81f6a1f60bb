// A synthetic RunResults: plausible rows for 3 modes x 4 scales with the metrics a sweep point
// writes (src/sweep/point.ts), and power-law fits over them. No sweep runs.
import type { Clock, FitRecord, PointRecord, ResultRow, RunResults, SampleSet } from '../../src/metrics/results.ts';

export interface FixtureOptions {
  scenarioName?: string;
  modes?: string[];
  scales?: number[];
  /** Leave out every row of these metrics (e.g. 'first_packet.latency'). */
  omitMetrics?: string[];
  /** Leave out every wall-clock row (a --simulated-only run). */
  simulatedOnly?: boolean;
  failed?: { mode: string; scale: number; error: string }[];
}

export const FIXTURE_MODES = ['userspace', 'iptables', 'ipvs'];
export const FIXTURE_SCALES = [1000, 5000, 10000, 30000];

/** Simulated ns of one first-packet lookup: ~20 ns per rule walked, IPVS a few hash probes. */
function rulesMean(mode: string, n: number): number {
  return mode === 'ipvs' ? 4 : mode === 'userspace' ? 0.65 * n + 4 : 0.5 * n + 6;
}

export function syntheticResults(opts: FixtureOptions = {}): RunResults {
  const modes = opts.modes ?? FIXTURE_MODES;
  const scales = opts.scales ?? FIXTURE_SCALES;
  const omit = new Set(opts.omitMetrics ?? []);
  const rows: ResultRow[] = [];
  const samples: SampleSet[] = [];
  for (const mode of modes) {
    for (const n of scales) {
      const add = (metric: string, clock: Clock, unit: string, statistic: string, value: number) => {
        if (omit.has(metric) || (opts.simulatedOnly && clock === 'wall')) return;
        rows.push({ mode, scale: n, repetition: 0, metric, clock, unit, statistic, value });
      };
      const rules = rulesMean(mode, n);
      add('lookup.rules_evaluated', 'simulated', 'rules', 'mean', rules);
      add('lookup.rules_evaluated', 'simulated', 'rules', 'p50', rules);
      add('lookup.rules_evaluated', 'simulated', 'rules', 'p90', mode === 'ipvs' ? 4 : 0.9 * n);
      add('lookup.rules_evaluated', 'simulated', 'rules', 'p99', mode === 'ipvs' ? 4 : 0.99 * n);
      add('lookup.rules_evaluated', 'simulated', 'rules', 'max', mode === 'ipvs' ? 4 : n + 6);
      const lookupNs = rules * 20 + (mode === 'ipvs' ? 2 * 30 + 50 : 0);
      add('lookup.latency', 'simulated', 'ns', 'mean', lookupNs);
      add('lookup.latency', 'simulated', 'ns', 'p50', lookupNs);
      add('lookup.latency', 'simulated', 'ns', 'p99', mode === 'ipvs' ? lookupNs : lookupNs * 1.95);
      const wallP50 = mode === 'ipvs' ? 120 + Math.log10(n) * 3 : 3 * rules + 40;
      add('lookup.latency', 'wall', 'ns', 'p50', wallP50);
      add('lookup.latency', 'wall', 'ns', 'p99', wallP50 * 2.5);
      add('lookup.latency', 'wall', 'ns', 'iqr', wallP50 * 0.3);
      add('lookup.latency', 'wall', 'ns', 'min', wallP50 * 0.8);
      add('lookup.latency', 'wall', 'ns', 'n', 200);
      // Raw samples around the p50 (p25 ~ 0.9x, p75 ~ 1.2x), as tinybench tasks report them.
      if (!opts.simulatedOnly && !omit.has('lookup.latency')) {
        samples.push({
          mode,
          scale: n,
          repetition: 0,
          metric: 'lookup.latency',
          unit: 'ns',
          values: Array.from({ length: 41 }, (_, i) => wallP50 * (i < 20 ? 0.8 + (0.2 * i) / 20 : 1 + (0.4 * (i - 20)) / 20)),
        });
      }
      const base = 8000;
      add('first_packet.latency', 'simulated', 'us', 'p01', (base + lookupNs * 0.02) / 1000);
      add('first_packet.latency', 'simulated', 'us', 'p50', (base + lookupNs) / 1000);
      add('first_packet.latency', 'simulated', 'us', 'p90', (base + lookupNs * 1.8) / 1000);
      add('first_packet.latency', 'simulated', 'us', 'p99', (base + lookupNs * 1.98) / 1000);
      const full = mode === 'iptables' ? 1.6e-5 * n : mode === 'ipvs' ? 1.6e-5 * n + 2e-6 * n : 4e-5 * n;
      add('sync.full', 'simulated', 's', 'value', full);
      add('sync.full', 'wall', 'ms', 'value', (mode === 'userspace' ? 0.012 : mode === 'ipvs' ? 0.008 : 0.01) * n);
      add('sync.add_service', 'simulated', 's', 'value', mode === 'iptables' ? 1.2e-5 * n : mode === 'ipvs' ? 3e-5 : 2e-4 + 1e-8 * n);
      add('sync.add_service', 'wall', 'ms', 'value', mode === 'ipvs' ? 0.05 : 0.006 * n);
      add('sync.remove_endpoint', 'simulated', 's', 'value', mode === 'iptables' ? 1e-5 * n : mode === 'ipvs' ? 1e-5 : 1e-4);
      add('sync.remove_endpoint', 'wall', 'ms', 'value', mode === 'ipvs' ? 0.03 : 0.004 * n);
      const perPacketNs = 500 + lookupNs / 10 + (mode === 'userspace' ? 5000 : 0);
      add('throughput.node_core', 'simulated', 'packets/s', 'value', 1e9 / perPacketNs);
      add('throughput.engine', 'wall', 'packets/s', 'value', 2e6 / (1 + rules / 1000));
      add('cpu.per_connection', 'simulated', 'ns', 'value', lookupNs + 3000 + 10 * 500 + (mode === 'userspace' ? 50000 : 0));
      add('memory.iptables_rules', 'simulated', 'count', 'value', mode === 'ipvs' ? 40 : 8 * n);
      add('memory.ipvs_virtual_servers', 'simulated', 'count', 'value', mode === 'ipvs' ? n : 0);
      add('memory.heap_bytes', 'wall', 'bytes', 'value', 3000 * n);
      // Modes whose size is rules (descriptor ruleCount): iptables here, as in a real run.
      if (mode === 'iptables') {
        add('memory.bytes_per_rule', 'wall', 'bytes/rule', 'steady', 200 + n / 1000);
        add('memory.bytes_per_rule', 'wall', 'bytes/rule', 'peak_sync', 500 + n / 500);
      }
      add('calibration.loop', 'wall', 'ns', 'p50', 1.1);
    }
  }
  const failed = opts.failed ?? [];
  const points: PointRecord[] = modes.flatMap((mode) =>
    scales.map((scale) => ({ mode, scale, repetition: 0, status: 'ok' as const, wallSeconds: 0.5 + scale / 10000 })),
  );
  for (const f of failed) points.push({ mode: f.mode, scale: f.scale, repetition: 0, status: 'failed', error: f.error, wallSeconds: 0.1 });
  return {
    schema: 'kpsim-results/1',
    meta: {
      runId: '20261123-120000-synthetic',
      kpsimVersion: '0.1.0',
      scenario: { name: opts.scenarioName ?? 'synthetic', file: '/nonexistent/synthetic.yaml', seed: 2017, sha256: 'f'.repeat(64) },
      modes,
      scales,
      repetitions: 1,
      shard: null,
      workers: 4,
      git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
      machine: {
        node: 'v20.20.2',
        platform: 'linux',
        arch: 'x64',
        cpuModel: 'Synthetic CPU @ 3.0GHz',
        cores: 8,
        memoryBytes: 16 * 2 ** 30,
      },
      startedAt: '2026-11-23T12:00:00.000Z',
      wallSeconds: 754.2,
    },
    points,
    rows,
    samples,
    fits: fitsOf(rows),
  };
}

const FITTED: [string, Clock, string][] = [
  ['lookup.rules_evaluated', 'simulated', 'mean'],
  ['lookup.latency', 'simulated', 'mean'],
  ['lookup.latency', 'wall', 'p50'],
  ['sync.full', 'simulated', 'value'],
  ['sync.full', 'wall', 'value'],
  ['sync.add_service', 'simulated', 'value'],
  ['sync.add_service', 'wall', 'value'],
  ['throughput.node_core', 'simulated', 'value'],
];

/** Least-squares slope on log-log axes, with a made-up but plausible CI. */
function fitsOf(rows: ResultRow[]): FitRecord[] {
  const fits: FitRecord[] = [];
  for (const mode of [...new Set(rows.map((r) => r.mode))]) {
    for (const [metric, clock, statistic] of FITTED) {
      const pts = rows.filter(
        (r) => r.mode === mode && r.metric === metric && r.clock === clock && r.statistic === statistic && r.value > 0,
      );
      if (pts.length < 2) continue;
      const xs = pts.map((p) => Math.log(p.scale));
      const ys = pts.map((p) => Math.log(p.value));
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      xs.forEach((x, i) => {
        sxy += (x - mx) * (ys[i] - my);
        sxx += (x - mx) ** 2;
        syy += (ys[i] - my) ** 2;
      });
      const k = sxy / sxx;
      const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
      const verdict = Math.abs(k) < 0.2 ? 'O(1)' : k >= 0.8 && k < 1.2 ? 'O(n)' : `O(n^${k.toFixed(2)})`;
      fits.push({
        mode,
        metric,
        clock,
        statistic,
        unit: pts[0].unit,
        exponent: k,
        ciLow: k - 0.03,
        ciHigh: k + 0.03,
        intercept: my - k * mx,
        r2,
        n: pts.length,
        verdict,
      });
    }
  }
  return fits;
}
