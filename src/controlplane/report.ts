// What a churn run reports: a JSON summary, tidy ResultRows (results.csv columns, simulated
// clock) and the plain-text summary `kpsim churn` prints.
import type { ResultRow } from '../metrics/results.ts';
import { getMode } from '../proxy/modes.ts';
import { quantile } from '../metrics/stats.ts';
import type { QuantileSketch } from './sketch.ts';
import type { SimulationOutput } from './simulate.ts';
import type { ChurnKind } from './spec.ts';

const S = 1e9;

export interface Quantiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ChurnSummary {
  scenario: string;
  mode: string;
  partialSync: boolean;
  profile: string;
  services: number;
  nodes: number;
  durationS: number;
  seed: number | string;
  loop: { minSyncPeriodS: number; syncPeriodS: number; fullSyncPeriodS: number; burstSyncs: number };
  churn: { events: Record<ChurnKind, number>; skipped: number; changes: number; changesPerS: number; meanIntervalS: number };
  /** The reference node's data plane at the start and the end: the mode's stats and what a full sync writes, by name. */
  ruleset: { start: Record<string, number>; end: Record<string, number> };
  /** Seconds from an API change to the end of the first sync on a node that includes it, over changes x nodes. */
  latency: Quantiles & { exact: boolean };
  /** Per change, the slowest node. */
  latencyAllNodes: Quantiles;
  windows: ({ startS: number; endS: number } & Quantiles)[];
  thirds: { first: Quantiles; last: Quantiles };
  /** Spread over nodes of each node's mean latency. */
  nodeMeanLatency: { min: number; p50: number; max: number };
  sync: {
    full: Quantiles;
    partial: Quantiles;
    lastThird: Quantiles;
    histogram: { upToS: number | null; full: number; partial: number }[];
  };
  queue: {
    start: number;
    end: number;
    max: number;
    maxAnyNode: number;
    firstThirdMean: number;
    lastThirdMean: number;
    series: { tS: number[]; mean: number[]; max: number[] };
  };
  cpuShare: { mean: number; min: number; max: number };
  unprogrammed: number;
  simulatedEndS: number;
  verdict: { keepsUp: boolean; text: string };
}

export function quantilesOf(sk: QuantileSketch, scale = S): Quantiles {
  const [p50, p90, p99] = sk.quantiles([0.5, 0.9, 0.99]);
  return {
    count: sk.count,
    mean: sk.mean / scale,
    p50: p50 / scale,
    p90: p90 / scale,
    p99: p99 / scale,
    max: sk.count ? sk.max / scale : NaN,
  };
}

function quantilesOfArray(values: ArrayLike<number>): Quantiles {
  const finite = Array.from(values)
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  const q = (p: number) => quantile(finite, p);
  const mean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
  return {
    count: finite.length,
    mean: mean / S,
    p50: q(0.5) / S,
    p90: q(0.9) / S,
    p99: q(0.99) / S,
    max: (finite.length ? finite[finite.length - 1] : NaN) / S,
  };
}

const SYNC_EDGES_S = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
];

export interface SummaryContext {
  scenario: string;
  mode: string;
  partialSync: boolean;
  profile: string;
  services: number;
  seed: number | string;
  durationNs: number;
  windowNs: number;
  loop: { minSyncPeriodNs: number; syncPeriodNs: number; fullSyncPeriodNs: number; burst: number };
  events: Record<ChurnKind, number>;
  skipped: number;
}

