// The iptables proxy mode (kube-proxy --proxy-mode=iptables): KUBE-SERVICES -> KUBE-SVC-* ->
// KUBE-SEP-* rendered as kube-proxy renders it, loaded into the netfilter model and walked rule
// by rule, so a first packet's cost grows with the services before its own (O(n)).
import { restoreNs } from '../../netfilter/costs.ts';
import type { ProxyModeDescriptor } from '../mode.ts';
import { IptablesDataPlane } from './dataplane.ts';

export const iptablesMode: ProxyModeDescriptor = {
  name: 'iptables',
  label: 'iptables',
  summary: "kube-proxy's iptables rules (KUBE-SERVICES -> KUBE-SVC -> KUBE-SEP), walked rule by rule",
  display: { color: '#4e79a7', shape: 'square', order: 20 },
  formats: ['iptables-save'],
  capabilities: {
    perPacketUserspace: false,
    localhostNodePorts: true,
    ownConnectionTracking: false,
    socketLoadBalancing: false,
    incrementalSync: false,
  },
  stats: [
    {
      name: 'iptables_rules',
      unit: 'count',
      help: 'rules in the filter and nat tables',
      countIn: { format: 'iptables-save', line: /^-A / },
    },
    {
      name: 'iptables_chains',
      unit: 'count',
      help: 'chains in the filter and nat tables',
      countIn: { format: 'iptables-save', line: /^:/ },
    },
  ],
  ruleCount: 'iptables_rules',
  syncWork: [
    { name: 'restore_lines', unit: 'lines', help: 'lines of iptables-restore input written' },
    { name: 'total_rules', unit: 'count', help: 'rules in the tables after the sync (legacy restore re-validates them all)' },
  ],
  variants: [
    {
      name: 'partial',
      label: 'partial restores (KEP-3453)',
      help: 'minimizeIPTablesRestore: a sync rewrites the fixed chains and the chains of the services that changed',
      display: { color: '#59a14f', shape: 'diamond' },
    },
  ],
  costs: {},
  pricing: {
    lookupNs: (p, r) => r.rulesEvaluated * p.iptablesRuleNs,
    syncNs: (p, w, ctx) => restoreNs(p, w.restore_lines ?? 0, w.total_rules ?? 0, ctx.iptablesProfile),
  },
  expect: { lookupExponent: { min: 0.8, max: 1.2 }, wallLookupExponent: { min: 0.7, max: 1.3 } },
  build: (cluster, config, opts) => new IptablesDataPlane(cluster, config, {}, undefined, opts?.variant === 'partial'),
};

export { IptablesDataPlane } from './dataplane.ts';
export { IptablesDumpPlane } from './dump-plane.ts';
export type { DetailedTrace } from './ruleset-plane.ts';
export type { HookTrace } from './hook-walk.ts';
