// The steps each namespace runs (probe.py executes them). One namespace per group, so every
// group starts from an empty netfilter: the iptables groups (one per backend), nftables, and
// conntrack. Labels say what a result is: "kind:backend:services:repetition[:k]".
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from './netns.ts';
import { type Material, PROBE_SRC } from './rulesets.ts';

export type Backend = 'nft' | 'legacy';
export const BACKENDS: readonly Backend[] = ['nft', 'legacy'];

export interface Effort {
  repetitions: number;
  /** Connects per sample. */
  ops: number;
  /** Datagrams per sample (cheaper than a connect, and the differences they measure are small). */
  udpOps: number;
  /** Samples per point (after one warm-up sample). */
  samples: number;
  /** `iptables -A` invocations per scale (first repetition only). */
  appends: number;
}

export const DEFAULT_EFFORT: Effort = { repetitions: 3, ops: 1000, udpOps: 5000, samples: 5, appends: 4 };

const NF = '/proc/sys/net/netfilter';
/** RFC 2544's benchmarking range, 198.18.0.0/15: 131,072 local destinations, one new flow each. */
const BENCH_NET = ((198 << 24) | (18 << 16)) >>> 0;
const UDP_PORT = 9;

const sh = (argv: string[], label?: string): Step => ({ op: 'run', argv, ...(label ? { label } : {}) });

/** lo up with the node's address; `routes` are sent out lo (and dropped: forwarding is off). */
function setup(routes: string[], local: string[] = []): Step[] {
  return [
    sh(['ip', 'link', 'set', 'lo', 'up']),
    sh(['ip', 'addr', 'add', `${PROBE_SRC}/32`, 'dev', 'lo']),
    ...routes.map((r) => sh(['ip', 'route', 'add', r, 'dev', 'lo', 'src', PROBE_SRC])),
    ...local.map((r) => sh(['ip', 'route', 'add', 'local', r, 'dev', 'lo'])),
    // Closed probes leave SYN-SENT / unreplied entries: let them expire in seconds, not minutes.
    { op: 'sysctl', path: `${NF}/nf_conntrack_tcp_timeout_syn_sent`, value: 10, optional: true },
    { op: 'sysctl', path: `${NF}/nf_conntrack_udp_timeout`, value: 10, optional: true },
  ];
}

/** Scale order per repetition: alternately up and down, so drift does not look like growth. */
function order<T>(list: T[], rep: number): T[] {
  return rep % 2 === 0 ? list : [...list].reverse();
}

function connect(label: string, dsts: [string, number][], e: Effort): Step {
  return { op: 'connect', label, src: PROBE_SRC, dsts, count: e.ops, samples: e.samples };
}

/** Probes to unused ClusterIPs; the port is varied too, so even one address gives new tuples. */
function probeDsts(probes: string[]): [string, number][] {
  return probes.flatMap((p) => [80, 81, 82, 83].map((port): [string, number] => [p, port]));
}

/**
 * One iptables backend: the no-rules connect baseline; then per repetition and scale: empty the
 * tables, restore the node's whole ruleset (timed), no-match connects, and (first repetition)
 * `iptables -A` invocations against that table. Per repetition also kube-proxy's own sync at the
 * smallest scale: its restore payload with --noflush onto the skeleton (the node with only the
 * system services); iptables-nft-restore --noflush grows much faster than linearly, so larger
 * scales would take minutes.
 */
export function iptablesPlan(b: Backend, m: Material, e: Effort): Step[] {
  const restore = `iptables-${b}-restore`;
  const ipt = `iptables-${b}`;
  const probes = probeDsts(m.probes);
  const noflush = m.scales.find((s) => s.services > 0);
  const steps: Step[] = [...setup([m.serviceCIDR]), connect(`walk:none:0:0`, probes, e)];
  for (let r = 0; r < e.repetitions; r++) {
    for (const s of order(m.scales, r)) {
      steps.push({ op: 'run', argv: [restore], stdin: m.emptyFile });
      steps.push({ op: 'run', argv: [restore], stdin: s.saveFile, label: `restore:${b}:${s.services}:${r}` });
      steps.push(connect(`walk:${b}:${s.services}:${r}`, probes, e));
      if (r > 0 || e.appends === 0) continue;
      steps.push(sh([ipt, '-w', '-t', 'nat', '-N', 'KUBE-CALIBRATE']));
      for (let k = 0; k < e.appends; k++)
        steps.push(
          sh(
            [ipt, '-w', '-t', 'nat', '-A', 'KUBE-CALIBRATE', '-d', `192.0.2.${k + 1}/32`, '-j', 'RETURN'],
            `append:${b}:${s.services}:${r}:${k}`,
          ),
        );
    }
    if (!noflush) continue;
    steps.push({ op: 'run', argv: [restore], stdin: m.scales[0].saveFile });
    steps.push({
      op: 'run',
      argv: [restore, '--noflush'],
      stdin: noflush.restoreFile,
      label: `restore-noflush:${b}:${noflush.services}:${r}`,
    });
  }
  return steps;
}