export function buildSummary(ctx: SummaryContext, sim: SimulationOutput): ChurnSummary {
  const dur = ctx.durationNs;
  const durS = dur / S;
  const qT = sim.queue.t;
  const third = (pred: (t: number) => boolean) => {
    const xs = sim.queue.mean.filter((_, i) => pred(qT[i]));
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  };
  const shares = Array.from(sim.busyNs, (b) => (dur > 0 ? b / dur : 0));
  const nodeMeans = Array.from(sim.nodeMeanLatency)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const edgesNs = SYNC_EDGES_S.map((e) => e * S);
  const hf = sim.syncFull.histogram(edgesNs);
  const hp = sim.syncPartial.histogram(edgesNs);
  const histogram = hf
    .map((full, i) => ({ upToS: i < SYNC_EDGES_S.length ? SYNC_EDGES_S[i] : null, full, partial: hp[i] }))
    .filter((b) => b.full > 0 || b.partial > 0);
  const summary: ChurnSummary = {
    scenario: ctx.scenario,
    mode: ctx.mode,
    partialSync: ctx.partialSync,
    profile: ctx.profile,
    services: ctx.services,
    nodes: sim.nodes,
    durationS: durS,
    seed: ctx.seed,
    loop: {
      minSyncPeriodS: ctx.loop.minSyncPeriodNs / S,
      syncPeriodS: ctx.loop.syncPeriodNs / S,
      fullSyncPeriodS: ctx.loop.fullSyncPeriodNs / S,
      burstSyncs: ctx.loop.burst,
    },
    churn: {
      events: ctx.events,
      skipped: ctx.skipped,
      changes: sim.changes,
      changesPerS: durS > 0 ? sim.changes / durS : 0,
      meanIntervalS: sim.changes > 0 ? durS / sim.changes : Infinity,
    },
    ruleset: { start: sim.sizeStart, end: sim.sizeEnd },
    latency: { ...quantilesOf(sim.latency), exact: sim.latency.isExact },
    latencyAllNodes: quantilesOfArray(sim.allNodes),
    windows: sim.windows.map((w, i) => ({
      startS: (i * ctx.windowNs) / S,
      endS: Math.min(dur, (i + 1) * ctx.windowNs) / S,
      ...quantilesOf(w),
    })),
    thirds: { first: quantilesOf(sim.firstThird), last: quantilesOf(sim.lastThird) },
    nodeMeanLatency: {
      min: nodeMeans.length ? nodeMeans[0] / S : NaN,
      p50: nodeMeans.length ? nodeMeans[Math.floor((nodeMeans.length - 1) / 2)] / S : NaN,
      max: nodeMeans.length ? nodeMeans[nodeMeans.length - 1] / S : NaN,
    },
    sync: { full: quantilesOf(sim.syncFull), partial: quantilesOf(sim.syncPartial), lastThird: quantilesOf(sim.syncLastThird), histogram },
    queue: {
      start: sim.queue.mean[0] ?? 0,
      end: sim.queue.mean[sim.queue.mean.length - 1] ?? 0,
      max: Math.max(0, ...sim.queue.mean),
      maxAnyNode: Math.max(0, ...sim.queue.max),
      firstThirdMean: third((t) => t < dur / 3),
      lastThirdMean: third((t) => t >= (2 * dur) / 3),
      series: { tS: qT.map((t) => t / S), mean: sim.queue.mean, max: sim.queue.max },
    },
    cpuShare: {
      mean: shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 0,
      min: Math.min(...shares),
      max: Math.max(...shares),
    },
    unprogrammed: sim.unprogrammed,
    simulatedEndS: sim.endNs / S,
    verdict: { keepsUp: true, text: 'keeps up' },
  };
  summary.verdict = verdict(summary);
  return summary;
}

/**
 * Falls behind when the pending queue and the p99 latency both grow from the first to the last
 * third of the run while a sync takes longer than the interval between changes (so syncs run
 * back to back and cannot catch up), or when changes were never programmed.
 */
export function verdict(s: ChurnSummary): { keepsUp: boolean; text: string } {
  const q0 = s.queue.firstThirdMean;
  const q1 = s.queue.lastThirdMean;
  const l0 = s.thirds.first.p99;
  const l1 = s.thirds.last.p99;
  const grows = q1 > 1.25 * q0 + 0.5 && l1 > 1.25 * l0;
  const syncTime = Number.isFinite(s.sync.lastThird.mean)
    ? s.sync.lastThird.mean
    : Math.max(s.sync.full.mean || 0, s.sync.partial.mean || 0);
  const interval = s.churn.meanIntervalS;
  // A sync longer than a third of the run: every change waits for the same long sync, so
  // latency cannot rise from third to third even while the queue piles up. The queue alone
  // then tells: if it grows while syncs outlast the interval between changes, the proxy falls
  // behind (the run is too short to see the latency follow).
  const queueGrows = q1 > 1.25 * q0 + 0.5;
  const longSync = syncTime > s.durationS / 3;
  const behind = s.unprogrammed > 0 || (grows && syncTime > interval) || (queueGrows && longSync && syncTime > interval);
  if (!behind) {
    // Bounded, but with syncs back to back: say so (latency then sits near one to two sync times).
    const saturated = s.cpuShare.mean > 0.9 && syncTime > interval;
    return {
      keepsUp: true,
      text: saturated
        ? `keeps up (saturated: syncs run back to back, sync time ${fmtS(syncTime)} s > interval between changes ${fmtS(interval)} s; latency stays bounded)`
        : 'keeps up',
    };
  }
  if (!grows && longSync && s.unprogrammed === 0) {
    return {
      keepsUp: false,
      text: `falls behind: the pending queue grows without bound (${fmtS(q0)} -> ${fmtS(q1)} changes, first to last third) and one sync (${fmtS(syncTime)} s) outlasts a third of the ${fmtS(s.durationS)} s run, too long for the latency to show it (interval between changes ${fmtS(interval)} s)`,
    };
  }
  return {
    keepsUp: false,
    text: `falls behind: queue and latency grow without bound (sync time ${fmtS(syncTime)} s > interval between changes ${fmtS(interval)} s)`,
  };
}

