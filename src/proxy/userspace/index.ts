// The legacy userspace proxy mode (removed in Kubernetes 1.26): portal rules steer a service's
// connections to a port kube-proxy listens on, and kube-proxy copies every byte to the backend.
import { invocationsNs } from '../../netfilter/costs.ts';
import type { ProxyModeDescriptor } from '../mode.ts';
import { UserspaceDataPlane, type UserspaceModeOptions } from './data-plane.ts';

export { UserspaceDataPlane, type UserspaceModeOptions } from './data-plane.ts';

/** Userspace mode with a fixed proxy-port range or seed, for experiments and tests. */
export function createUserspaceMode(options: UserspaceModeOptions = {}): ProxyModeDescriptor {
  return { ...userspaceMode, build: (cluster, config) => new UserspaceDataPlane(cluster, config, options) };
}

export const userspaceMode: ProxyModeDescriptor = {
  name: 'userspace',
  label: 'userspace',
  summary: 'the legacy userspace proxy: portal rules to a kube-proxy socket, every byte copied through user space',
  display: { color: '#e15759', shape: 'circle', order: 10 },
  formats: ['iptables-save'],
  capabilities: {
    perPacketUserspace: true,
    localhostNodePorts: false,
    ownConnectionTracking: false,
    socketLoadBalancing: false,
    incrementalSync: false,
  },
  stats: [
    { name: 'iptables_rules', unit: 'count', help: 'portal rules and their jumps', countIn: { format: 'iptables-save', line: /^-A / } },
    {
      name: 'iptables_chains',
      unit: 'count',
      help: 'KUBE-PORTALS-*/KUBE-NODEPORT-* chains',
      countIn: { format: 'iptables-save', line: /^:KUBE-/ },
    },
    { name: 'proxy_ports', unit: 'count', help: 'proxy sockets kube-proxy listens on' },
  ],
  syncWork: [
    { name: 'port_ops', unit: 'ops', help: 'proxy sockets opened or closed (NodePorts held open included)' },
    { name: 'iptables_invocations', unit: 'commands', help: '`iptables` commands run (each copies the whole table)' },
    { name: 'total_rules', unit: 'count', help: 'rules in the tables after the sync' },
  ],
  variants: [],
  costs: {
    proxyPortOpNs: { value: 100_000, unit: 'ns', source: 'Estimate: socket(), bind(), listen() and starting the proxy loop' },
  },
  pricing: {
    lookupNs: (p, r) => r.rulesEvaluated * p.iptablesRuleNs,
    syncNs: (p, w) => (w.port_ops ?? 0) * p.proxyPortOpNs + invocationsNs(p, w.iptables_invocations ?? 0, w.total_rules ?? 0),
  },
  expect: { lookupExponent: { min: 0.8, max: 1.2 }, wallLookupExponent: { min: 0.7, max: 1.3 } },
  build: (cluster, config) => new UserspaceDataPlane(cluster, config),
};