/**
 * nftables: per repetition, a table without the service lookup (the nat hooks alone), then the
 * kube-proxy-shaped table at each scale: `nft -f` (timed), connects that miss the map and
 * connects that hit it (service chain, numgen, endpoint chain, dnat).
 */
export function nftablesPlan(m: Material, e: Effort): Step[] {
  const probes = probeDsts(m.probes);
  const steps: Step[] = [...setup([m.serviceCIDR, m.clusterCIDR]), connect('nft-miss:none:0:0', probes, e)];
  const flush = sh(['nft', 'flush', 'ruleset']);
  for (let r = 0; r < e.repetitions; r++) {
    steps.push(flush, sh(['nft', '-f', m.nftNoLookupFile]), connect(`nft-nolookup:nftables:0:${r}`, probes, e));
    for (const s of order(m.scales, r)) {
      steps.push(flush, { op: 'run', argv: ['nft', '-f', s.nftFile], label: `nft-load:nftables:${s.services}:${r}` });
      steps.push(connect(`nft-miss:nftables:${s.services}:${r}`, probes, e));
      if (s.hits.length > 0) steps.push(connect(`nft-hit:nftables:${s.services}:${r}`, s.hits, e));
    }
  }
  return steps;
}

/** The two small tables of the conntrack group: an output+input hook without and with conntrack. */
export function conntrackTables(dir: string): { hook: string; ct: string } {
  const table = (match: string) =>
    `table ip kpsim-calibrate {\n  chain out { type filter hook output priority 0 ; ${match} accept ; }\n  chain in { type filter hook input priority 0 ; ${match} accept ; }\n}\n`;
  const hook = join(dir, 'hook-only.nft');
  const ct = join(dir, 'conntrack.nft');
  writeFileSync(hook, table('meta l4proto udp'));
  // A ct expression makes the namespace register conntrack's hooks.
  writeFileSync(ct, table('ct state new,established'));
  return { hook, ct };
}

/**
 * Conntrack and the plain path, with UDP datagrams over loopback: per repetition, no netfilter
 * at all (the plain path), a filter hook without conntrack, the same hook with conntrack; each
 * with one flow ("same": every datagram a conntrack hit per hook) and new flows ("new": every
 * datagram to another of 131,072 local addresses, one entry each).
 */
export function conntrackPlan(tables: { hook: string; ct: string }, e: Effort): Step[] {
  const steps: Step[] = [...setup([], ['198.18.0.0/15'])];
  const span = 131072;
  const perStep = e.udpOps * (e.samples + 1);
  // Only conntrack keeps state: its new-flow steps take fresh addresses (10 s timeout, bounded count).
  const udp = (label: string, mode: 'new' | 'same', offset = 0): Step => ({
    op: 'udp',
    label,
    mode,
    src: PROBE_SRC,
    dstBase: BENCH_NET,
    span,
    offset: offset % span,
    port: UDP_PORT,
    count: e.udpOps,
    samples: e.samples,
  });
  const count = (label: string): Step => ({ op: 'read', path: `${NF}/nf_conntrack_count`, label });
  for (let r = 0; r < e.repetitions; r++) {
    steps.push(udp(`udp-same:plain:0:${r}`, 'same'), udp(`udp-new:plain:0:${r}`, 'new'));
    steps.push(sh(['nft', '-f', tables.hook]), udp(`udp-same:hook:0:${r}`, 'same'));
    steps.push(count(`ct-count:hook-before:0:${r}`), udp(`udp-new:hook:0:${r}`, 'new'), count(`ct-count:hook-after:0:${r}`));
    steps.push(sh(['nft', 'delete', 'table', 'ip', 'kpsim-calibrate']));
    steps.push(sh(['nft', '-f', tables.ct]), udp(`udp-same:ct:0:${r}`, 'same'));
    steps.push(count(`ct-count:ct-before:0:${r}`), udp(`udp-new:ct:0:${r}`, 'new', r * perStep), count(`ct-count:ct-after:0:${r}`));
    steps.push(sh(['nft', 'delete', 'table', 'ip', 'kpsim-calibrate']));
  }
  return steps;
}