/** Tidy rows, clock 'simulated'; rows with a non-finite value are left out. */
export function summaryRows(
  s: ChurnSummary,
  mode: string,
  variant: string | undefined,
  scale: number,
  repetition: number,
  suffix = '',
): ResultRow[] {
  const rows: ResultRow[] = [];
  const v = variant ? { variant } : {};
  const row = (metric: string, unit: string, statistic: string, value: number) => {
    if (Number.isFinite(value))
      rows.push({ mode, ...v, scale, repetition, metric: metric + suffix, clock: 'simulated', unit, statistic, value });
  };
  for (const st of ['p50', 'p90', 'p99', 'max', 'mean'] as const) row('programming.latency', 's', st, s.latency[st]);
  for (const st of ['p50', 'p99', 'max'] as const) row('programming.latency_all_nodes', 's', st, s.latencyAllNodes[st]);
  row('programming.latency_first_third', 's', 'p99', s.thirds.first.p99);
  row('programming.latency_last_third', 's', 'p99', s.thirds.last.p99);
  for (const kind of ['full', 'partial'] as const) {
    const q = s.sync[kind];
    for (const st of ['p50', 'p99', 'max', 'mean'] as const) row(`sync.duration.${kind}`, 's', st, q[st]);
    row('sync.count', 'syncs', kind, q.count);
  }
  row('queue.length', 'changes', 'start', s.queue.start);
  row('queue.length', 'changes', 'final', s.queue.end);
  row('queue.length', 'changes', 'max', s.queue.max);
  row('queue.length', 'changes', 'max_node', s.queue.maxAnyNode);
  row('proxy.cpu_share', 'fraction', 'mean', s.cpuShare.mean);
  row('proxy.cpu_share', 'fraction', 'max', s.cpuShare.max);
  row('churn.changes', 'changes', 'value', s.churn.changes);
  row('churn.change_rate', 'changes/s', 'value', s.churn.changesPerS);
  const units = new Map([...getMode(s.mode).syncWork, ...getMode(s.mode).stats].map((q) => [q.name, q.unit]));
  for (const [name, v] of Object.entries(s.ruleset.start)) {
    row(`ruleset.${name}`, units.get(name) ?? 'count', 'start', v);
    row(`ruleset.${name}`, units.get(name) ?? 'count', 'end', s.ruleset.end[name]);
  }
  row('churn.keeps_up', 'bool', 'value', s.verdict.keepsUp ? 1 : 0);
  row('churn.unprogrammed', 'changes', 'value', s.unprogrammed);
  return rows;
}

export function fmtS(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.001) return v.toFixed(4);
  return v.toExponential(2);
}

const int = (v: number) => Math.round(v).toLocaleString('en-US');

