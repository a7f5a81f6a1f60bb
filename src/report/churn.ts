// The report's control-plane section, for runs with churn rows (kpsim churn --sweep): sync time
// and network programming latency against services and churn rate, the fitted exponent of sync
// time, and where each mode falls behind. Simulated clock only.
import { hasChurnRows, isChurnRow } from '../metrics/churn-rows.ts';
import type { RunResults } from '../metrics/results.ts';
import { churnLatencyChart, churnRateChart, churnSyncChart } from './churn-charts.ts';
import { churnFindings } from './churn-findings.ts';
import { fmt } from './format.ts';
import type { Section } from './types.ts';

export { hasChurnRows };

/** True when every row is a churn row: the data-plane sections would have nothing to draw. */
export function churnOnly(results: RunResults): boolean {
  return hasChurnRows(results.rows) && results.rows.every(isChurnRow);
}

function conditions(results: RunResults): string {
  const c = results.meta?.churn;
  if (!c) return '';
  const parts = [
    `${fmt(c.nodes)} simulated nodes per point`,
    `${fmt(c.durationS)} s of churn`,
    `minSyncPeriod ${fmt(c.minSyncPeriodS)} s, burst ${c.burstSyncs}, syncPeriod ${fmt(c.syncPeriodS)} s, a full sync every ${fmt(c.fullSyncPeriodS)} s`,
    ...(results.meta.iptablesProfile ? [`${results.meta.iptablesProfile} iptables cost profile`] : []),
  ];
  return ` This run: ${parts.join(', ')}.`;
}

export function churnSection(results: RunResults): Section {
  return {
    id: 'churn',
    title: 'Control plane: sync time and network programming latency',
    clock: 'simulated clock',
    intro: `Services and endpoints change at a Poisson churn rate (events per second; rolling updates and scale-ups expand into several API changes) while each node's kube-proxy runs its sync loop (BoundedFrequencyRunner: minSyncPeriod, a burst of 2, a sync at least every syncPeriod). Each sync takes what the cost model charges for what it writes, so sync time grows with the ruleset in iptables and userspace modes and with the changes in IPVS mode. Network programming latency is the time from a change to the end of the first sync on a node that includes it. iptables+partial is iptables with KEP-3453 partial restores (minimizeIPTablesRestore).${conditions(results)}`,
    findings: churnFindings(results),
    blocks: [{ chart: churnSyncChart(results) }, { chart: churnLatencyChart(results) }, { chart: churnRateChart(results) }],
  };
}
