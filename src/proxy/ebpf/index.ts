// Cilium's kube-proxy replacement (kubeProxyReplacement=true): services in BPF hash maps,
// socket-level load balancing for the node's own pods and processes, the tc/XDP program for
// traffic from outside. A first packet costs a fixed handful of map lookups whatever the number
// of services; a sync writes the changed frontends' map entries (docs/ebpf.md).
import type { ProxyModeDescriptor } from '../mode.ts';
import { ciliumSection } from './config.ts';
import { EBPF_FORMATS, EbpfDataPlane } from './data-plane.ts';

export { EbpfDataPlane } from './data-plane.ts';
export { ciliumSection, type CiliumSettings } from './config.ts';

export const ebpfMode: ProxyModeDescriptor = {
  name: 'ebpf',
  label: 'eBPF (Cilium)',
  summary: "Cilium's kube-proxy replacement: BPF service/backend maps, socket LB at connect(), tc/XDP NodePort path with its own CT",
  display: { color: '#76b7b2', shape: 'triangle-down', order: 50 },
  formats: EBPF_FORMATS,
  capabilities: {
    perPacketUserspace: false,
    // kubeproxy-free.rst: "the NodePort service can be accessed ... via its public, any local ... or loopback address".
    localhostNodePorts: true,
    ownConnectionTracking: true,
    socketLoadBalancing: true,
    incrementalSync: true,
  },
  stats: [
    {
      name: 'lb_service_entries',
      unit: 'count',
      help: 'cilium_lb4_services_v2 entries: per frontend and scope a master entry plus one per backend slot',
      countIn: { format: 'bpf-lb-list', line: /^\d+\.\d+\.\d+\.\d+:\d+\/\w+(\/i)? \(\d+\)/ },
    },
    {
      name: 'lb_backend_entries',
      unit: 'count',
      help: 'cilium_lb4_backends_v3 entries (one per backend address, port and protocol)',
      countIn: { format: 'bpf-lb-backends', line: /^\d+ +\d/ },
    },
    {
      name: 'lb_revnat_entries',
      unit: 'count',
      help: 'cilium_lb4_reverse_nat entries: one per frontend (the service IDs of cilium-dbg service list)',
      countIn: { format: 'service-list', line: /^\d+ +\d/ },
    },
    { name: 'lb_affinity_match_entries', unit: 'count', help: 'cilium_lb_affinity_match entries: backends of ClientIP-affinity frontends' },
    {
      name: 'maglev_table_entries',
      unit: 'count',
      help: 'backend IDs in the Maglev lookup tables (M per north-south frontend with loadBalancer.algorithm=maglev)',
    },
  ],
  syncWork: [
    {
      name: 'map_entries_written',
      unit: 'entries',
      help: 'BPF map entries the agent updated or deleted (changed frontends rewritten whole, backends, rev-NAT, affinity match, Maglev outer)',
    },
    {
      name: 'maglev_entries_computed',
      unit: 'entries',
      help: 'Maglev table slots recomputed: M per frontend whose external backends changed',
    },
    { name: 'map_entries_checked', unit: 'entries', help: 'entries compared by a full reconciliation (every entry of the LB maps)' },
  ],
  variants: [],
  costs: {
    ebpfMapLookupNs: {
      value: 30,
      unit: 'ns',
      source:
        'Estimate: htab_map_lookup_elem hashes a 12-16 byte key with jhash and walks a short bucket (~10 ns in cache); at scale one or two cache misses into a large table add ~20 ns',
    },
    ebpfProgramNs: {
      value: 100,
      unit: 'ns',
      source:
        'Estimate: entering the cgroup connect4 hook or the tc ingress program and its fixed work (context parsing, helper calls such as bpf_get_prandom_u32) around the map lookups',
    },
    ebpfCtCreateNs: {
      value: 200,
      unit: 'ns',
      source:
        "Estimate: an insert into Cilium's LRU CT hash map (cilium_ct4_global): a lookup-sized hash plus the LRU list update, no allocation from the slab as nf_conntrack does",
    },
    ebpfMapUpdateNs: {
      value: 2000,
      unit: 'ns',
      source:
        'Estimate: one bpf(BPF_MAP_UPDATE_ELEM/DELETE_ELEM) syscall from cilium-agent (~1 µs kernel entry, copy and htab update) plus the agent’s per-entry Go work',
    },
    ebpfMaglevEntryNs: {
      value: 5,
      unit: 'ns',
      source:
        'Estimate: the Maglev populate loop (paper section 3.4) does a few arithmetic steps per slot; the M-slot table is written with one array-map update',
    },
    ebpfMapCheckNs: {
      value: 1000,
      unit: 'ns',
      source:
        'Estimate: a full reconciliation reads each entry back (BPF_MAP_GET_NEXT_KEY + LOOKUP_ELEM, two syscalls of ~0.5 µs) and compares it',
    },
  },
  pricing: {
    lookupNs: (p, r) => p.ebpfProgramNs + r.hashProbes * p.ebpfMapLookupNs,
    syncNs: (p, w) =>
      (w.map_entries_written ?? 0) * p.ebpfMapUpdateNs +
      (w.maglev_entries_computed ?? 0) * p.ebpfMaglevEntryNs +
      (w.map_entries_checked ?? 0) * p.ebpfMapCheckNs,
    // No nf_conntrack entry for the translation: Cilium's own CT map takes the connection.
    packetNs: (p, lookupNs, first) => (first ? p.packetBaseNs + lookupNs + p.ebpfCtCreateNs : p.packetBaseNs + p.ebpfMapLookupNs),
  },
  expect: { lookupExponent: { min: -0.1, max: 0.2 }, wallLookupExponent: { max: 0.3 } },
  configSection: ciliumSection,
  build: (cluster, config) => new EbpfDataPlane(cluster, config),
};
