// kube-proxy's nftables mode (--proxy-mode=nftables, GA in Kubernetes 1.33): one table
// `ip kube-proxy` whose verdict maps send a service's packets to its chains in one hash lookup.
import type { ProxyModeDescriptor, QuantitySpec } from '../mode.ts';
import { nftablesSection } from './config.ts';
import { NftablesDataPlane } from './data-plane.ts';
import { NFT_COSTS, nftPricing } from './pricing.ts';

const STATS: readonly QuantitySpec[] = [
  {
    name: 'nft_chains',
    unit: 'count',
    help: 'chains in table ip kube-proxy (base, fixed, service, endpoint)',
    countIn: { format: 'nft-state', line: /^add chain / },
  },
  { name: 'nft_rules', unit: 'count', help: 'rules in every chain of the table', countIn: { format: 'nft-state', line: /^add rule / } },
  {
    name: 'nft_named_sets',
    unit: 'count',
    help: 'named sets and verdict maps (cluster-ips, service-ips, ..., affinity sets)',
    countIn: { format: 'nft-state', line: /^add (set|map) / },
  },
  { name: 'nft_anonymous_sets', unit: 'count', help: 'anonymous sets the kernel holds for rules (numgen vmaps, multi-element { })' },
  {
    name: 'nft_elements',
    unit: 'count',
    help: 'elements kube-proxy wrote into the named sets and maps',
    countIn: { format: 'nft-state', line: /^add element / },
  },
  {
    name: 'nft_affinity_entries',
    unit: 'count',
    help: 'client addresses packets put into the ClientIP affinity sets (update @affinity-... { ip saddr })',
  },
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
    name: 'commit_entries',
    unit: 'entries',
    help: "transaction objects queued on the kernel's commit list (each anonymous set's bind walks those queued before it)",
  },
  {
    name: 'set_list_walks',
    unit: 'walks',
    help: "walks of the table's set list to its end: name checks of a new set, lookups of a set the transaction made",
  },
  {
    name: 'set_list_midway_walks',
    unit: 'walks',
    help: 'lookups of an affinity set an earlier sync made: half the list on average',
  },
  { name: 'set_lookup_compares', unit: 'entries', help: 'set-list entries compared finding the fixed sets and maps by name' },
  { name: 'set_list_before', unit: 'sets', help: "named and anonymous sets on the table's list when the transaction began" },
  { name: 'objects_listed', unit: 'objects', help: 'chains and sets kube-proxy listed to find stale ones' },
  {
    name: 'table_objects',
    unit: 'count',
    help: 'rules and map elements in the table after the sync: what the commit validates when rules or elements were added',
  },
  { name: 'service_ports', unit: 'ports', help: 'service ports the sync went through' },
  { name: 'services_written', unit: 'ports', help: 'service ports whose chains were rewritten' },
];

export const nftablesMode: ProxyModeDescriptor = {
  name: 'nftables',
  label: 'nftables',
  summary: "kube-proxy's nftables mode: verdict maps dispatch services in one hash lookup; full then partial syncs through nft -f",
  display: { color: '#b07aa1', shape: 'cross', order: 40 },
  formats: ['nft', 'nft-state'],
  capabilities: {
    perPacketUserspace: false,
    localhostNodePorts: false,
    ownConnectionTracking: false,
    socketLoadBalancing: false,
    incrementalSync: true,
  },
  stats: STATS,
  // Its size is rules too (verdict-map elements beside them): memory.bytes_per_rule divides by them.
  ruleCount: 'nft_rules',
  syncWork: SYNC_WORK,
  variants: [
    {
      name: 'full',
      label: 'nftables (full syncs)',
      help: 'every sync flushes and rewrites the whole table, as kube-proxy did before partial syncs (kubernetes PR #126013)',
      display: { color: '#d37295', shape: 'cross' },
    },
  ],
  costs: NFT_COSTS,
  pricing: nftPricing,
  configSection: nftablesSection,
  expect: { lookupExponent: { min: -0.1, max: 0.2 }, wallLookupExponent: { max: 0.3 } },
  build: (cluster, config, opts) => new NftablesDataPlane(cluster, config, { fullSyncsOnly: opts?.variant === 'full' }),
};

export { NftablesDataPlane } from './data-plane.ts';
