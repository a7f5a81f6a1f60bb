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
    value: 15_000,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): CPU time of nft -f per line of kube-proxy transactions, least-squares slope over loads of 250 to 5,000 services (12-19 us) and an 8,000-chain micro-load (17 us): parsing, netlink, object allocation',
  },
  nftCommitVisitNs: {
    value: 20,
    unit: 'ns',
    source:
      'Calibrated (docs/nftables.md): one commit-list entry walked by __nft_set_trans_bind; with it the model meets kernel-netns-2026-12 (kube-proxy-shaped nft -f, 1k services 0.15 s, 10k 9.3 s); perf on this kernel: 9 ns a visit itself at 4,000 services, the rest being what the load does around each walk',
  },
  nftCommitMissNs: {
    value: 56,
    unit: 'ns',
    source:
      'Calibrated (docs/nftables.md): the extra cost of a visit in a walk too long to stay in cache (tx.ts COMMIT_ENTRIES_CACHED); with it the model meets kernel-netns-2026-12 30k services 243 s; perf here: ~56 ns a visit in all at 5,000 services',
  },
  nftSetNameCompareNs: {
    value: 15,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): 8,000 named sets in one nft -f, CPU time beyond the per-line cost over the set-list entries compared by name',
  },
  nftAnonNameScanNs: {
    value: 30,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): 8,000 anonymous vmaps in one nft -f, what the commit-list and name-compare prices leave, over the set names sscanf()ed by nf_tables_set_alloc_name',
  },
  nftValidateVisitNs: {
    value: 5,
    unit: 'ns',
    source:
      "Estimate: nft_chain_validate() reaches a rule or map element and calls its expressions' validate hooks, a few pointer loads; a chain already validated from the same hook is skipped (kernel 6.18, 'avoid chain re-validation')",
  },
  nftInvocationNs: {
    value: 10_000_000,
    unit: 'ns',
    source:
      'Measured (docs/nftables.md, Calibration): an nft -f run with nothing to do, CPU time (process start, libnftables, netlink socket)',
  },
  nftListObjectNs: {
    value: 3_000,
    unit: 'ns',
    source:
      'k8s126013-nftables-partial-sync: adding one service to 10,000 (2 endpoints each) took ~141 ms with partial sync; less 3 nft runs (30 ms) and the loop over 10,000 service ports (20 ms), the listing of ~30,000 chains is left with ~90 ms: ~3 us per object',
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
  ['commit_list_visits_uncached', 'nftCommitMissNs'],
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
