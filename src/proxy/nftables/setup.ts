// The fixed part of kube-proxy's table, written on every full sync (setupNFTables in
// pkg/proxy/nftables/proxier.go): the table, its base chains with their hooks and priorities,
// the top-level chains they jump to, masquerading, the ClusterIP checks, the no-endpoint,
// firewall and service-dispatch maps. Base chain names, priorities and jump order are those
// of kube-proxy's TestOverallNFTablesRules baseRules (kubernetes commit 81810de6).
import { formatCidr } from '../../util/ipv4.ts';
import type { NftOptions } from './options.ts';
import {
  M_CT_NEW,
  M_DADDR,
  M_DADDR_ANON,
  M_DADDR_SET,
  M_FIB_DADDR_LOCAL,
  M_MARK_ZERO,
  Match,
  Rule,
  S_JUMP,
  S_MARK_OR,
  S_MARK_XOR,
  S_MASQUERADE,
  S_REJECT,
  S_RETURN,
  S_VMAP,
  S_DROP,
} from './rule.ts';
import type { BaseChainSpec, Chain, NftSet, VerdictMap } from './table.ts';
import type { Transaction } from './tx.ts';

export const TABLE_NAME = 'kube-proxy';
export const TABLE_COMMENT = 'rules for kube-proxy';

export const SERVICES = 'services';
export const MASQUERADING = 'masquerading';
export const MARK_MASQ = 'mark-for-masquerade';
export const CLUSTER_IPS_CHECK = 'cluster-ips-check';
export const SERVICE_ENDPOINTS_CHECK = 'service-endpoints-check';
export const NODEPORT_ENDPOINTS_CHECK = 'nodeport-endpoints-check';
export const FIREWALL_CHECK = 'firewall-check';
export const REJECT_CHAIN = 'reject-chain';

// knftables priorities: DNATPriority "dstnat" = -100, SNATPriority "srcnat" = 100, FilterPriority 0.
const BASE_CHAINS: readonly (BaseChainSpec & { name: string })[] = [
  { name: 'filter-prerouting-pre-dnat', type: 'filter', hook: 'prerouting', priority: -110 },
  { name: 'filter-output-pre-dnat', type: 'filter', hook: 'output', priority: -110 },
  { name: 'filter-input', type: 'filter', hook: 'input', priority: 0 },
  { name: 'filter-forward', type: 'filter', hook: 'forward', priority: 0 },
  { name: 'filter-output', type: 'filter', hook: 'output', priority: 0 },
  { name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100 },
  { name: 'nat-output', type: 'nat', hook: 'output', priority: -100 },
  { name: 'nat-postrouting', type: 'nat', hook: 'postrouting', priority: 100 },
];

/** nftablesJumpChains: [destination, source, only for new connections]. */
const JUMP_CHAINS: readonly [string, string, boolean][] = [
  [NODEPORT_ENDPOINTS_CHECK, 'filter-input', true],
  [SERVICE_ENDPOINTS_CHECK, 'filter-input', true],
  [SERVICE_ENDPOINTS_CHECK, 'filter-forward', true],
  [SERVICE_ENDPOINTS_CHECK, 'filter-output', true],
  [FIREWALL_CHECK, 'filter-prerouting-pre-dnat', true],
  [FIREWALL_CHECK, 'filter-output-pre-dnat', true],
  [SERVICES, 'nat-output', false],
  [SERVICES, 'nat-prerouting', false],
  [MASQUERADING, 'nat-postrouting', false],
  [CLUSTER_IPS_CHECK, 'filter-forward', true],
  [CLUSTER_IPS_CHECK, 'filter-output', true],
];

/** The named sets and maps the per-service part of a sync fills. */
export interface Containers {
  clusterIPs: NftSet;
  serviceIPs: VerdictMap;
  firewallIPs: VerdictMap;
  noEndpointServices: VerdictMap;
  noEndpointNodePorts: VerdictMap;
  serviceNodePorts: VerdictMap;
  markMasq: Chain;
  rejectChain: Chain;
}

const CT_NEW = new Match(M_CT_NEW);
const NOT_LOOPBACK = new Match(M_DADDR, true, 0x7f000000, 0xff000000, null, null, '127.0.0.0/8');

/** ensureChain: add and flush a chain once per transaction (created tracks this transaction's). */
export function ensureChain(tx: Transaction, name: string, created: Set<string>, skipCreation = false): void {
  if (created.has(name)) return;
  created.add(name);
  if (skipCreation) return;
  tx.addChain(name);
  tx.flushChain(name);
}

