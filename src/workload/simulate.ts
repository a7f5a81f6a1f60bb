// The packet workload on the discrete-event clock: Poisson connection arrivals from clients to
// services picked by popularity; a connection's first packet walks the proxy's rules, the rest
// hit conntrack. Per-connection state lives in typed arrays; the event loop allocates nothing.
import { Simulator } from '../engine/simulator.ts';
import { exponential, Zipf } from '../engine/distributions.ts';
import type { Rng } from '../engine/rng.ts';
import type { CostModel } from '../metrics/cost-model.ts';
import { firstPacketCpuNs, laterPacketCpuNs, lookupCostNs } from '../metrics/pricing.ts';
import { getMode } from '../proxy/modes.ts';
import { type DataPlane, type Packet, type PacketOrigin, type ProxyModeName, type Verdict, newLookupResult } from '../proxy/types.ts';
import type { Workload } from './schema.ts';
import type { Targets } from './targets.ts';
import type { DnsPlan } from './dns-lookups.ts';
import { KEEP } from '../conntrack/table.ts';

/** The part of the conntrack table the workload needs. */
export interface FlowTable {
  lookup(pkt: Packet, nowNs: number): number;
  insert(pkt: Packet, dnatIP: number, dnatPort: number, snatIP: number, snatPort: number, nowNs: number): number;
  readonly size: number;
}

export interface WorkloadInput {
  mode: ProxyModeName;
  dataPlane: DataPlane;
  flows: FlowTable;
  costModel: CostModel;
  workload: Workload;
  /** Pod-to-ClusterIP targets, and NodePort targets for external clients. */
  internal: Targets;
  external: Targets;
  /** Client addresses: pods on the node under test, and external clients. */
  podIPs: Uint32Array;
  externalIPs: Uint32Array;
  rng: Rng;
  /** DNS lookups for by-name connections (null: no kube-dns, or byName is 0). */
  dns: DnsPlan | null;
}

export interface WorkloadOutcome {
  connections: number;
  packets: number;
  /** Per connection (first packet), in arrival order. */
  rulesEvaluated: Float64Array;
  /** IPVS service-table hash probes per first packet (0 in other modes). */
  hashProbes: Float64Array;
  lookupNs: Float64Array;
  verdicts: Record<Verdict, number>;
  /** Connections refused because conntrack was full. */
  conntrackDrops: number;
  /** By-name lookups, the DNS query packets they sent, and rules the first query of each walked. */
  dnsLookups: number;
  dnsQueries: number;
  dnsRulesEvaluated: number;
  /** Simulated CPU ns spent on all packets, and the simulated time span of the run. */
  cpuNs: number;
  simulatedNs: number;
  /** Wall-clock ns the event loop took (the engine's own speed). */
  wallNs: number;
}

const EV_CONNECT = 1;
const EV_PACKET = 2;
const VERDICTS: Verdict[] = ['DNAT', 'ACCEPT', 'DROP', 'REJECT', 'NONE'];

