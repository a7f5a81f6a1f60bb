// The environment of kube-proxy's nftables unit tests (pkg/proxy/nftables/proxier_test.go,
// NewFakeProxier): the iptables tests' node and objects (kube-proxy-test-env.ts), plus what
// the nftables fake proxier sets differently: nodePortAddresses [192.168.0.2/32] and the
// service CIDR 172.30.0.0/16 (ServiceCIDR objects; here the cluster's serviceCIDR).
import { configMapFor } from '../../src/cluster/k8s-io.ts';
import { DEFAULT_CONFIG } from '../../src/cluster/config.ts';
import type { Cluster } from '../../src/cluster/model.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { nftablesMode } from '../../src/proxy/nftables/index.ts';
import type { NftablesDataPlane } from '../../src/proxy/nftables/data-plane.ts';
import { makeCluster, testNodeIP, testNodeName } from './kube-proxy-test-env.ts';

export const SERVICE_CIDR = '172.30.0.0/16';

export function nftConfig(overrides: Record<string, unknown> = {}) {
  return parseKubeProxyConfig({
    hostnameOverride: testNodeName,
    clusterCIDR: '10.0.0.0/8',
    nodePortAddresses: [`${testNodeIP}/32`],
    ...overrides,
  });
}

export function nftCluster(objects: unknown[]): Cluster {
  return makeCluster([...objects, configMapFor({ ...DEFAULT_CONFIG, serviceCIDR: SERVICE_CIDR })]);
}

/** NewFakeProxier + makeServiceMap + populateEndpointSlices + syncProxyRules, through the descriptor. */
export function nftPlane(objects: unknown[], overrides: Record<string, unknown> = {}): NftablesDataPlane {
  return nftablesMode.build(nftCluster(objects), nftConfig(overrides)) as NftablesDataPlane;
}

// kube-proxy's sortNFTablesTransaction (helpers_test.go), re-implemented: blank and comment
// lines dropped; lines sorted by object type (table, chain, rule, set, map, element), then by
// object name; rules keep their order within a chain, other lines of one object sort by text.
const OBJECT_ORDER: Record<string, number> = { table: 10, chain: 9, rule: 8, set: 7, map: 6, element: 5 };

export function sortNFTablesTransaction(tx: string): string {
  const lines = tx.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return lines
    .map((l, i) => ({ l, w: l.split(' '), i }))
    .sort((a, b) => {
      if (a.w.length < 5 || b.w.length < 5) return a.i - b.i;
      const ta = OBJECT_ORDER[a.w[1]] ?? 0;
      const tb = OBJECT_ORDER[b.w[1]] ?? 0;
      if (ta !== tb) return tb - ta;
      if (a.w[4] !== b.w[4]) return a.w[4] < b.w[4] ? -1 : 1;
      if (a.w[1] === 'rule') return a.i - b.i;
      return a.l < b.l ? -1 : a.l > b.l ? 1 : a.i - b.i;
    })
    .map((x) => x.l)
    .join('\n');
}

/** dedent: the expected texts below are indented like the Go test's raw strings. */
export function dedent(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .join('\n');
}

/** baseRules of kube-proxy's nftables proxier_test.go: the fixed part of the fake proxier's table. */
export const BASE_RULES = dedent(`
  add table ip kube-proxy { comment "rules for kube-proxy" ; }

  add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
  add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }

  add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
  add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
  add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
  add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
  add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }

  add chain ip kube-proxy cluster-ips-check
  add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
  add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }
  add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
  add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
  add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
  add chain ip kube-proxy firewall-check
  add chain ip kube-proxy mark-for-masquerade
  add chain ip kube-proxy masquerading
  add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
  add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
  add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
  add chain ip kube-proxy nodeport-endpoints-check
  add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
  add chain ip kube-proxy services
  add chain ip kube-proxy service-endpoints-check

  add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
  add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
  add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check
  add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
  add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
  add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
  add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
  add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
  add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check
  add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
  add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
  add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
  add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
  add rule ip kube-proxy masquerading mark set mark xor 0x4000
  add rule ip kube-proxy masquerading masquerade fully-random
  add rule ip kube-proxy nat-output jump services
  add rule ip kube-proxy nat-postrouting jump masquerading
  add rule ip kube-proxy nat-prerouting jump services
  add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
  add rule ip kube-proxy reject-chain reject
  add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
  add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports

  add element ip kube-proxy nodeport-ips { 192.168.0.2 }
  add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
`);
