// One connection's journey, in steps the simulator schedules as events: begin (at arrival),
// resolve (the DNS lookup, when the client uses a name), request (the first packet to the
// endpoint) and reply (the answer back through conntrack's reverse mappings). runJourney() does
// all of them at once for a single connection.
import type { Protocol } from '../cluster/k8s-types.ts';
import { EPHEMERAL_PORT_RANGE } from '../snat/port-select.ts';
import { parseIPv4, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import type { ClusterNetwork, Start } from './network.ts';
import { newWalkInfo, reverse, type WalkInfo } from './packets.ts';
import type { NodeInfo } from './topology.ts';
import type { Journey, Tuple } from './types.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP, type ProtoNumber, serviceProtocolNumber } from '../util/proto.ts';

export interface PodClient {
  kind: 'pod';
  ip: string | number;
  /** The pod's namespace (its DNS search list starts with it); default: the cluster's record of the pod, else 'default'. */
  namespace?: string;
}

export interface ExternalClient {
  kind: 'external';
  ip: string | number;
  /** The node its packets reach (the node whose NodePort it uses, or the one a load balancer picked). */
  node: string;
}

export interface ConnectionSpec {
  client: PodClient | ExternalClient;
  /** An address (ClusterIP, node IP for a NodePort, load-balancer IP, pod IP) or a DNS name, and a port. */
  dst: { ip: string | number; port: number } | { name: string; port: number };
  proto?: Protocol | ProtoNumber;
  /** Client source port; default a random free ephemeral port. */
  sport?: number;
}

interface Internal {
  clientNode: NodeInfo;
  tracked: WalkInfo['tracked'];
  /** The request as delivered: where, and the packet as the endpoint saw it. */
  delivered: { kind: 'pod' | 'host' | 'external'; node: NodeInfo | null; pkt: Tuple } | null;
  done: boolean;
}

const state = new WeakMap<Journey, Internal>();

function internal(j: Journey): Internal {
  const s = state.get(j);
  if (!s) throw new Error(`journey ${j.id} was not started with beginJourney`);
  return s;
}

const toIP = (v: string | number, field: string): number => {
  if (typeof v === 'number') return v >>> 0;
  const ip = tryParseIPv4(v);
  if (ip === null) throw new InputError('not an IPv4 address', undefined, field, v);
  return ip;
};

function protoNumber(p: ConnectionSpec['proto']): ProtoNumber {
  if (p === undefined) return PROTO_TCP;
  if (p === PROTO_TCP || p === PROTO_UDP || p === PROTO_SCTP) return p;
  const n = serviceProtocolNumber(p);
  if (n === undefined) throw new InputError('expected TCP, UDP or SCTP', undefined, 'proto', p);
  return n;
}

/** Creates the journey of a new connection arriving at `atNs`. */
export function beginJourney(net: ClusterNetwork, spec: ConnectionSpec, atNs: number, id = 0): Journey {
  const c = spec.client;
  const ip = toIP(c.ip, 'client.ip');
  let clientNode: NodeInfo;
  let namespace = '';
  if (c.kind === 'pod') {
    const pod = net.podsByIP.get(ip);
    const byCidr = net.topology.podNode(ip);
    const node = byCidr ?? (pod?.nodeName ? net.topology.node(pod.nodeName) : undefined);
    if (!node) throw new InputError("the client pod's address is in no node's podCIDR", undefined, 'client.ip', c.ip);
    clientNode = node;
    namespace = c.namespace ?? pod?.namespace ?? 'default';
  } else {
    clientNode = net.topology.node(c.node);
  }
  const byName = 'name' in spec.dst;
  const j: Journey = {
    id,
    proto: protoNumber(spec.proto),
    clientKind: c.kind,
    client: { ip, port: spec.sport ?? 0 },
    ingressNode: clientNode.name,
    namespace,
    name: byName ? (spec.dst as { name: string }).name : '',
    dst: { ip: byName ? 0 : toIP((spec.dst as { ip: string | number }).ip, 'dst.ip'), port: spec.dst.port },
    dns: null,
    verdict: null,
    outcome: 'delivered',
    masqueraded: false,
    endpoint: null,
    podSaw: null,
    sourcePreserved: null,
    reply: null,
    hops: [],
    startNs: atNs,
    dnsNs: 0,
    requestNs: 0,
    replyNs: 0,
    totalNs: 0,
    cursor: atNs,
  };
  if (byName && c.kind === 'external')
    throw new InputError('external clients connect by address (they do not use cluster DNS)', undefined, 'dst.name', j.name);
  state.set(j, { clientNode, tracked: [], delivered: null, done: false });
  return j;
}

/** The DNS lookup, if the client uses a name. Returns false when the journey ends here. */
export function resolveStep(net: ClusterNetwork, j: Journey): boolean {
  const s = internal(j);
  if (j.name === '') return true;
  const t0 = j.cursor;
  j.dns = net.dns.lookup(j, s.clientNode, j.name);
  j.dnsNs = j.cursor - t0;
  if (j.dns.address === '') {
    j.outcome = 'dns-failed';
    finish(j, s);
    return false;
  }
  j.dst.ip = parseIPv4(j.dns.address);
  return true;
}

/** The connection's first packet, from the client to the endpoint. Returns true when delivered. */
export function requestStep(net: ClusterNetwork, j: Journey): boolean {
  const s = internal(j);
  const t0 = j.cursor;
  const cm = net.cm;
  const node = s.clientNode;
  if (j.client.port === 0) j.client.port = pickClientPort(net, j, node);
  const pkt: Tuple = { src: j.client.ip, sport: j.client.port, dst: j.dst.ip, dport: j.dst.port };
  let start: Start;
  if (j.clientKind === 'pod') {
    net.addHop(j, 'request', 'veth-out', 'veth', node.name, cm.vethHopNs, pkt, pkt, 'out of the client pod');
    start = { node, origin: 'forwarded' };
  } else {
    net.addHop(j, 'request', 'wire-in', 'wire', node.name, cm.externalNetworkNs, pkt, pkt, 'from the external client');
    start = { node, origin: 'forwarded' };
  }
  const info = newWalkInfo();
  const end = net.walk(j, 'request', start, j.proto, pkt, info);
  j.verdict = info.firstVerdict;
  j.masqueraded = info.masqueraded;
  s.tracked = info.tracked;
  j.requestNs = j.cursor - t0;
  if (!end.ok) {
    j.outcome = end.outcome;
    finish(j, s);
    return false;
  }
  s.delivered = { kind: end.kind, node: end.node, pkt: end.pkt };
  j.endpoint = { ip: end.pkt.dst, port: end.pkt.dport, node: end.node?.name ?? '' };
  j.podSaw = end.pkt;
  j.sourcePreserved = end.pkt.src === j.client.ip;
  return true;
}

/** The endpoint's answer, back to the client through the reverse NAT mappings. */
export function replyStep(net: ClusterNetwork, j: Journey): void {
  const s = internal(j);
  const d = s.delivered;
  if (!d) throw new Error(`journey ${j.id}: reply before the request was delivered`);
  const t0 = j.cursor;
  const back = reverse(d.pkt);
  let start: Start;
  if (d.kind === 'external' || d.node === null) start = { node: null };
  else {
    if (d.kind === 'pod') net.addHop(j, 'reply', 'veth-out', 'veth', d.node.name, net.cm.vethHopNs, back, back, 'out of the endpoint pod');
    start = { node: d.node, origin: d.kind === 'pod' ? 'forwarded' : 'local' };
  }
  const end = net.walk(j, 'reply', start, j.proto, back, newWalkInfo());
  j.replyNs = j.cursor - t0;
  if (!end.ok) j.outcome = end.outcome;
  else {
    j.reply = end.pkt;
    const p = end.pkt;
    const translated = p.src === j.dst.ip && p.sport === j.dst.port && p.dst === j.client.ip && p.dport === j.client.port;
    j.outcome = translated ? 'delivered' : 'reply-untranslated';
  }
  // Request/response: the client closes at once; TCP entries sit in TIME_WAIT.
  net.closeFlows(j.proto, s.tracked, j.cursor);
  finish(j, s);
}

function finish(j: Journey, s: Internal): void {
  s.done = true;
  j.totalNs = j.dnsNs + j.requestNs + j.replyNs;
}

/** A free ephemeral port for the client (its own kernel would not reuse one it is using towards the same destination). */
function pickClientPort(net: ClusterNetwork, j: Journey, node: NodeInfo): number {
  const { min, max } = EPHEMERAL_PORT_RANGE;
  const rng = net.clientPorts;
  let port = rng.int(min, max + 1);
  for (let i = 0; i < 64 && net.portInUse(node, j.proto, j.client.ip, port, j.dst.ip, j.dst.port, j.cursor); i++)
    port = rng.int(min, max + 1);
  return port;
}

/** Every step of one connection at once, starting at `atNs`. */
export function runJourney(net: ClusterNetwork, spec: ConnectionSpec, atNs = 0, id = 0): Journey {
  const j = beginJourney(net, spec, atNs, id);
  if (resolveStep(net, j) && requestStep(net, j)) replyStep(net, j);
  return j;
}
