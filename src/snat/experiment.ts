// The MASQUERADE port-collision experiment: many client pods on one node open connections to
// ONE outside destination ip:port; every connection leaves through the node's MASQUERADE, so
// all of them share the node's address and the destination and differ only in the source port
// NAT gives them. Each conntrack entry lives as long as conntrack keeps it: TCP requests close
// at once and sit in TIME_WAIT (2 min), UDP request/response flows last the 30 s unreplied
// timeout. The more connections per second, the more entries alive at once, the more ports
// in use, the more candidates a new connection finds taken.
//
// Arrivals are a Poisson process; each picks a client uniformly and the client picks its own
// source port uniformly from its ephemeral range (re-drawing ports it already uses towards the
// destination). With raceWindowUs > 0, a connection's entry only becomes visible to others that
// much later (the kernel picks the port before the entry is confirmed, and CPUs race in
// between), so two connections can pick the same port and the later one fails to insert.

import { ConntrackTable, INSERT_CLASH, INSERT_DROPPED, KEEP } from '../conntrack/table.ts';
import { Rng } from '../engine/rng.ts';
import { type Packet } from '../proxy/types.ts';
import {
  EPHEMERAL_PORT_RANGE,
  SnatPortAllocator,
  type PortRange,
  type SnatKernel,
  type SnatOffsetMode,
  type SnatSearch,
} from './port-select.ts';
import { PROTO_TCP, PROTO_UDP } from '../util/proto.ts';

export interface MasqueradeExperimentOptions {
  /** Mean new connections per second, over all clients. */
  connectionsPerSecond: number;
  /** Simulated seconds. */
  durationS: number;
  /** Client pods (distinct source addresses). */
  clients: number;
  /** MASQUERADE --random-fully. */
  randomFully: boolean;
  seed: number | string;
  /** 'tcp' (default): closed at once, 2 min TIME_WAIT. 'udp': request/response, 30 s. */
  proto?: 'tcp' | 'udp';
  /** nf_nat behaviour (default 'current'); see SnatOptions. */
  kernel?: SnatKernel;
  /** SNAT start offset without --random-fully (default: the kernel's). */
  offset?: SnatOffsetMode;
  /** SNAT search length (default: the kernel's). */
  search?: SnatSearch;
  /** Delay before a new entry is visible to other connections (µs, default 0 = none). */
  raceWindowUs?: number;
  /** Clients' ephemeral port range (default 32768-60999). */
  clientPortRange?: PortRange;
  /** nf_conntrack_max (default 131072). */
  conntrackMax?: number;
}

export interface MasqueradeExperimentResult {
  connections: number;
  /** Connections that got a conntrack entry. */
  established: number;
  /** Connections that kept their original source port. */
  keptOriginalPort: number;
  /** Connections whose source port came from the search. */
  searched: number;
  /** Candidate ports found taken, in total. */
  collisions: number;
  collisionsPerConnection: number;
  /** Most candidates one connection needed. */
  maxCandidates: number;
  /** Connections with no free port at all (dropped). */
  exhausted: number;
  /** Connections whose entry clashed at insert (only with a race window). */
  insertFailed: number;
  /** Connections refused because the conntrack table was full. */
  tableDrops: number;
  /** Most entries in the table at once. */
  peakEntries: number;
}

const NODE_IP = 0x0a000005; // 10.0.0.5
const DST_IP = 0xc6336407; // 198.51.100.7
const DST_PORT = 443;
const CLIENT_BASE = 0x0af40000; // 10.244.0.0
const SWEEP_EVERY_NS = 1e9;

