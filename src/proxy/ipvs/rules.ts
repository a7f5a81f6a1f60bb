// The small fixed iptables ruleset kube-proxy's IPVS mode installs (proxier.go 1.25:
// createAndLinkKubeChain, writeIptablesRules, acceptIPVSTraffic). Rules matching an empty
// ipset are left out, as kube-proxy leaves them out; nothing here grows with the number of
// services: the sets do.
import type { IpSet } from '../../ipset/index.ts';
import * as K from '../../ipset/kube-sets.ts';
import { appendRule, ensureChain, ensureTable, newRuleset, type Ruleset, type TableName } from '../../netfilter/index.ts';
import type { IpvsOptions } from './options.ts';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_NODE_PORT = 'KUBE-NODE-PORT';
export const KUBE_LOAD_BALANCER = 'KUBE-LOAD-BALANCER';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_SOURCE_RANGES_FIREWALL = 'KUBE-SOURCE-RANGES-FIREWALL';

const NAT_CHAINS = [KUBE_SERVICES, KUBE_POSTROUTING, KUBE_NODE_PORT, KUBE_LOAD_BALANCER, KUBE_MARK_MASQ];
const FILTER_CHAINS = [KUBE_FORWARD, KUBE_NODE_PORT, KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL];

/** iptablesJumpChain, each inserted at the top of its built-in chain (EnsureRule Prepend). */
const JUMPS: [TableName, string, string, string][] = [
  ['nat', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals'],
  ['nat', 'PREROUTING', KUBE_SERVICES, 'kubernetes service portals'],
  ['nat', 'POSTROUTING', KUBE_POSTROUTING, 'kubernetes postrouting rules'],
  ['filter', 'FORWARD', KUBE_FORWARD, 'kubernetes forwarding rules'],
  ['filter', 'INPUT', KUBE_NODE_PORT, 'kubernetes health check rules'],
  ['filter', 'INPUT', KUBE_PROXY_FIREWALL, 'kube-proxy firewall rules'],
  ['filter', 'FORWARD', KUBE_PROXY_FIREWALL, 'kube-proxy firewall rules'],
];

/** ipsetWithIptablesChain: [set, table, from chain, target, match flags, protocol]. */
const SET_RULES: [string, TableName, string, string, string, string][] = [
  [K.KUBE_LOOP_BACK, 'nat', KUBE_POSTROUTING, 'MASQUERADE', 'dst,dst,src', ''],
  [K.KUBE_LOAD_BALANCER, 'nat', KUBE_SERVICES, KUBE_LOAD_BALANCER, 'dst,dst', ''],
  [K.KUBE_LOAD_BALANCER_LOCAL, 'nat', KUBE_LOAD_BALANCER, 'RETURN', 'dst,dst', ''],
  [K.KUBE_NODE_PORT_LOCAL_TCP, 'nat', KUBE_NODE_PORT, 'RETURN', 'dst', 'tcp'],
  [K.KUBE_NODE_PORT_TCP, 'nat', KUBE_NODE_PORT, KUBE_MARK_MASQ, 'dst', 'tcp'],
  [K.KUBE_NODE_PORT_LOCAL_UDP, 'nat', KUBE_NODE_PORT, 'RETURN', 'dst', 'udp'],
  [K.KUBE_NODE_PORT_UDP, 'nat', KUBE_NODE_PORT, KUBE_MARK_MASQ, 'dst', 'udp'],
  [K.KUBE_NODE_PORT_LOCAL_SCTP, 'nat', KUBE_NODE_PORT, 'RETURN', 'dst,dst', 'sctp'],
  [K.KUBE_NODE_PORT_SCTP, 'nat', KUBE_NODE_PORT, KUBE_MARK_MASQ, 'dst,dst', 'sctp'],
  [K.KUBE_LOAD_BALANCER_FW, 'filter', KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL, 'dst,dst', ''],
  [K.KUBE_LOAD_BALANCER_SOURCE_CIDR, 'filter', KUBE_SOURCE_RANGES_FIREWALL, 'RETURN', 'dst,dst,src', ''],
  [K.KUBE_LOAD_BALANCER_SOURCE_IP, 'filter', KUBE_SOURCE_RANGES_FIREWALL, 'RETURN', 'dst,dst,src', ''],
];

export interface FixedRules {
  ruleset: Ruleset;
  /** Lines of the iptables-restore input kube-proxy writes (headers, chains, rules, COMMITs). */
  restoreLines: number;
  /** Rules referencing each set (ipset list's "References"). */
  setReferences: Map<string, number>;
}

export function buildFixedRules(sets: ReadonlyMap<string, IpSet>, o: IpvsOptions): FixedRules {
  const rs = newRuleset();
  const nat = ensureTable(rs, 'nat');
  const filter = ensureTable(rs, 'filter');
  // iptables-save order: built-in chains, then user chains sorted by name.
  for (const c of ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']) ensureChain(nat, c);
  for (const c of ['INPUT', 'FORWARD', 'OUTPUT']) ensureChain(filter, c);
  for (const c of [...NAT_CHAINS].sort()) ensureChain(nat, c);
  for (const c of [...FILTER_CHAINS].sort()) ensureChain(filter, c);
  for (const [t, from, to, comment] of [...JUMPS].reverse()) {
    appendRule(t === 'nat' ? nat : filter, from, `-m comment --comment "${comment}" -j ${to}`);
  }

  const refs = new Map<string, number>();
  let kubeRules = 0;
  const add = (t: TableName, chain: string, text: string) => {
    appendRule(t === 'nat' ? nat : filter, chain, text);
    kubeRules++;
    const m = / --match-set (\S+) /.exec(text);
    if (m) refs.set(m[1], (refs.get(m[1]) ?? 0) + 1);
  };
  const nonEmpty = (name: string) => (sets.get(name)?.size ?? 0) > 0;
  const comment = (name: string) => `-m comment --comment "${sets.get(name)!.comment}"`;
  const mark = o.masqueradeMark;

  for (const [name, table, from, to, flags, proto] of SET_RULES) {
    if (!nonEmpty(name)) continue;
    add(table, from, `${proto ? `-p ${proto} ` : ''}${comment(name)} -m set --match-set ${name} ${flags} -j ${to}`);
  }
  if (nonEmpty(K.KUBE_CLUSTER_IP)) {
    const base = `${comment(K.KUBE_CLUSTER_IP)} -m set --match-set ${K.KUBE_CLUSTER_IP}`;
    if (o.masqueradeAll) add('nat', KUBE_SERVICES, `${base} dst,dst -j ${KUBE_MARK_MASQ}`);
    else if (o.localCIDR) add('nat', KUBE_SERVICES, `${base} dst,dst ! -s ${o.localCIDRText} -j ${KUBE_MARK_MASQ}`);
    // Without a detector: masquerade node-originated traffic whose source is a service VIP.
    else add('nat', KUBE_SERVICES, `${base} src,dst -j ${KUBE_MARK_MASQ}`);
  }
  // externalIPRules: accept traffic from off the machine, and traffic to IPs that are local.
  const externalIPRules = (base: string) => {
    add('nat', KUBE_SERVICES, `${base} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`);
    add('nat', KUBE_SERVICES, `${base} -m addrtype --dst-type LOCAL -j ACCEPT`);
  };
  if (nonEmpty(K.KUBE_EXTERNAL_IP)) {
    const base = `${comment(K.KUBE_EXTERNAL_IP)} -m set --match-set ${K.KUBE_EXTERNAL_IP} dst,dst`;
    add('nat', KUBE_SERVICES, `${base} -j ${KUBE_MARK_MASQ}`);
    externalIPRules(base);
  }
  if (nonEmpty(K.KUBE_EXTERNAL_IP_LOCAL))
    externalIPRules(`${comment(K.KUBE_EXTERNAL_IP_LOCAL)} -m set --match-set ${K.KUBE_EXTERNAL_IP_LOCAL} dst,dst`);
  add('nat', KUBE_SERVICES, `-m addrtype --dst-type LOCAL -j ${KUBE_NODE_PORT}`);
  add('nat', KUBE_LOAD_BALANCER, `-j ${KUBE_MARK_MASQ}`);
  add('filter', KUBE_SOURCE_RANGES_FIREWALL, '-j DROP');
  // acceptIPVSTraffic: the end of KUBE-SERVICES accepts whatever IPVS will handle.
  for (const name of [K.KUBE_CLUSTER_IP, K.KUBE_LOAD_BALANCER]) {
    if (nonEmpty(name)) add('nat', KUBE_SERVICES, `-m set --match-set ${name} dst,dst -j ACCEPT`);
  }
  add('filter', KUBE_FORWARD, `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  add(
    'filter',
    KUBE_FORWARD,
    '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  add(
    'filter',
    KUBE_NODE_PORT,
    `${comment(K.KUBE_HEALTH_CHECK_NODE_PORT)} -m set --match-set ${K.KUBE_HEALTH_CHECK_NODE_PORT} dst -j ACCEPT`,
  );
  add('nat', KUBE_POSTROUTING, `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
  add('nat', KUBE_POSTROUTING, `-j MARK --xor-mark ${mark}`);
  add(
    'nat',
    KUBE_POSTROUTING,
    `-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${o.randomFully ? ' --random-fully' : ''}`,
  );
  add('nat', KUBE_MARK_MASQ, `-j MARK --or-mark ${mark}`);

  // *nat, its chain lines, rules, COMMIT; the same for *filter.
  const restoreLines = 2 + NAT_CHAINS.length + 2 + FILTER_CHAINS.length + kubeRules;
  return { ruleset: rs, restoreLines, setReferences: refs };
}
