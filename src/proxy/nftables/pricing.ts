// The nftables mode's prices on the simulated clock, each with its source, and how a lookup
// and a sync are priced from the counts the data plane reported. Calibration measurements are
// in docs/nftables.md ("Calibration"); they ran on kpsim-rendered kube-proxy tables loaded with
// `nft -f` in a throwaway network namespace (kernel 6.18, nftables 1.0.6, 2 cores).
import type { CostConstant, ModePricing, Prices } from '../mode.ts';
import type { LookupResult, SyncWork } from '../types.ts';

export const NFT_COSTS: Readonly<Record<string, CostConstant>> = {
  nftRuleNs: {
    value: 17.5,
    unit: 'ns',
    source:
      'tigera2019-cpu and k8s-blog-2025-nftables-first-packet: 17.5 ns per iptables rule, and iptables-nft rules run in the same nf_tables VM as these (kernel-netns-2026-12 measures 8-10 ns per iptables-nft rule on this kernel; the published figure keeps both modes on one scale)',
  },
  nftMapLookupNs: {
    value: 50,
    unit: 'ns',
    source:
      'Estimate: one nft_set_hash lookup: jhash of a 12-byte concatenated key plus one bucket compare with a likely cache miss; k8s-blog-2025-nftables-first-packet shows the first packet flat at 12 us p50 from 5k to 30k services, so a lookup does not grow with the map',
  },
  nftOpNs: {
    value: 12_000,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): nft -f of kube-proxy tables, the per-line slope at 250-1,000 services where the list walks are negligible',
  },
  nftCommitVisitNs: {
    value: 10,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): the quadratic term of nft -f loads at 1k-4k services over the commit-list entries __nft_set_trans_bind walks (perf: its top kernel symbol); cross-check kernel-netns-2026-12 10k services 9.3 s',
  },
  nftSetNameCompareNs: {
    value: 8,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): 8,000 named sets created in one nft -f, kernel time over the set-list entries compared by name',
  },
  nftAnonNameScanNs: {
    value: 80,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): 8,000 anonymous vmaps in one nft -f, kernel time beyond the name compares, over the set names sscanf()ed by nf_tables_set_alloc_name',
  },
  nftValidateVisitNs: {
    value: 5,
    unit: 'ns',
    source:
      'Estimate: nft_chain_validate() touches a rule or map element and calls its expressions validate hooks: a few pointer dereferences per visit, cached after the first hook of a commit',
  },
  nftInvocationNs: {
    value: 3_000_000,
    unit: 'ns',
    source: 'Measured (docs/nftables.md, Calibration): an empty nft -f run (fork/exec, libnftables start, netlink socket), median',
  },
  nftListObjectNs: {
    value: 4_500,
    unit: 'ns',
    source:
      'k8s126013-nftables-partial-sync: adding one service to 10,000 (2 endpoints each) took ~141 ms with partial sync, which then listed ~30,000 chains (nft --json list chains) besides writing ~10 operations: ~4.5 us per listed object',
  },
  kubeProxyServicePortNs: {
    value: 2_000,
    unit: 'ns',
    source:
      "Estimate: syncProxyRules' loop body for an unchanged service port (CategorizeEndpoints, three element keys formatted and compared with nftElementStorage's Go maps): a few hundred ns to a few us in Go",
  },
};

/** The price of `name`: the run's price list, else the mode's default. */
function price(prices: Prices, name: string): number {
  return prices[name] ?? NFT_COSTS[name].value;
}

const SYNC_TERMS: readonly [string, string][] = [
  ['nft_operations', 'nftOpNs'],
  ['commit_list_visits', 'nftCommitVisitNs'],
  ['set_name_compares', 'nftSetNameCompareNs'],
  ['anon_name_scans', 'nftAnonNameScanNs'],
  ['validate_visits', 'nftValidateVisitNs'],
  ['nft_invocations', 'nftInvocationNs'],
  ['objects_listed', 'nftListObjectNs'],
  ['service_ports', 'kubeProxyServicePortNs'],
];

export const nftPricing: ModePricing = {
  lookupNs(prices: Prices, r: LookupResult): number {
    return r.rulesEvaluated * price(prices, 'nftRuleNs') + r.hashProbes * price(prices, 'nftMapLookupNs');
  },
  syncNs(prices: Prices, work: SyncWork): number {
    const w = work as unknown as Readonly<Record<string, number>>;
    let ns = 0;
    for (const [field, constant] of SYNC_TERMS) ns += (w[field] ?? 0) * price(prices, constant);
    return ns;
  },
};
