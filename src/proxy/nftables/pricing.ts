// The nftables mode's prices on the simulated clock, each with its source, and how a lookup
// and a sync are priced from the counts the data plane reported. Calibration measurements are
// in docs/nftables.md ("Calibration"); they ran on kpsim-rendered kube-proxy tables loaded with
// `nft -f` in a throwaway network namespace (kernel 6.18, nftables 1.0.6, 2 cores).
import type { CostTable, Prices } from '../../engine/prices.ts';
import type { ModePricing } from '../mode.ts';
import type { LookupResult, SyncWork } from '../types.ts';
import { validates } from './proxier.ts';
import { ANON_NAMES_PER_PASS, COMMIT_ENTRIES_CACHED } from './tx.ts';

export const NFT_COSTS: CostTable = {
  nftRuleNs: {
    value: 17.5,
    unit: 'ns',
    source:
      'tigera2019-cpu and k8s-blog-2025-nftables-first-packet: 17.5 ns per iptables rule, and iptables-nft rules run in the same nf_tables VM as these (kernel-netns-2026-12 measures 8-10 ns per iptables-nft rule on this kernel; the published figure keeps both modes on one scale)',
  },
  // kpsim calibrate measures this one by name (a first packet's map miss minus the same table without the lookup).
  nftablesMapLookupNs: {
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
  nftCommitCacheEntries: {
    value: COMMIT_ENTRIES_CACHED,
    unit: 'entries',
    source:
      "Estimate, calibrated (docs/nftables.md): the longest commit list whose walk stays in cache; an entry is about one 64-byte line (a struct nft_trans's list pointers and msg_type), 80,000 entries ~5 MB of a 32 MB L3 shared with the load's other allocations; perf puts __nft_set_trans_bind at ~9 ns a visit loading 4,000 services (~90k entries) and ~56 ns at 5,000 (~112k)",
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

/** The per-operation terms of a sync: SyncWork field, its price. */
const LINEAR_TERMS: readonly [string, string][] = [
  ['nft_operations', 'nftOpNs'],
  ['nft_invocations', 'nftInvocationNs'],
  ['objects_listed', 'nftListObjectNs'],
  ['service_ports', 'kubeProxyServicePortNs'],
];

/** The kernel's list walks in a sync's commit (tx.ts says where each happens). */
export interface KernelWalks {
  /** Commit-list entries __nft_set_trans_bind walked, and of those the ones in walks too long for the cache. */
  commitListVisits: number;
  commitListVisitsUncached: number;
  /** Set-list entries compared by name, and sscanf()ed numbering anonymous sets. */
  setNameCompares: number;
  anonNameScans: number;
  /** Rules and map elements the commit's validation walked. */
  validateVisits: number;
}

/**
 * The walks, from the linear counts a sync reports. Each of the A anonymous sets is bound when
 * its entries are queued and walks every entry queued so far: with binds spread through the E
 * entries of the transaction (kube-proxy writes service after service), bind i walks i*E/A
 * entries, and the ones past `cached` entries walk from memory. The set list is as long as it
 * was before the transaction plus what the transaction created so far (deleted sets stay on it
 * until the commit): on average before + created/2 for every walk to its end, half that for a
 * lookup of a set an earlier sync made (sets of services spread along the list). A commit that
 * added rules or elements validates the table, from every hook that reaches it (about twice).
 */
export function kernelWalks(w: SyncWork, cached: number = COMMIT_ENTRIES_CACHED): KernelWalks {
  const A = w.anonymous_sets_created ?? 0;
  const E = w.commit_entries ?? 0;
  const tri = (n: number) => (n * (n + 1)) / 2;
  const k = A > 0 ? Math.min(A, Math.floor((cached * A) / E)) : 0;
  const list = (w.set_list_before ?? 0) + (A + (w.sets_created ?? 0)) / 2;
  return {
    commitListVisits: A > 0 ? (E / A) * tri(A) : 0,
    commitListVisitsUncached: A > 0 ? (E / A) * (tri(A) - tri(k)) : 0,
    setNameCompares: ((w.set_list_walks ?? 0) + (w.set_list_midway_walks ?? 0) / 2) * list + (w.set_lookup_compares ?? 0),
    anonNameScans: A * list * (1 + Math.floor(list / ANON_NAMES_PER_PASS)),
    validateVisits: validates({ rulesAdded: w.rules_added ?? 0, elementsAdded: w.elements_added ?? 0 }) ? 2 * (w.table_objects ?? 0) : 0,
  };
}

export const nftPricing: ModePricing = {
  lookupNs(prices: Prices, r: LookupResult): number {
    return r.rulesEvaluated * price(prices, 'nftRuleNs') + r.hashProbes * price(prices, 'nftablesMapLookupNs');
  },
  syncNs(prices: Prices, work: SyncWork): number {
    let ns = 0;
    for (const [field, constant] of LINEAR_TERMS) ns += (work[field] ?? 0) * price(prices, constant);
    const k = kernelWalks(work, price(prices, 'nftCommitCacheEntries'));
    return (
      ns +
      k.commitListVisits * price(prices, 'nftCommitVisitNs') +
      k.commitListVisitsUncached * price(prices, 'nftCommitMissNs') +
      k.setNameCompares * price(prices, 'nftSetNameCompareNs') +
      k.anonNameScans * price(prices, 'nftAnonNameScanNs') +
      k.validateVisits * price(prices, 'nftValidateVisitNs')
    );
  },
};
