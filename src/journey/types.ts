// The packet journey's records: every hop a packet takes (with what it cost on the simulated
// clock and how it rewrote the packet), and one connection's whole journey. See docs/journey.md.
import type { Verdict } from '../proxy/types.ts';
import { type ProtoNumber } from '../util/proto.ts';

/** How pods on different nodes reach each other: plain routes (host-gw, BGP) or a VXLAN overlay. */
export type NetworkKind = 'routed' | 'vxlan';
export const NETWORK_KINDS: readonly NetworkKind[] = ['routed', 'vxlan'];

/** Which part of a connection a hop belongs to. */
export type Phase = 'dns' | 'request' | 'reply';
export const PHASES: readonly Phase[] = ['dns', 'request', 'reply'];

/** What a hop is, for latency percentiles per kind. */
export type HopKind =
  /** bridge + veth into or out of a pod's network namespace */
  | 'veth'
  /** the proxy's rules (or IPVS table, or userspace portal) for a new flow */
  | 'rules'
  /** the user/kernel crossing of the userspace proxy */
  | 'userspace'
  /** conntrack: a new entry confirmed, or an existing one found (with its NAT applied) */
  | 'conntrack'
  /** MASQUERADE source-port selection */
  | 'snat'
  /** routing and the netfilter hooks of one node (the plain kernel path) */
  | 'forward'
  | 'encap'
  | 'decap'
  /** node to node, or between the cluster and an outside client */
  | 'wire'
  /** a DNS server answering (CoreDNS or NodeLocal DNSCache) */
  | 'dns-server'
  /** a DNS server asking the resolvers outside the cluster */
  | 'dns-upstream'
  /** delivery to a host-network process (0 ns: the kernel path is in `forward`) */
  | 'host';
export const HOP_KINDS: readonly HopKind[] = [
  'veth',
  'rules',
  'userspace',
  'conntrack',
  'snat',
  'forward',
  'encap',
  'decap',
  'wire',
  'dns-server',
  'dns-upstream',
  'host',
];

/** A packet's addresses (uint32 IPs), before or after a hop. */
export interface Tuple {
  src: number;
  sport: number;
  dst: number;
  dport: number;
}

export interface Hop {
  /** Position in the connection's journey, from 0. */
  seq: number;
  phase: Phase;
  /** What happened, e.g. veth-out, rules, snat, conntrack, vxlan-encap, wire, veth-in, coredns. */
  name: string;
  kind: HopKind;
  /** Node the hop happens on ('external' for the outside world). */
  node: string;
  /** Simulated time the hop starts, ns. */
  startNs: number;
  /** Simulated time the hop takes, ns. */
  ns: number;
  before: Tuple;
  after: Tuple;
  /** A short remark: the verdict, "hit"/"new", the SNAT port candidates, the DNS question... */
  note: string;
}

/** How a connection ended. */
export type Outcome =
  /** reached the endpoint and the reply came back translated to what the client sent to */
  | 'delivered'
  /** reached the endpoint, but the reply came back without reverse NAT (it bypassed the NAT node) */
  | 'reply-untranslated'
  /** the rules dropped it (externalTrafficPolicy Local with no local endpoint, source ranges...) */
  | 'dropped'
  /** the rules rejected it (a service without endpoints) */
  | 'rejected'
  /** addressed to a service IP no rule matched: it leaves by the default route and is lost */
  | 'unrouted'
  /** the name did not resolve */
  | 'dns-failed'
  /** conntrack table full (nf_conntrack: table full, dropping packet) */
  | 'conntrack-full'
  /** conntrack refused the entry (a tuple already tracked: insert_failed) */
  | 'conntrack-clash'
  /** MASQUERADE found no free source port */
  | 'snat-exhausted';
export const OUTCOMES: readonly Outcome[] = [
  'delivered',
  'reply-untranslated',
  'dropped',
  'rejected',
  'unrouted',
  'dns-failed',
  'conntrack-full',
  'conntrack-clash',
  'snat-exhausted',
];

export type ClientKind = 'pod' | 'external';

/** One DNS query a lookup sent. */
export interface DnsQueryRecord {
  /** The name sent, with the trailing dot. */
  name: string;
  type: string;
  rcode: string;
  /** Where the query went: CoreDNS through the kube-dns Service, or NodeLocal DNSCache. */
  route: 'coredns' | 'nodelocal-hit' | 'nodelocal-miss' | 'nodelocal-upstream';
  /** The pod's query was DNATed by the node's data plane to a CoreDNS pod (false with NodeLocal DNSCache). */
  dnat: boolean;
  /** The CoreDNS pod that answered (dotted quad), '' when none did. */
  replica: string;
  /** CoreDNS's (or NodeLocal's) cache answered. */
  cacheHit: boolean;
  /** Client-side source port of the query (A and AAAA of one name share it, as glibc sends them). */
  sport: number;
  /** Time from sending to the answer reaching the pod, ns. */
  rttNs: number;
}

export interface DnsLookupRecord {
  name: string;
  rcode: string;
  /** The address the client connects to ('' when the lookup failed). */
  address: string;
  queries: DnsQueryRecord[];
}

/** One connection's whole journey. */
export interface Journey {
  id: number;
  proto: ProtoNumber;
  clientKind: ClientKind;
  /** The client's address and source port. */
  client: { ip: number; port: number };
  /** Node the client is on (pod) or the node its packets enter (external). */
  ingressNode: string;
  /** The client pod's namespace ('' for external clients). */
  namespace: string;
  /** What the client asked for: a DNS name, or '' when it used an address. */
  name: string;
  /** Destination the client sent to (after DNS). */
  dst: { ip: number; port: number };
  dns: DnsLookupRecord | null;
  /** Verdict of the proxy's rules on the ingress node for the connection's first packet (NONE if conntrack already knew it). */
  verdict: Verdict | null;
  outcome: Outcome;
  /** The ingress node masqueraded it (its source became the node's address). */
  masqueraded: boolean;
  /** Where it was delivered: the endpoint's address and node ('' node: outside the cluster). */
  endpoint: { ip: number; port: number; node: string } | null;
  /** The packet as the destination pod saw it. */
  podSaw: Tuple | null;
  /** podSaw.src is the client's own address. */
  sourcePreserved: boolean | null;
  /** The reply as the client saw it. */
  reply: Tuple | null;
  hops: Hop[];
  startNs: number;
  /** Simulated ns per phase, and in total (DNS + request + reply). */
  dnsNs: number;
  requestNs: number;
  replyNs: number;
  totalNs: number;
  /** Journey clock: where the next hop starts. */
  cursor: number;
}
