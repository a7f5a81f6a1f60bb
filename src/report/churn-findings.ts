// What a churn sweep says in plain words: how full-sync time grows with services (the fitted
// exponent per mode), and where each mode falls behind the churn. Used by the report's churn
// section and by `kpsim churn --sweep` on the terminal.
import { churnFits, churnMetricName, parseChurnMetric } from '../metrics/churn-rows.ts';
import { type FitRecord, type ResultRow, type RunResults, seriesView } from '../metrics/results.ts';
import { fitExponentText, fitVerdictText } from '../metrics/stats.ts';
import { type ChurnPoint, churnSeries, rateLabel, runRates } from './churn-data.ts';
import { plainVerdict } from './complexity.ts';
import { fmt } from './format.ts';
import { sortModes } from './data.ts';

/** Full-sync p50 fits against services at the run's lowest rate, one per mode. */
export function syncTimeFits(rows: readonly ResultRow[], rate: number | null): FitRecord[] {
  const metric = rate === null ? 'sync.duration.full' : churnMetricName('sync.duration.full', rate);
  const fits = churnFits(rows.filter((r) => r.metric === metric)).filter((f) => f.statistic === 'p50');
  const order = sortModes(fits.map((f) => f.mode));
  return fits.sort((a, b) => order.indexOf(a.mode) - order.indexOf(b.mode));
}

export function exponentFinding(results: RunResults): string | null {
  const rate = runRates(results)[0] ?? null;
  const fits = syncTimeFits(results.rows, rate);
  if (fits.length === 0) return null;
  // iptables against ipvs is the comparison people come for: put them first.
  const lead = ['iptables', 'ipvs'];
  const ordered = [...fits.filter((f) => lead.includes(f.mode)), ...fits.filter((f) => !lead.includes(f.mode))];
  const parts = ordered.map((f) => `${f.mode}: k = ${fitExponentText(f)}, ${fitVerdictText(f)}, ${plainVerdict(f)}`);
  const inTable = (results.fits ?? []).some(
    (f) => f && typeof f.metric === 'string' && parseChurnMetric(f.metric).base === 'sync.duration.full',
  );
  return `Full sync time grows as services^k (p50, fitted on log-log axes over ${fits[0].n} scales at ${rateLabel(rate)}): ${parts.join('; ')}.${inTable ? ' The complexity table below has every fit (each rate, and p50 programming latency).' : ''}`;
}

export interface PointState {
  mode: string;
  scale: number;
  rate: number | null;
  keepsUp: boolean | null;
  queueFinal: number;
  queueMax: number;
  cpuShare: number;
  syncP50: number;
  latencyP99: number;
}

// Syncs back to back for at least this share of the run: the proxy is saturated.
const SATURATED = 0.9;

/**
 * A point falls behind when its pending-change queue grows without bound: the simulator's
 * verdict (queue and p99 latency grew from the first to the last third of the run, or changes
 * were never programmed), or a queue still at its peak when the churn stopped while one sync
 * takes over a third of the run (too few syncs for the queue ever to level off). A queue that
 * merely ends high on a point with short syncs is a saw-tooth caught near its top, not growth.
 */
export function fallsBehind(p: PointState, durationS: number | null): boolean {
  if (p.keepsUp === false) return true;
  if (durationS === null || !(durationS > 0)) return false;
  return p.queueMax >= 1 && p.queueFinal >= 0.95 * p.queueMax && p.syncP50 > durationS / 3;
}

export function pointStates(rows: readonly ResultRow[]): PointState[] {
  const index = (base: string, stat: string) => {
    const m = new Map<string, number>();
    for (const p of churnSeries(rows, base, stat)) m.set(key(p), p.value);
    return m;
  };
  const keeps = index('churn.keeps_up', 'value');
  const final = index('queue.length', 'final');
  const max = index('queue.length', 'max');
  const cpu = index('proxy.cpu_share', 'mean');
  const sync = index('sync.duration.full', 'p50');
  const p99 = index('programming.latency', 'p99');
  return churnSeries(rows, 'programming.latency', 'p50').map((p) => {
    const k = key(p);
    return {
      mode: p.mode,
      scale: p.scale,
      rate: p.rate,
      keepsUp: keeps.has(k) ? keeps.get(k)! >= 0.5 : null,
      queueFinal: final.get(k) ?? NaN,
      queueMax: max.get(k) ?? NaN,
      cpuShare: cpu.get(k) ?? NaN,
      syncP50: sync.get(k) ?? NaN,
      latencyP99: p99.get(k) ?? NaN,
    };
  });
}

