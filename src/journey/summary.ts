// The summary of a simulate run (summary.json and the text kpsim prints). Everything in it is
// on the simulated clock, so the same seed gives the same summary byte for byte.
import { summarize } from '../metrics/stats.ts';
import type { Verdict } from '../proxy/types.ts';
import type { SimulationRun } from './simulate.ts';
import { HOP_KINDS, OUTCOMES, type ClientKind, type HopKind, type Outcome } from './types.ts';

export interface Percentiles {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface SimulationSummary {
  scenario: string;
  mode: string;
  network: string;
  services: number;
  nodes: number;
  seed: number | string;
  durationS: number;
  ratePerS: number;
  options: {
    external: number;
    byName: number;
    nodeLocalDns: boolean;
    autopath: boolean;
    randomFully: boolean;
    dnsLookup: string;
    clientNodes: string[];
  };
  connections: { total: number; pod: number; external: number; byName: number; outcomes: Record<Outcome, number> };
  /** Rules verdicts for the connections' first packets on their ingress node. */
  verdicts: Partial<Record<Verdict, number>>;
  dns: {
    lookups: number;
    queries: number;
    amplification: number;
    failed: number;
    dnatQueries: number;
    coreDnsQueries: number;
    coreDnsCacheHits: number;
    nodeLocalHits: number;
    nodeLocalMisses: number;
  };
  conntrack: {
    inserts: number;
    peakEntries: number;
    entriesAtEnd: number;
    perNode: Record<string, number>;
    insertFailed: number;
    tableFullDrops: number;
  };
  snat: {
    masqueradedConnections: number;
    selections: number;
    collisions: number;
    collisionsPerSelection: number;
    failures: number;
    maxCandidates: number;
  };
  /** Connections that reached their endpoint: did the pod see the client's own address? */
  sourceIP: Record<ClientKind, { preserved: number; lost: number }>;
  /** Simulated µs. */
  latencyUs: {
    endToEnd: Percentiles;
    phases: { dns: Percentiles; request: Percentiles; reply: Percentiles };
    hopKinds: Partial<Record<HopKind, Percentiles>>;
  };
  dataPlanesBuilt: string[];
  /** New flows on nodes past the data-plane cap, priced with a borrowed data plane. */
  borrowedLookups: number;
  hops: number;
  simulatedEndS: number;
}

const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

function pct(values: number[]): Percentiles {
  if (values.length === 0) return { n: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = summarize(values.map((v) => v / 1000));
  return { n: s.n, mean: round(s.mean), p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), max: round(s.max) };
}

export interface SummaryMeta {
  scenario: string;
  services: number;
  seed: number | string;
  durationNs: number;
  rate: number;
  external: number;
  byName: number;
}

export function summarizeRun(run: SimulationRun, meta: SummaryMeta): SimulationSummary {
  const { net, journeys } = run;
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const verdicts: Partial<Record<Verdict, number>> = {};
  const sourceIP: SimulationSummary['sourceIP'] = { pod: { preserved: 0, lost: 0 }, external: { preserved: 0, lost: 0 } };
  const byKind = new Map<HopKind, number[]>();
  const e2e: number[] = [];
  const dnsNs: number[] = [];
  const reqNs: number[] = [];
  const repNs: number[] = [];
  let pod = 0;
  let byName = 0;
  let masq = 0;
  let hops = 0;
  for (const j of journeys) {
    outcomes[j.outcome]++;
    if (j.clientKind === 'pod') pod++;
    if (j.name !== '') byName++;
    if (j.verdict) verdicts[j.verdict] = (verdicts[j.verdict] ?? 0) + 1;
    if (j.masqueraded) masq++;
    if (j.sourcePreserved !== null) sourceIP[j.clientKind][j.sourcePreserved ? 'preserved' : 'lost']++;
    if (j.dns) dnsNs.push(j.dnsNs);
    if (j.endpoint) reqNs.push(j.requestNs);
    if (j.reply) repNs.push(j.replyNs);
    if (j.outcome === 'delivered') e2e.push(j.totalNs);
    hops += j.hops.length;
    for (const h of j.hops) {
      let list = byKind.get(h.kind);
      if (!list) byKind.set(h.kind, (list = []));
      list.push(h.ns);
    }
  }
  const hopKinds: Partial<Record<HopKind, Percentiles>> = {};
  for (const k of HOP_KINDS) {
    const list = byKind.get(k);
    if (list) hopKinds[k] = pct(list);
  }
  const perNode: Record<string, number> = {};
  let inserts = 0;
  let entries = 0;
  let insertFailed = 0;
  let drops = 0;
  const snat = { masqueradedConnections: masq, selections: 0, collisions: 0, collisionsPerSelection: 0, failures: 0, maxCandidates: 0 };
  for (const st of net.nodeStates()) {
    const ct = st.conntrack;
    perNode[st.info.name] = ct.size;
    entries += ct.size;
    inserts += ct.stats.inserts;
    insertFailed += ct.stats.insertFailed;
    drops += ct.stats.drops;
    const s = st.snat.stats;
    snat.selections += s.selections;
    snat.collisions += s.collisions;
    snat.failures += s.failures;
    snat.maxCandidates = Math.max(snat.maxCandidates, s.maxCandidates);
  }
  snat.collisionsPerSelection = round(snat.selections > 0 ? snat.collisions / snat.selections : 0, 4);
  const d = net.dns.stats;
  return {
    scenario: meta.scenario,
    mode: net.mode,
    network: net.network,
    services: meta.services,
    nodes: net.topology.nodes.length,
    seed: meta.seed,
    durationS: meta.durationNs / 1e9,
    ratePerS: meta.rate,
    options: {
      external: meta.external,
      byName: meta.byName,
      nodeLocalDns: net.nodeLocalDns,
      autopath: net.autopath,
      randomFully: net.randomFully,
      dnsLookup: net.dnsLookup,
      clientNodes: run.clientNodes,
    },
    connections: { total: journeys.length, pod, external: journeys.length - pod, byName, outcomes },
    verdicts,
    dns: { ...d, amplification: round(d.lookups > 0 ? d.queries / d.lookups : 0) },
    conntrack: {
      inserts,
      peakEntries: Math.max(run.conntrackPeak, entries),
      entriesAtEnd: entries,
      perNode,
      insertFailed,
      tableFullDrops: drops,
    },
    snat,
    sourceIP,
    latencyUs: { endToEnd: pct(e2e), phases: { dns: pct(dnsNs), request: pct(reqNs), reply: pct(repNs) }, hopKinds },
    dataPlanesBuilt: [...net.dataPlanesBuilt],
    borrowedLookups: net.borrowedLookups,
    hops,
    simulatedEndS: round(run.endNs / 1e9, 6),
  };
}

const us = (p: Percentiles): string =>
  p.n === 0 ? '-' : `p50 ${fmt(p.p50)}  p90 ${fmt(p.p90)}  p99 ${fmt(p.p99)}  max ${fmt(p.max)}  (n=${p.n})`;
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The text `kpsim simulate` prints. */
export function formatSummary(s: SimulationSummary): string {
  const L: string[] = [];
  const o = s.options;
  L.push(`kpsim simulate: ${s.scenario}, ${s.services} services on ${s.nodes} nodes, mode ${s.mode}, network ${s.network}`);
  const cn =
    o.clientNodes.length === s.nodes ? 'all nodes' : o.clientNodes.length > 6 ? `${o.clientNodes.length} nodes` : o.clientNodes.join(', ');
  L.push(
    `  ${s.durationS}s at ${s.ratePerS} connections/s, seed ${s.seed}; clients on ${cn}; external ${o.external}, by name ${o.byName}${o.nodeLocalDns ? ', NodeLocal DNSCache' : ''}${o.autopath ? ', autopath' : ''}${o.randomFully ? ', --random-fully' : ''}`,
  );
  L.push('');
  const c = s.connections;
  L.push(`connections: ${c.total} (${c.pod} from pods, ${c.external} external, ${c.byName} by name)`);
  const outs = Object.entries(c.outcomes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  L.push(`  outcomes: ${outs.join(', ') || '-'}`);
  L.push(
    `  verdicts on the ingress node: ${
      Object.entries(s.verdicts)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || '-'
    }`,
  );
  const si = s.sourceIP;
  L.push(
    `  source IP seen by the pod: from pods ${si.pod.preserved} preserved / ${si.pod.lost} lost; external ${si.external.preserved} preserved / ${si.external.lost} lost (node IP)`,
  );
  const d = s.dns;
  L.push(
    `dns: ${d.lookups} lookups, ${d.queries} queries (amplification ${d.amplification} queries/lookup, ${o.dnsLookup}), ${d.failed} failed`,
  );
  L.push(
    `  through the data plane (DNAT to CoreDNS): ${d.dnatQueries}; reached CoreDNS: ${d.coreDnsQueries} (cache hits ${d.coreDnsCacheHits})${o.nodeLocalDns ? `; NodeLocal DNSCache hits ${d.nodeLocalHits}, misses ${d.nodeLocalMisses}` : ''}`,
  );
  const ct = s.conntrack;
  const perNode = Object.entries(ct.perNode).sort((a, b) => b[1] - a[1]);
  const top =
    perNode
      .slice(0, 6)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ') + (perNode.length > 6 ? `, ... ${perNode.length} nodes` : '');
  L.push(
    `conntrack: ${ct.inserts} entries created, peak ${ct.peakEntries}, ${ct.entriesAtEnd} live at the end (${top}); insert_failed ${ct.insertFailed}, table-full drops ${ct.tableFullDrops}`,
  );
  const sn = s.snat;
  L.push(
    `snat: ${sn.masqueradedConnections} connections masqueraded; ${sn.selections} port selections, ${sn.collisions} collisions (${sn.collisionsPerSelection} per selection, max ${sn.maxCandidates} candidates), ${sn.failures} failures`,
  );
  L.push('');
  L.push('latency (simulated µs):');
  const lat = s.latencyUs;
  const rows: [string, string][] = [
    ['end to end (delivered)', us(lat.endToEnd)],
    ['  dns', us(lat.phases.dns)],
    ['  request', us(lat.phases.request)],
    ['  reply', us(lat.phases.reply)],
  ];
  for (const [k, p] of Object.entries(lat.hopKinds)) rows.push([`  hop ${k}`, us(p)]);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) L.push(`  ${k.padEnd(w)}  ${v}`);
  L.push('');
  const shown =
    s.dataPlanesBuilt.length > 12
      ? `${s.dataPlanesBuilt.slice(0, 12).join(', ')}, ... (${s.dataPlanesBuilt.length})`
      : s.dataPlanesBuilt.join(', ') || 'none';
  L.push(
    `data planes built: ${shown}${s.borrowedLookups > 0 ? `; ${s.borrowedLookups} forwarded flows priced on a borrowed data plane` : ''}; ${s.hops} hops recorded`,
  );
  return L.join('\n') + '\n';
}
