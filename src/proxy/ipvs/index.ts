// kube-proxy's IPVS mode: the kernel's hashed virtual-server table (ip_vs_svc_table), real
// schedulers, kube-proxy's ipsets and its small fixed iptables ruleset. A first packet is one
// hash lookup plus a few fixed rules, whatever the number of services.
import { restoreNs } from '../../netfilter/costs.ts';
import type { ProxyModeDescriptor } from '../mode.ts';
import { IpvsDataPlane } from './data-plane.ts';
import type { IpvsModeOptions } from './options.ts';

export { IpvsDataPlane, type IpvsSyncDetail } from './data-plane.ts';
export type { IpvsModeOptions } from './options.ts';

/** IPVS with non-default kernel parameters (e.g. a bigger service hash table), for experiments and tests. */
export function createIpvsMode(options: IpvsModeOptions = {}): ProxyModeDescriptor {
  return { ...ipvsMode, build: (cluster, config) => new IpvsDataPlane(cluster, config, options) };
}

/** IPVS with the kernel's defaults (256-bucket service table). */
export const ipvsMode: ProxyModeDescriptor = {
  name: 'ipvs',
  label: 'IPVS',
  summary: "the kernel's IPVS virtual-server hash table with kube-proxy's ipsets and fixed iptables rules",
  display: { color: '#f28e2b', shape: 'triangle-up', order: 30 },
  formats: ['ipvsadm', 'ipset', 'iptables-save'],
  capabilities: {
    perPacketUserspace: false,
    localhostNodePorts: false,
    ownConnectionTracking: true,
    socketLoadBalancing: false,
    incrementalSync: true,
  },
  stats: [
    {
      name: 'iptables_rules',
      unit: 'count',
      help: "rules of kube-proxy's fixed IPVS-mode iptables ruleset",
      aggregate: 'set',
      countIn: { format: 'iptables-save', line: /^-A / },
    },
    {
      name: 'iptables_chains',
      unit: 'count',
      help: 'user chains of that ruleset',
      aggregate: 'set',
      countIn: { format: 'iptables-save', line: /^:KUBE-/ },
    },
    { name: 'ipset_entries', unit: 'count', help: "members of kube-proxy's ipsets", countIn: { format: 'ipset', line: /^\d\S*$/ } },
    {
      name: 'ipvs_virtual_servers',
      unit: 'count',
      help: 'IPVS virtual services',
      countIn: { format: 'ipvsadm', line: /^(TCP|UDP|SCTP) / },
    },
    {
      name: 'ipvs_real_servers',
      unit: 'count',
      help: 'IPVS real servers over all virtual services',
      countIn: { format: 'ipvsadm', line: /^ {2}-> \d/ },
    },
  ],
  syncWork: [
    { name: 'restore_lines', unit: 'lines', help: 'lines of the fixed iptables ruleset restored on every sync', aggregate: 'set' },
    { name: 'total_rules', unit: 'count', help: 'rules in that ruleset', aggregate: 'set' },
    { name: 'netlink_ops', unit: 'ops', help: 'IPVS netlink operations (virtual/real server add, edit, delete)' },
    { name: 'ipset_ops', unit: 'ops', help: 'ipset members added or removed' },
  ],
  variants: [],
  costs: {
    ipvsProbeNs: {
      value: 10,
      unit: 'ns',
      // One step of an ip_vs_svc_table chain compares protocol, address and port held in one cache
      // line of struct ip_vs_service; chains walked for every new connection stay in L2.
      source:
        'Estimate: one ip_vs_svc_table chain step is a pointer chase plus a compare in L2, ~10 ns (ipvs-kernel-tables: 256 buckets, so steps grow as services/512)',
    },
    ipvsScheduleNs: { value: 300, unit: 'ns', source: 'Estimate: scheduler pick plus ip_vs_conn_new (an allocation and a hash insert)' },
    ipvsNetlinkOpNs: {
      value: 300_000,
      unit: 'ns',
      source:
        'huawei2017-ipvs-rule-add: adding a VIP with its backends "~2 ms", flat in services; a VIP with 3 backends and its ipset entry is ~6 netlink operations (probably includes ipvsadm process start: calibrate to replace it)',
    },
    ipsetOpNs: { value: 300_000, unit: 'ns', source: 'huawei2017-ipvs-rule-add: priced like one IPVS netlink operation (same figure)' },
  },
  pricing: {
    lookupNs: (p, r) => r.rulesEvaluated * p.iptablesRuleNs + r.hashProbes * p.ipvsProbeNs + (r.verdict === 'DNAT' ? p.ipvsScheduleNs : 0),
    syncNs: (p, w, ctx) =>
      restoreNs(p, w.restore_lines ?? 0, w.total_rules ?? 0, ctx.iptablesProfile) +
      (w.netlink_ops ?? 0) * p.ipvsNetlinkOpNs +
      (w.ipset_ops ?? 0) * p.ipsetOpNs,
  },
  expect: { lookupExponent: { min: -0.1, max: 0.3 }, wallLookupExponent: { max: 0.3 } },
  build: (cluster, config) => new IpvsDataPlane(cluster, config),
};