function key(p: Pick<ChurnPoint, 'mode' | 'scale' | 'rate'>): string {
  return `${p.mode}\u0000${p.scale}\u0000${p.rate}`;
}

/** "from 20,000 services up" when every larger scale of the run is included too, else the list. */
function scalesText(scales: number[], all: number[]): string {
  const s = [...scales].sort((a, b) => a - b);
  const upper = all.filter((x) => x >= s[0]);
  if (s.length > 1 && upper.length === s.length && upper.every((x, i) => x === s[i])) return `from ${fmt(s[0])} services up`;
  return `at ${andList(s.map(fmt))} services`;
}

function andList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Where a predicate holds, rates with the same scales grouped: "from 20,000 services up at 1, 10 and 50 events/s". */
function where(states: PointState[], pred: (p: PointState) => boolean, allScales: number[]): string {
  const rates = [...new Set(states.map((p) => p.rate))].sort((a, b) => (a ?? -1) - (b ?? -1));
  const groups = new Map<string, (number | null)[]>();
  for (const r of rates) {
    const hit = states.filter((p) => p.rate === r && pred(p)).map((p) => p.scale);
    if (hit.length === 0) continue;
    const text = scalesText(hit, allScales);
    groups.set(text, [...(groups.get(text) ?? []), r]);
  }
  return [...groups]
    .map(([text, rs]) => {
      const nums = rs.filter((r): r is number => r !== null);
      return `${text} at ${nums.length === rs.length ? `${andList(nums.map((r) => fmt(r)))} events/s` : rateLabel(null)}`;
    })
    .join('; ');
}

/** One line per mode: where it falls behind, where it saturates, or that it keeps up everywhere. */
export function fallBehindFindings(rows: readonly ResultRow[], durationS: number | null): string[] {
  const states = pointStates(rows);
  const allScales = [...new Set(states.map((p) => p.scale))].sort((a, b) => a - b);
  const behind = (p: PointState) => fallsBehind(p, durationS);
  const saturated = (p: PointState) => !behind(p) && p.cpuShare >= SATURATED;
  const lines: string[] = [];
  for (const mode of sortModes(states.map((p) => p.mode))) {
    const own = states.filter((p) => p.mode === mode);
    const parts: string[] = [];
    const b = own.filter(behind);
    if (b.length > 0) {
      const worst = [...b].sort((x, y) => y.queueFinal - x.queueFinal || y.scale - x.scale)[0];
      const how =
        worst.keepsUp === false
          ? 'queue and p99 latency grew from the first to the last third of the run'
          : `${fmt(worst.queueFinal)} changes still pending per node when the churn stopped, the most of the run, with one full sync taking ${fmt(worst.syncP50)} s of the ${fmt(durationS)} s run`;
      parts.push(
        `falls behind ${where(own, behind, allScales)}: its pending-change queue grows without bound (${fmt(worst.scale)} services at ${rateLabel(worst.rate)}: ${how})`,
      );
    }
    const sat = own.filter(saturated);
    if (sat.length > 0) {
      const worst = [...sat].sort((x, y) => y.latencyP99 - x.latencyP99)[0];
      parts.push(
        `${b.length > 0 ? 'keeps up but' : 'keeps up, but'} syncs back to back (busy ${Math.round(100 * SATURATED)}% of the time or more) ${where(own, saturated, allScales)}, where a sync covers every pending change, so the queue stays bounded and latency sits near one to two sync times (p99 up to ${fmt(worst.latencyP99)} s)`,
      );
    }
    if (parts.length === 0) {
      const maxQueue = Math.max(...own.map((p) => (Number.isFinite(p.queueMax) ? p.queueMax : 0)));
      parts.push(
        `keeps up at every scale and rate of this run, with time to spare between syncs (at most ${fmt(maxQueue)} changes pending per node on average)`,
      );
    }
    lines.push(`${mode} ${parts.join('; it ')}.`);
  }
  return lines;
}

export function churnFindings(run: RunResults): string[] {
  const results = seriesView(run);
  const exponent = exponentFinding(results);
  const durationS = typeof results.meta?.churn?.durationS === 'number' ? results.meta.churn.durationS : null;
  return [...(exponent ? [exponent] : []), ...fallBehindFindings(results.rows, durationS)];
}