export function runWorkload(inp: WorkloadInput): WorkloadOutcome {
  const { workload: w, dataPlane: dp, costModel: cm, rng } = inp;
  const n = w.connections;
  const sim = new Simulator({ seed: 0, initialQueueCapacity: 1024 });
  // Popularity ranks are shuffled over the targets so the most popular service is not also
  // the first rule in KUBE-SERVICES (kube-proxy's order has nothing to do with popularity).
  const internalPick = picker(inp.internal.count, w.popularity, rng);
  const externalPick = picker(inp.external.count, w.popularity, rng);
  const connSrc = new Uint32Array(n);
  const connSport = new Uint16Array(n);
  const connDst = new Uint32Array(n);
  const connDport = new Uint16Array(n);
  const connProto = new Uint8Array(n);
  const connExternal = new Uint8Array(n);
  const connByName = new Uint8Array(n);
  const connService = new Int32Array(n);
  const rules = new Float64Array(n);
  const probes = new Float64Array(n);
  const lookupNs = new Float64Array(n);
  const verdictCounts = new Int32Array(VERDICTS.length);
  const pkt: Packet = { src: 0, dst: 0, proto: 6, sport: 0, dport: 0 };
  const out = newLookupResult();
  const mode = getMode(inp.mode);
  const laterNs = laterPacketCpuNs(cm, mode);
  let cpuNs = 0;
  let packets = 0;
  let drops = 0;
  let dnsLookups = 0;
  let dnsQueries = 0;
  let dnsRules = 0;

  // Arrivals are drawn up front: a Poisson process is exponential gaps.
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += Math.round(exponential(rng, w.connectionRate) * 1e9);
    const ext = inp.external.count > 0 && rng.next() < w.external;
    const targets = ext ? inp.external : inp.internal;
    const k = ext ? externalPick() : internalPick();
    connExternal[i] = ext ? 1 : 0;
    const clients = ext ? inp.externalIPs : inp.podIPs;
    connSrc[i] = clients[rng.int(0, clients.length)];
    connSport[i] = rng.int(32768, 61000); // net.ipv4.ip_local_port_range default
    connDst[i] = targets.ip[k];
    connDport[i] = targets.port[k];
    connProto[i] = targets.proto[k];
    connService[i] = targets.service[k];
    connByName[i] = !ext && inp.dns && rng.next() < w.byName ? 1 : 0;
    sim.at(t, EV_CONNECT, i, 0);
  }

  const load = (i: number) => {
    pkt.src = connSrc[i];
    pkt.sport = connSport[i];
    pkt.dst = connDst[i];
    pkt.dport = connDport[i];
    pkt.proto = connProto[i] as Packet['proto'];
  };
  const origin: PacketOrigin = 'forwarded';
  const started = process.hrtime.bigint();
  sim.run((s, kind, a, b) => {
    const i = a;
    load(i);
    packets++;
    if (kind === EV_CONNECT) {
      if (connByName[i]) {
        // The lookup's queries share one UDP socket: the first walks the rules to kube-dns,
        // the rest and every reply hit conntrack.
        const dns = inp.dns!;
        const queries = dns.queriesFor(connService[i]);
        const sport = pkt.sport;
        const dst = pkt.dst,
          dport = pkt.dport,
          proto = pkt.proto;
        pkt.dst = dns.serverIP;
        pkt.dport = dns.serverPort;
        pkt.proto = dns.proto;
        pkt.sport = 1024 + ((sport * 7919) % 31744); // another ephemeral port than the connection's
        dp.lookup(pkt, origin, rng, out);
        const lns = lookupCostNs(cm, mode, out);
        dnsRules += out.rulesEvaluated;
        if (out.verdict === 'DNAT') inp.flows.insert(pkt, out.endpointIP, out.endpointPort, KEEP, KEEP, s.now);
        cpuNs += firstPacketCpuNs(cm, mode, lns) + (2 * queries - 1) * laterNs;
        packets += 2 * queries;
        dnsLookups++;
        dnsQueries += queries;
        pkt.dst = dst;
        pkt.dport = dport;
        pkt.proto = proto;
        pkt.sport = sport;
      }
      dp.lookup(pkt, origin, rng, out);
      rules[i] = out.rulesEvaluated;
      probes[i] = out.hashProbes;
      const lns = lookupCostNs(cm, mode, out);
      lookupNs[i] = lns;
      cpuNs += firstPacketCpuNs(cm, mode, lns);
      verdictCounts[VERDICTS.indexOf(out.verdict)]++;
      if (out.verdict !== 'DNAT') return; // rejected or dropped: the client gives up
      if (inp.flows.insert(pkt, out.endpointIP, out.endpointPort, KEEP, KEEP, s.now) < 0) {
        drops++;
        return;
      }
      if (w.packetsPerConnection > 1) s.after(exponential(rng, 1 / Math.max(1, w.packetIntervalNs)), EV_PACKET, i, 1);
    } else {
      inp.flows.lookup(pkt, s.now);
      cpuNs += laterNs;
      if (b + 1 < w.packetsPerConnection) s.after(exponential(rng, 1 / Math.max(1, w.packetIntervalNs)), EV_PACKET, i, b + 1);
    }
  });
  const wallNs = Number(process.hrtime.bigint() - started);
  const verdicts = Object.fromEntries(VERDICTS.map((v, j) => [v, verdictCounts[j]])) as Record<Verdict, number>;
  return {
    connections: n,
    packets,
    rulesEvaluated: rules,
    hashProbes: probes,
    lookupNs,
    verdicts,
    conntrackDrops: drops,
    dnsLookups,
    dnsQueries,
    dnsRulesEvaluated: dnsRules,
    cpuNs,
    simulatedNs: sim.now,
    wallNs,
  };
}

/** A sampler of target indexes: uniform, or Zipf over a seeded shuffle of the targets. */
function picker(count: number, popularity: Workload['popularity'], rng: Rng): () => number {
  if (count === 0) return () => 0;
  if (popularity.kind === 'uniform') return () => rng.int(0, count);
  const zipf = new Zipf(count, popularity.s);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return () => order[zipf.sample(rng) - 1];
}
