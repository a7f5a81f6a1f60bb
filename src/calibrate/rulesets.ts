// What calibration loads into the kernel: kpsim's own rendering of a generated cluster at each
// scale (the iptables data plane's iptables-save and restore payload, a kube-proxy-shaped
// nftables table), written to files, with kpsim's own counts of what each contains and of the
// rules a packet to an unused ClusterIP walks (the number the cost model multiplies).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster/model.ts';
import { parseKubeProxyConfig } from '../proxy/load-config.ts';
import { IptablesDataPlane } from '../proxy/iptables/dataplane.ts';
import { buildServiceMap, nodeView } from '../proxy/service-map.ts';
import { PROTO_TCP } from '../util/proto.ts';
import { generateCluster, scenarioConfig } from '../scenario/generate.ts';
import type { Scenario } from '../scenario/schema.ts';
import { cidrContains, formatIPv4, parseCidr } from '../util/ipv4.ts';
import { nftablesTable } from './nft-table.ts';

/** The node's address inside the namespace (on lo): TEST-NET-2, RFC 5737, in no cluster range. */
export const PROBE_SRC = '198.51.100.1';
/** How many distinct unused ClusterIPs the no-match connects cycle through. */
const PROBES = 4;
/** How many service ClusterIP:ports the nftables map-hit connects cycle through. */
const HITS = 64;

export interface ScaleMaterial {
  services: number;
  /** Full filter+nat iptables-save of the node (kube-proxy's jumps included). */
  saveFile: string;
  saveLines: number;
  /** kube-proxy's full-sync iptables-restore payload (what it loads with --noflush). */
  restoreFile: string;
  restoreLines: number;
  natRules: number;
  totalRules: number;
  /** Rules kpsim's model walks in nat OUTPUT for a packet to an unused ClusterIP (rulesEvaluated). */
  walkRules: number;
  nftFile: string;
  nft: { chains: number; rules: number; elements: number };
  /** ClusterIP:port of TCP services with pod endpoints, for nftables map hits. */
  hits: [string, number][];
}

export interface Material {
  serviceCIDR: string;
  clusterCIDR: string;
  /** Unused ClusterIPs (at every scale): the no-match probes' destinations. */
  probes: string[];
  scales: ScaleMaterial[];
  /** The nftables table of the smallest scale without its service lookup (the nat hooks alone). */
  nftNoLookupFile: string;
  /** iptables-restore input that empties filter and nat (every rule and user chain gone). */
  emptyFile: string;
}

const EMPTY_TABLES =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n';

/**
 * Renders the scenario's cluster at each scale into `dir`, as kube-proxy renders on a host
 * without nfacct (`nfacct: false`: the matches need counters it creates over netlink).
 */
export function renderMaterial(scenario: Scenario, scales: number[], dir: string): Material {
  const config = scenarioConfig(scenario);
  const clusters = scales.map((s) => generateCluster(scenario, s));
  const probes = unusedClusterIPs(clusters, config.serviceCIDR);
  const out = clusters.map((c, i) => renderScale(c, scales[i], probes, dir));
  const first = clusters[0];
  const view = nodeView(first, first.nodes[0].metadata.name);
  const noLookup = nftablesTable(buildServiceMap(first, view), first.config.clusterCIDR || null, { serviceLookup: false });
  const nftNoLookupFile = join(dir, 'nftables-no-lookup.nft');
  writeFileSync(nftNoLookupFile, noLookup.text);
  const emptyFile = join(dir, 'iptables-empty.txt');
  writeFileSync(emptyFile, EMPTY_TABLES);
  return { serviceCIDR: config.serviceCIDR, clusterCIDR: config.clusterCIDR, probes, scales: out, nftNoLookupFile, emptyFile };
}

/** Addresses of the service range that no cluster has given a service, from the top down. */
function unusedClusterIPs(clusters: Cluster[], serviceCIDR: string): string[] {
  const used = new Set<string>();
  for (const c of clusters) for (const s of c.services) if (s.spec.clusterIP) used.add(s.spec.clusterIP);
  const cidr = parseCidr(serviceCIDR);
  const probes: string[] = [];
  for (let ip = (cidr.addr | ~cidr.mask) - 1; probes.length < PROBES && ip > cidr.addr; ip--) {
    const text = formatIPv4(ip >>> 0);
    if (!used.has(text)) probes.push(text);
  }
  return probes;
}

export function renderScale(cluster: Cluster, services: number, probes: string[], dir: string): ScaleMaterial {
  const node = cluster.nodes[0].metadata.name;
  const kpc = parseKubeProxyConfig({ hostnameOverride: node, clusterCIDR: cluster.config.clusterCIDR });
  const dp = new IptablesDataPlane(cluster, kpc, { nfacct: false });
  const saveFile = join(dir, `iptables-save-${services}.txt`);
  const restoreFile = join(dir, `iptables-restore-${services}.txt`);
  const restore = dp.restoreText();
  const save = dp.render('iptables-save');
  writeFileSync(saveFile, save);
  writeFileSync(restoreFile, restore);

  const view = nodeView(cluster, node);
  const src = [...view.localIPs][0];
  let walkRules = -1;
  for (const p of probes) {
    const t = dp.trace({ src, dst: parseCidr(`${p}/32`).addr, proto: PROTO_TCP, sport: 40000, dport: 80 }, 'local');
    if (t.verdict === 'DNAT') throw new Error(`calibration probe ${p} matched a service`);
    walkRules = Math.max(walkRules, t.rulesEvaluated);
  }
  let natRules = 0;
  let totalRules = 0;
  for (const t of dp.ruleset.tables)
    for (const c of t.chains) {
      totalRules += c.rules.length;
      if (t.name === 'nat') natRules += c.rules.length;
    }

  const ports = buildServiceMap(cluster, view);
  const nft = nftablesTable(ports, kpc.clusterCIDR || null);
  const nftFile = join(dir, `nftables-${services}.nft`);
  writeFileSync(nftFile, nft.text);
  // Services whose endpoints are pods: their DNATed SYN is routed (out lo) like the others.
  const pods = parseCidr(cluster.config.clusterCIDR);
  const hits: [string, number][] = [];
  for (const sp of ports) {
    if (hits.length >= HITS) break;
    const ready = sp.endpoints.filter((e) => e.ready);
    if (sp.protocol === 'TCP' && ready.length > 0 && ready.every((e) => cidrContains(pods, e.ip)))
      hits.push([formatIPv4(sp.clusterIP), sp.port]);
  }
  return {
    services,
    saveFile,
    restoreFile,
    saveLines: lineCount(save),
    restoreLines: lineCount(restore),
    natRules,
    totalRules,
    walkRules,
    nftFile,
    nft: { chains: nft.chains, rules: nft.rules, elements: nft.elements },
    hits,
  };
}

function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
