// A kube-proxy-shaped nftables table (`nft -f` input) for a node's service ports, in the layout
// of kube-proxy's nftables proxier (pkg/proxy/nftables/proxier.go; its TestOverallNFTablesRules
// expectations): table ip kube-proxy; a `service-ips` verdict map keyed by
// ipv4_addr . inet_proto . inet_service that `services` looks every packet up in; per service
// port a `service-*` chain (masquerade check, then `numgen random mod N vmap` to its endpoints);
// per endpoint an `endpoint-*` chain (hairpin masquerade, dnat). ClusterIPs only, which is all
// calibration needs: a map lookup, then a bounded walk.
//
// Stand-in until the nftables proxy mode (src/proxy/nftables/) lands: calibration calls only
// `nftablesTable()`, so switching to the mode's own renderer is a one-line change.
import type { ServicePortInfo } from '../proxy/service-map.ts';
import { endpointChainName, serviceChainNames, SEP_PREFIX, SVC_PREFIX } from '../proxy/iptables/chain-names.ts';
import { formatIPv4 } from '../util/ipv4.ts';

export interface NftTable {
  /** The whole table as `nft -f` input. */
  text: string;
  chains: number;
  rules: number;
  /** Map and set elements. */
  elements: number;
}

const T = 'ip kube-proxy';

/** base32(sha256(...))[:8] of kube-proxy's nftables chain names: the same digest as its iptables names. */
function hash8(prefixed: string, prefix: string): string {
  return prefixed.slice(prefix.length, prefix.length + 8);
}

export interface NftTableOptions {
  /** kube-proxy's masquerade mark (1 << masqueradeBit). */
  masqueradeMark?: number;
  /** false: the `services` chain without its map lookup (the nat hooks alone, for a baseline). */
  serviceLookup?: boolean;
}

export function nftablesTable(ports: readonly ServicePortInfo[], clusterCIDR: string | null, opts: NftTableOptions = {}): NftTable {
  // Declarations first, then chains, rules and elements (a rule may only name a chain that exists).
  const out: string[] = [];
  const chainLines: string[] = [];
  const ruleLines: string[] = [];
  const elementLines: string[] = [];
  const chain = (name: string, spec = '') => chainLines.push(`add chain ${T} ${name}${spec ? ` { ${spec} }` : ''}`);
  const rule = (name: string, body: string) => ruleLines.push(`add rule ${T} ${name} ${body}`);
  const element = (set: string, body: string) => elementLines.push(`add element ${T} ${set} { ${body} }`);
  const mark = `0x${(opts.masqueradeMark ?? 0x4000).toString(16)}`;

  out.push(`add table ${T} { comment "rules for kube-proxy" ; }`);
  out.push(`add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`);
  out.push(
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
  );
  out.push(
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
  );
  chain('mark-for-masquerade');
  rule('mark-for-masquerade', `mark set mark or ${mark}`);
  chain('masquerading');
  rule('masquerading', `mark and ${mark} == 0 return`);
  rule('masquerading', `mark set mark xor ${mark}`);
  rule('masquerading', 'masquerade fully-random');
  chain('reject-chain', 'comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ;');
  rule('reject-chain', 'reject');
  chain('services');
  if (opts.serviceLookup !== false) rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips');
  chain('service-endpoints-check');
  rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services');
  chain('nat-prerouting', 'type nat hook prerouting priority -100 ;');
  rule('nat-prerouting', 'jump services');
  chain('nat-output', 'type nat hook output priority -100 ;');
  rule('nat-output', 'jump services');
  chain('nat-postrouting', 'type nat hook postrouting priority 100 ;');
  rule('nat-postrouting', 'jump masquerading');
  chain('filter-output', 'type filter hook output priority 0 ;');
  rule('filter-output', 'ct state new jump service-endpoints-check');

  for (const sp of ports) {
    const proto = sp.protocol.toLowerCase();
    const ip = formatIPv4(sp.clusterIP);
    const key = `${ip} . ${proto} . ${sp.port}`;
    const what = `${sp.namespace}/${sp.serviceName}/${proto}/${sp.portName}`;
    element('cluster-ips', ip);
    const eps = sp.endpoints.filter((e) => e.ready);
    if (eps.length === 0) {
      element('no-endpoint-services', `${key} comment "${sp.name}" : goto reject-chain`);
      continue;
    }
    const svc = `service-${hash8(serviceChainNames(sp.name, sp.protocol).cluster, SVC_PREFIX)}-${what}`;
    const epChains = eps.map(
      (e) => `endpoint-${hash8(endpointChainName(sp.name, sp.protocol, e.key), SEP_PREFIX)}-${what}__${e.ipText}/${e.port}`,
    );
    chain(svc);
    if (clusterCIDR) rule(svc, `ip daddr ${ip} ip saddr != ${clusterCIDR} jump mark-for-masquerade`);
    rule(svc, `numgen random mod ${eps.length} vmap { ${epChains.map((c, i) => `${i} : goto ${c}`).join(' , ')} }`);
    eps.forEach((e, i) => {
      chain(epChains[i]);
      rule(epChains[i], `ip saddr ${e.ipText} jump mark-for-masquerade`);
      rule(epChains[i], `meta l4proto ${proto} dnat to ${e.ipText}:${e.port}`);
    });
    element('service-ips', `${key} : goto ${svc}`);
  }
  const text = [...out, ...chainLines, ...ruleLines, ...elementLines].join('\n') + '\n';
  return { text, chains: chainLines.length, rules: ruleLines.length, elements: elementLines.length };
}
