// What netfilter work costs on the simulated clock: walking iptables rules and rewriting tables
// with iptables-restore or one `iptables` command at a time. Every mode that programs iptables
// rules (iptables, ipvs and userspace alike) prices that work here.
import type { CostTable, Prices } from '../engine/prices.ts';

/** iptables-restore's kernel backend: nf_tables (iptables-nft, "modern") or legacy xtables. */
export const IPTABLES_PROFILES = ['modern', 'legacy'] as const;
export type IptablesProfile = (typeof IPTABLES_PROFILES)[number];

export const NETFILTER_COSTS = {
  iptablesRuleNs: {
    value: 17.5,
    unit: 'ns',
    // tigera2019-cpu: 0.35 of a core for 1,000 new connections/s at 10,000 services with "about
    // 20,000 rules evaluated per new connection" -> 350 us / 20,000 rules = 17.5 ns per rule.
    // Cross-check, k8s-blog-2025-nftables-first-packet: iptables p50 272 us vs 12 us at 30,000
    // services, ~15,000 rules walked on average -> 17.3 ns per rule.
    source:
      'tigera2019-cpu: 350 µs of CPU per new connection / ~20,000 rules evaluated (k8s-blog-2025-nftables-first-packet agrees: 17.3 ns)',
  },
  iptablesRestoreLineNs: {
    value: 12.8e9 / 695992,
    unit: 'ns',
    source: 'k8s96018-restore: 12.8 s for a 695,992-line iptables-restore -> 18.4 µs per line',
  },
  iptablesLegacyRuleSquaredNs: {
    // huawei2017-iptables-rule-add: 660 s at 40,000 rules and 18,000 s at 160,000 rules grow as
    // rules^2.4; one rules^2 coefficient (geometric mean of 660/40k^2 and 18000/160k^2) puts both
    // points within a factor of 1.4.
    value: Math.sqrt((660e9 / 40000 ** 2) * (18000e9 / 160000 ** 2)),
    unit: 'ns/rule²',
    source:
      'huawei2017-iptables-rule-add: geometric mean of 660 s / 40k² and 18,000 s / 160k² (legacy xtables re-validates the whole table)',
  },
  iptablesInvocationNs: {
    value: 5_000_000,
    unit: 'ns',
    source: 'Estimate: fork/exec of the iptables binary and taking the xtables lock, before the table copy',
  },
} as const satisfies CostTable;

/**
 * One iptables-restore of `lines` lines into tables holding `totalRules` rules: per line on
 * nf_tables; legacy xtables also re-validates the whole table, which grows as its square.
 */
export function restoreNs(p: Prices, lines: number, totalRules: number, profile: IptablesProfile): number {
  if (lines <= 0) return 0;
  return lines * p.iptablesRestoreLineNs + (profile === 'legacy' ? totalRules ** 2 * p.iptablesLegacyRuleSquaredNs : 0);
}

/** `iptables` commands run one at a time: each starts a process and copies the whole table in and out. */
export function invocationsNs(p: Prices, invocations: number, totalRules: number): number {
  return invocations * (p.iptablesInvocationNs + totalRules * p.iptablesRuleNs);
}