export function masqueradeCollisionExperiment(opts: MasqueradeExperimentOptions): MasqueradeExperimentResult {
  const { connectionsPerSecond: rate, durationS, clients } = opts;
  if (!(rate > 0 && Number.isFinite(rate))) throw new Error(`connectionsPerSecond must be > 0, got ${rate}`);
  if (!(durationS > 0 && Number.isFinite(durationS))) throw new Error(`durationS must be > 0, got ${durationS}`);
  if (!(Number.isInteger(clients) && clients >= 1 && clients <= 65536))
    throw new Error(`clients must be an integer in [1, 65536], got ${clients}`);
  const proto = opts.proto === 'udp' ? PROTO_UDP : PROTO_TCP;
  const cr = opts.clientPortRange ?? EPHEMERAL_PORT_RANGE;
  const raceNs = Math.round((opts.raceWindowUs ?? 0) * 1e3);

  // Separate streams so runs that differ only in SNAT mode see the same arrivals.
  const root = new Rng(opts.seed);
  const arrivals = root.fork('arrivals');
  const picks = root.fork('clients');
  const table = new ConntrackTable({ max: opts.conntrackMax ?? 131072, initialCapacity: 4096 });
  const snat = new SnatPortAllocator(table, root.fork('snat'), {
    randomFully: opts.randomFully,
    kernel: opts.kernel,
    offset: opts.offset,
    search: opts.search,
  });

  const res: MasqueradeExperimentResult = {
    connections: 0,
    established: 0,
    keptOriginalPort: 0,
    searched: 0,
    collisions: 0,
    collisionsPerConnection: 0,
    maxCandidates: 0,
    exhausted: 0,
    insertFailed: 0,
    tableDrops: 0,
    peakEntries: 0,
  };

  const pkt: Packet = { src: 0, dst: DST_IP, proto: proto, sport: 0, dport: DST_PORT };
  // Connections whose entry is not visible yet (FIFO: confirm times are increasing).
  const pendAt: number[] = [];
  const pendSrc: number[] = [];
  const pendSport: number[] = [];
  const pendNat: number[] = [];
  let pendHead = 0;

  const commit = (atNs: number, src: number, sport: number, natPort: number): void => {
    pkt.src = src;
    pkt.sport = sport;
    const slot = table.insert(pkt, KEEP, KEEP, NODE_IP, natPort, atNs);
    if (slot === INSERT_CLASH) {
      res.insertFailed++;
      return;
    }
    if (slot === INSERT_DROPPED) {
      res.tableDrops++;
      return;
    }
    res.established++;
    table.confirmReply(slot, atNs);
    if (proto === PROTO_TCP) table.close(slot, atNs);
    if (table.size > res.peakEntries) res.peakEntries = table.size;
  };
  const flushUntil = (tNs: number): void => {
    while (pendHead < pendAt.length && pendAt[pendHead] <= tNs) {
      commit(pendAt[pendHead], pendSrc[pendHead], pendSport[pendHead], pendNat[pendHead]);
      pendHead++;
    }
    if (pendHead > 1024 && pendHead * 2 > pendAt.length) {
      pendAt.splice(0, pendHead);
      pendSrc.splice(0, pendHead);
      pendSport.splice(0, pendHead);
      pendNat.splice(0, pendHead);
      pendHead = 0;
    }
  };
  const pendingUses = (src: number, sport: number): boolean => {
    for (let i = pendHead; i < pendAt.length; i++) if (pendSrc[i] === src && pendSport[i] === sport) return true;
    return false;
  };

  const meanGapNs = 1e9 / rate;
  const endNs = durationS * 1e9;
  let t = 0;
  let nextSweepNs = SWEEP_EVERY_NS;
  for (;;) {
    t += Math.max(1, Math.round(-Math.log(1 - arrivals.next()) * meanGapNs));
    if (t >= endNs) break;
    flushUntil(t);
    if (t >= nextSweepNs) {
      // The kernel's gc worker: without it table.size would count expired, unreaped entries.
      table.sweep(t);
      nextSweepNs = t + SWEEP_EVERY_NS;
    }
    const src = (CLIENT_BASE + picks.int(0, clients)) >>> 0;
    let sport = picks.int(cr.min, cr.max + 1);
    for (let guard = 0; table.tupleInUse(proto, src, sport, DST_IP, DST_PORT, t) || pendingUses(src, sport); guard++) {
      if (guard > 1000) throw new Error(`client ${src} has no free ephemeral port: lower the rate or add clients`);
      sport = picks.int(cr.min, cr.max + 1);
    }
    res.connections++;
    const natPort = snat.selectPort(proto, NODE_IP, sport, DST_IP, DST_PORT, t);
    if (natPort < 0) {
      res.exhausted++;
      continue;
    }
    if (raceNs > 0) {
      pendAt.push(t + raceNs);
      pendSrc.push(src);
      pendSport.push(sport);
      pendNat.push(natPort);
    } else {
      commit(t, src, sport, natPort);
    }
  }
  flushUntil(Infinity);

  res.keptOriginalPort = snat.stats.keptOriginal;
  res.searched = snat.stats.searched;
  res.collisions = snat.stats.collisions;
  res.maxCandidates = snat.stats.maxCandidates;
  res.collisionsPerConnection = res.connections > 0 ? res.collisions / res.connections : 0;
  return res;
}