export function setupTable(tx: Transaction, o: NftOptions, firstSync: boolean): Containers {
  tx.addTable(TABLE_COMMENT);
  // Once per process: add and delete every base chain, so a changed priority can be re-created.
  if (firstSync)
    for (const bc of BASE_CHAINS) {
      tx.addChain(bc.name);
      tx.deleteChain(bc.name);
    }
  for (const bc of BASE_CHAINS) {
    tx.addChain(bc.name, { type: bc.type, hook: bc.hook, priority: bc.priority });
    tx.flushChain(bc.name);
  }
  const created = new Set<string>();
  const chain = (name: string) => tx.table.chain(name)!;
  for (const [dst, src, newOnly] of JUMP_CHAINS) {
    ensureChain(tx, dst, created);
    tx.addRule(chain(src), new Rule(newOnly ? [CT_NEW] : [], S_JUMP, chain(dst)));
  }
  for (const name of [SERVICES, CLUSTER_IPS_CHECK, MASQUERADING, MARK_MASQ]) ensureChain(tx, name, created);
  const mark = o.masqueradeMark;
  const markMasq = chain(MARK_MASQ);
  tx.addRule(markMasq, new Rule([], S_MARK_OR, null, null, null, mark));
  const masq = chain(MASQUERADING);
  tx.addRule(masq, new Rule([new Match(M_MARK_ZERO, false, mark)], S_RETURN));
  tx.addRule(masq, new Rule([], S_MARK_XOR, null, null, null, mark));
  tx.addRule(masq, new Rule([], S_MASQUERADE));

  const clusterIPs = tx.addSet('cluster-ips', 'Active ClusterIPs');
  const check = chain(CLUSTER_IPS_CHECK);
  tx.addRule(
    check,
    new Rule(
      [new Match(M_DADDR_SET, false, 0, 0, null, clusterIPs)],
      S_REJECT,
      null,
      null,
      null,
      0,
      0,
      null,
      'Reject traffic to invalid ports of ClusterIPs',
    ),
  );
  if (o.serviceCIDRs.length > 0) {
    const operand = `{ ${o.serviceCIDRs.map(formatCidr).join(',')} }`;
    const m = new Match(M_DADDR_ANON, false, 0, 0, o.serviceCIDRs, null, operand);
    tx.addRule(check, new Rule([m], S_DROP, null, null, null, 0, 0, null, 'Drop traffic to unallocated ClusterIPs'));
  }

  // nodeport-ips is added then deleted when NodePorts answer on every address (add+delete
  // instead of delete, which fails on a missing set).
  const nodePortIPs = tx.addSet('nodeport-ips', 'IPs that accept NodePort traffic');
  if (o.nodePortMatchAll) tx.deleteSet(nodePortIPs);
  else {
    tx.flushSet(nodePortIPs);
    for (const ip of o.nodePortIPs) tx.addAddress(nodePortIPs, ip);
  }
  const onNodePortIP = o.nodePortMatchAll ? NOT_LOOPBACK : new Match(M_DADDR_SET, false, 0, 0, null, nodePortIPs);

  const noEndpointServices = tx.addMap('no-endpoint-services', 'vmap to drop or reject packets to services with no endpoints', true);
  const noEndpointNodePorts = tx.addMap(
    'no-endpoint-nodeports',
    'vmap to drop or reject packets to service nodeports with no endpoints',
    false,
  );
  const rejectChain = tx.addChain(REJECT_CHAIN, null, 'helper for @no-endpoint-services / @no-endpoint-nodeports');
  tx.flushChain(REJECT_CHAIN);
  tx.addRule(rejectChain, new Rule([], S_REJECT));
  tx.addRule(chain(SERVICE_ENDPOINTS_CHECK), new Rule([], S_VMAP, null, noEndpointServices));
  tx.addRule(chain(NODEPORT_ENDPOINTS_CHECK), new Rule([onNodePortIP], S_VMAP, null, noEndpointNodePorts));

  const firewallIPs = tx.addMap('firewall-ips', 'destinations that are subject to LoadBalancerSourceRanges', true);
  ensureChain(tx, FIREWALL_CHECK, created);
  tx.addRule(chain(FIREWALL_CHECK), new Rule([], S_VMAP, null, firewallIPs));

  const serviceIPs = tx.addMap('service-ips', 'ClusterIP, ExternalIP and LoadBalancer IP traffic', true);
  const serviceNodePorts = tx.addMap('service-nodeports', 'NodePort traffic', false);
  const services = chain(SERVICES);
  tx.addRule(services, new Rule([], S_VMAP, null, serviceIPs));
  const nodePortMatches = o.nodePortMatchAll ? [new Match(M_FIB_DADDR_LOCAL), NOT_LOOPBACK] : [onNodePortIP];
  tx.addRule(services, new Rule(nodePortMatches, S_VMAP, null, serviceNodePorts));

  return { clusterIPs, serviceIPs, firewallIPs, noEndpointServices, noEndpointNodePorts, serviceNodePorts, markMasq, rejectChain };
}

/** The containers of a table set up by an earlier full sync (a partial sync writes into them). */
export function existingContainers(tx: Transaction): Containers {
  const t = tx.table;
  const get = <T>(name: string) => t.sets.get(name) as T;
  return {
    clusterIPs: get<NftSet>('cluster-ips'),
    serviceIPs: get<VerdictMap>('service-ips'),
    firewallIPs: get<VerdictMap>('firewall-ips'),
    noEndpointServices: get<VerdictMap>('no-endpoint-services'),
    noEndpointNodePorts: get<VerdictMap>('no-endpoint-nodeports'),
    serviceNodePorts: get<VerdictMap>('service-nodeports'),
    markMasq: t.chain(MARK_MASQ)!,
    rejectChain: t.chain(REJECT_CHAIN)!,
  };
}