export function formatSummary(s: ChurnSummary): string {
  const L: string[] = [];
  const q = (x: Quantiles) => `p50 ${fmtS(x.p50)} s  p90 ${fmtS(x.p90)} s  p99 ${fmtS(x.p99)} s  max ${fmtS(x.max)} s`;
  const variant =
    s.mode === 'iptables'
      ? `${s.partialSync ? 'partial restore (KEP-3453)' : 'full restore'}, ${s.profile} profile`
      : `${s.profile} profile`;
  L.push(
    `kpsim churn: ${s.scenario}, ${s.mode} (${variant}), ${int(s.services)} services, ${int(s.nodes)} nodes, ${fmtS(s.durationS)} s simulated`,
  );
  const kinds = Object.entries(s.churn.events)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  L.push(
    s.churn.changes === 0
      ? `churn: none, no API change in ${fmtS(s.durationS)} s (the scenario's churn section sets no rates and no timeline: --rate N adds N changes per second); only the periodic resyncs run`
      : `churn: ${int(s.churn.changes)} API changes (${fmtS(s.churn.changesPerS)}/s, one every ${fmtS(s.churn.meanIntervalS)} s) from ${kinds || 'no events'}${s.churn.skipped ? `; ${s.churn.skipped} events skipped (no eligible service)` : ''}`,
  );
  L.push(
    `loop: minSyncPeriod ${fmtS(s.loop.minSyncPeriodS)} s, burst ${s.loop.burstSyncs}, syncPeriod ${fmtS(s.loop.syncPeriodS)} s, full sync when the last is ${fmtS(s.loop.fullSyncPeriodS)} s old`,
  );
  const r = s.ruleset;
  const sizes = getMode(s.mode).stats.map((q) => `${int(r.start[q.name])} -> ${int(r.end[q.name])} ${q.name.replace(/_/g, ' ')}`);
  L.push(`reference node: ${sizes.join(', ')}`);
  L.push('');
  if (s.latency.count === 0) L.push('network programming latency: no samples (no API change to program)');
  else {
    L.push(
      `network programming latency (API change -> end of the first sync that includes it), ${int(s.latency.count)} change x node samples${s.latency.exact ? '' : ' (0.1% histogram)'}:`,
    );
    L.push(`  all:               ${q(s.latency)}`);
    L.push(`  slowest node:      ${q(s.latencyAllNodes)}`);
    L.push(`  first third:       ${q(s.thirds.first)}`);
    L.push(`  last third:        ${q(s.thirds.last)}`);
    L.push(
      `  node means:        min ${fmtS(s.nodeMeanLatency.min)} s  median ${fmtS(s.nodeMeanLatency.p50)} s  max ${fmtS(s.nodeMeanLatency.max)} s`,
    );
  }
  const shown = s.windows.filter((w) => w.count > 0);
  if (shown.length > 1) {
    L.push('  by window of change time:');
    for (const w of shown) L.push(`    ${fmtS(w.startS).padStart(6)}-${fmtS(w.endS).padEnd(6)} s  n=${String(w.count).padEnd(8)} ${q(w)}`);
  }
  L.push('');
  L.push(`sync duration: full    n=${String(s.sync.full.count).padEnd(7)} ${s.sync.full.count ? q(s.sync.full) : '-'}`);
  L.push(`               partial n=${String(s.sync.partial.count).padEnd(7)} ${s.sync.partial.count ? q(s.sync.partial) : '-'}`);
  if (s.sync.histogram.length) {
    L.push('  histogram (syncs per duration bin, full / partial):');
    for (const b of s.sync.histogram) {
      L.push(
        `    ${b.upToS === null ? `> ${fmtS(SYNC_EDGES_S[SYNC_EDGES_S.length - 1])} s` : `<= ${fmtS(b.upToS)} s`.padEnd(12)}  ${String(b.full).padStart(7)} / ${b.partial}`,
      );
    }
  }
  L.push(
    `pending changes per node (mean over nodes): start ${fmtS(s.queue.start)}, end ${fmtS(s.queue.end)}, max ${fmtS(s.queue.max)} (max on any node ${int(s.queue.maxAnyNode)}); first-third mean ${fmtS(s.queue.firstThirdMean)}, last-third mean ${fmtS(s.queue.lastThirdMean)}`,
  );
  L.push(
    `CPU share of each node's proxy spent syncing: mean ${(100 * s.cpuShare.mean).toFixed(1)}%, max ${(100 * s.cpuShare.max).toFixed(1)}%`,
  );
  if (s.unprogrammed > 0)
    L.push(`never programmed by the end of the drain (${fmtS(s.simulatedEndS)} s): ${int(s.unprogrammed)} change x node pairs`);
  L.push(`verdict: ${s.verdict.text}`);
  return L.join('\n') + '\n';
}
