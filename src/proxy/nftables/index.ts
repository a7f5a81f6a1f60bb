// kube-proxy's nftables mode (--proxy-mode=nftables, GA in Kubernetes 1.33): one table
// `ip kube-proxy` whose verdict maps send a service's packets to its chains in one hash lookup.
import type { ProxyModeDescriptor, QuantitySpec } from '../mode.ts';
import { NftablesDataPlane } from './data-plane.ts';
import { NFT_COSTS, nftPricing } from './pricing.ts';

const STATS: readonly QuantitySpec[] = [
  { name: 'nft_chains', unit: 'count', help: 'chains in table ip kube-proxy (base, fixed, service, endpoint)' },
  { name: 'nft_rules', unit: 'count', help: 'rules in every chain of the table' },
  { name: 'nft_named_sets', unit: 'count', help: 'named sets and verdict maps (cluster-ips, service-ips, ..., affinity sets)' },
  { name: 'nft_anonymous_sets', unit: 'count', help: 'anonymous sets the kernel holds for rules (numgen vmaps, multi-element { })' },
  { name: 'nft_elements', unit: 'count', help: 'elements in the named sets and maps (affinity sets: their live entries)' },
];

const SYNC_WORK: readonly QuantitySpec[] = [
  { name: 'full_sync', unit: 'flag', help: '1 for a full sync (setup rewritten, maps flushed), 0 for a partial one' },
  {
    name: 'nft_operations',
    unit: 'operations',
    help: 'lines of the nft -f transactions (add/flush/delete of tables, chains, sets, rules, elements)',
  },
  { name: 'nft_invocations', unit: 'runs', help: 'nft runs: stale-chain deletion, two listings, the sync transaction' },
  { name: 'chains_created', unit: 'chains', help: 'chains that did not exist before' },
  { name: 'chains_flushed', unit: 'chains', help: 'chains flushed (rewritten or gone stale)' },
  { name: 'chains_deleted', unit: 'chains', help: 'stale chains deleted (a sync after they went stale)' },
  { name: 'rules_added', unit: 'rules', help: 'rules written' },
  { name: 'rules_removed', unit: 'rules', help: 'rules removed by flushes and deletions' },
  { name: 'elements_added', unit: 'elements', help: 'set and map elements added' },
  { name: 'elements_deleted', unit: 'elements', help: 'set and map elements deleted (flushes included)' },
  { name: 'sets_created', unit: 'sets', help: 'named sets and maps created' },
  { name: 'anonymous_sets_created', unit: 'sets', help: 'anonymous sets created with their rules' },
  {
    name: 'commit_list_visits',
    unit: 'entries',
    help: 'kernel commit-list entries walked binding anonymous sets (quadratic in a full load)',
  },
  {
    name: 'commit_list_visits_uncached',
    unit: 'entries',
    help: 'of those, the ones in walks too long to stay in cache (walked from memory)',
  },
  { name: 'set_name_compares', unit: 'entries', help: "entries of the table's set list compared by name (set creation and lookup)" },
  { name: 'anon_name_scans', unit: 'entries', help: 'set names parsed to number a new anonymous set' },
  { name: 'objects_listed', unit: 'objects', help: 'chains and sets kube-proxy listed to find stale ones' },
  { name: 'validate_visits', unit: 'visits', help: "rules and elements the commit's loop/hook validation walked" },
  { name: 'service_ports', unit: 'ports', help: 'service ports the sync went through' },
  { name: 'services_written', unit: 'ports', help: 'service ports whose chains were rewritten' },
];

export const nftablesMode: ProxyModeDescriptor = {
  name: 'nftables',
  label: 'nftables',
  summary: "kube-proxy's nftables mode: verdict maps dispatch services in one hash lookup; full then partial syncs through nft -f",
  display: { color: '#b07aa1', shape: 'cross', order: 3 },
  formats: ['nft', 'nft-state'],
  capabilities: { perPacketUserspace: false, localhostNodePorts: false, ownConnectionTracking: false, socketLoadBalancing: false },
  stats: STATS,
  syncWork: SYNC_WORK,
  variants: [
    {
      name: 'full',
      label: 'nftables (full syncs)',
      help: 'every sync flushes and rewrites the whole table, as kube-proxy did before partial syncs (kubernetes PR #126013)',
    },
  ],
  costs: NFT_COSTS,
  pricing: nftPricing,
  expect: { lookupExponent: { min: -0.1, max: 0.2 }, wallLookupExponent: { max: 0.3 } },
  build: (cluster, config, opts) => new NftablesDataPlane(cluster, config, { fullSyncsOnly: opts?.variant === 'full' }),
};

export { NftablesDataPlane } from './data-plane.ts';
