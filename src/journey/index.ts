// The full journey of a packet through a cluster: DNS, the proxy's rules, conntrack, SNAT,
// the pod network and back. See docs/journey.md.
export * from './types.ts';
export { Topology, type NodeInfo, type Location } from './topology.ts';
export { ClusterNetwork, type NetworkOptions, type NodeState, type Start, type WalkEnd } from './network.ts';
export { newWalkInfo, reverse, sameTuple, tupleOf, type WalkInfo } from './packets.ts';
export { DnsPlane, FORWARD_EXPIRE_NS, RESOLVER_TIMEOUT_NS, type DnsPlaneStats } from './dns-plane.ts';
export {
  beginJourney,
  resolveStep,
  requestStep,
  replyStep,
  runJourney,
  type ConnectionSpec,
  type PodClient,
  type ExternalClient,
} from './journey.ts';
export { buildWorkload, type Workload, type PodTarget, type ExternalTarget, type ClientPod } from './targets.ts';
export { simulate, DEFAULT_CLIENT_NODES, EXTRA_DATA_PLANES, type SimulateOptions, type SimulationRun } from './simulate.ts';
export { summarizeRun, formatSummary, type SimulationSummary, type SummaryMeta, type Percentiles } from './summary.ts';
export { hopsCsvChunks, HOP_COLUMNS } from './csv.ts';
