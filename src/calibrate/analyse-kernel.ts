// The nftables group (map lookups, `nft -f`) and the conntrack group (lookup, entry creation,
// the plain packet path).
import { fitPowerLaw } from '../metrics/stats.ts';
import { constant, fitLine, point, reps, Results, spread } from './analyse.ts';
import type { StepResult } from './netns.ts';
import type { Material } from './rulesets.ts';
import type { Measurement } from './types.ts';

/** The nftables group: map lookups (flat) and `nft -f` against chains and elements. */
export function analyseNftables(raw: StepResult[], m: Material, repetitions: number): Measurement[] {
  const R = new Results(raw);
  const out: Measurement[] = [];
  const baseNs = R.ops('nft-miss', 'none', 0, 0);
  const scales = m.scales;
  const lookups: number[] = [];
  const perElement: number[] = [];
  for (const r of reps(repetitions)) {
    const noLookup = R.ops('nft-nolookup', 'nftables', 0, r);
    lookups.push(spread(scales.map((s) => R.ops('nft-miss', 'nftables', s.services, r))).median - noLookup);
    const f = fitLine(
      scales.map((s) => s.nft.elements),
      scales.map((s) => R.cpu('nft-load', 'nftables', s.services, r)),
    );
    if (f) perElement.push(f.slope);
  }
  for (const s of scales) {
    const x = { backend: 'nftables', services: s.services, x: s.nft.elements, xUnit: 'map and set elements' };
    out.push(
      point(
        'nftables.load',
        `nft -f of a kube-proxy-shaped table (${s.nft.chains} chains, ${s.nft.rules} rules)`,
        's',
        'child-cpu',
        reps(repetitions).map((r) => R.cpu('nft-load', 'nftables', s.services, r) / 1e9),
        x,
      ),
      point(
        'nftables.miss',
        'first packet to an unused ClusterIP (service-ips lookup misses), CPU above the no-rules connect',
        'ns',
        'thread-cpu',
        reps(repetitions).map((r) => R.ops('nft-miss', 'nftables', s.services, r) - baseNs),
        x,
      ),
      point(
        'nftables.hit',
        'first packet to a service (lookup, service chain, numgen, endpoint chain, dnat), CPU above the no-rules connect',
        'ns',
        'thread-cpu',
        reps(repetitions).map((r) => R.ops('nft-hit', 'nftables', s.services, r) - baseNs),
        x,
      ),
    );
  }
  const big = scales.filter((s) => s.services > 0);
  const hitGrowth = fitPowerLaw(
    big.map((s) => s.services),
    big.map((s) => spread(reps(repetitions).map((r) => R.ops('nft-hit', 'nftables', s.services, r) - baseNs)).median),
  );
  const loadGrowth = fitPowerLaw(
    big.map((s) => s.nft.elements),
    big.map((s) => spread(reps(repetitions).map((r) => R.cpu('nft-load', 'nftables', s.services, r))).median),
  );
  out.push(
    constant(
      'nftables.lookup',
      'nftablesMapLookupNs',
      'the service-ips verdict-map lookup of a first packet',
      'ns',
      'thread-cpu',
      lookups,
      `per-connect CPU with the lookup (median over scales) minus the same table without it, once per repetition${hitGrowth ? `; a first packet to a service grows as services^${hitGrowth.exponent.toFixed(2)} (flat)` : ''}`,
      { backend: 'nftables' },
    ),
    constant(
      'nftables.load.per_element',
      'nftablesLoadElementNs',
      '`nft -f` of the whole table, per map/set element (each element brings its chains and rules)',
      'ns/element',
      'child-cpu',
      perElement,
      `slope of nft -f CPU against elements, once per repetition${loadGrowth ? `; load time grows as elements^${loadGrowth.exponent.toFixed(2)}, so the slope holds only near these scales` : ''}`,
      { backend: 'nftables', ...(loadGrowth ? { exponent: loadGrowth.exponent } : {}) },
    ),
  );
  return out;
}

/** The conntrack group: lookup and entry creation, and the plain packet path. */
export function analyseConntrack(raw: StepResult[], repetitions: number): Measurement[] {
  const R = new Results(raw);
  const out: Measurement[] = [];
  const problem = conntrackProblem(R, repetitions);
  const lookup: number[] = [];
  const insert: number[] = [];
  const plain: number[] = [];
  for (const r of reps(repetitions)) {
    const same = (v: string) => R.ops('udp-same', v, 0, r);
    const fresh = (v: string) => R.ops('udp-new', v, 0, r);
    const l = (same('ct') - same('hook')) / 2;
    lookup.push(l);
    insert.push(fresh('ct') - fresh('hook') - l);
    const p = R.get('udp-same', 'plain', 0, r);
    const share = p?.sysNs !== undefined && p.userNs !== undefined && p.sysNs + p.userNs > 0 ? p.sysNs / (p.sysNs + p.userNs) : NaN;
    plain.push(same('plain') * share);
  }
  for (const v of ['plain', 'hook', 'ct'])
    for (const mode of ['same', 'new'])
      out.push(
        point(
          `udp.${v}.${mode}`,
          `one UDP datagram over loopback (send and receive), ${v === 'plain' ? 'no netfilter' : v === 'hook' ? 'a filter hook, conntrack off' : 'the same hook with conntrack'}, ${mode === 'same' ? 'one flow' : 'a new flow each'}`,
          'ns',
          'thread-cpu',
          reps(repetitions).map((r) => R.ops(`udp-${mode}`, v, 0, r)),
        ),
      );
  out.push(
    ...(problem
      ? [
          {
            kind: 'not-measured' as const,
            id: 'conntrack.lookup',
            constant: 'conntrackLookupNs',
            what: 'conntrack lookup of an established flow',
            reason: problem,
          },
          {
            kind: 'not-measured' as const,
            id: 'conntrack.insert',
            constant: 'conntrackInsertNs',
            what: 'conntrack entry creation for a new flow',
            reason: problem,
          },
        ]
      : [
          constant(
            'conntrack.lookup',
            'conntrackLookupNs',
            'conntrack lookup of an established flow',
            'ns',
            'thread-cpu',
            lookup,
            'half the per-datagram CPU of one flow with conntrack minus without (a datagram is looked up at output and at input), once per repetition',
          ),
          constant(
            'conntrack.insert',
            'conntrackInsertNs',
            'conntrack entry creation for a new flow',
            'ns',
            'thread-cpu',
            insert,
            'per-datagram CPU of new flows with conntrack minus without, less one lookup (the input hook finds the new entry), once per repetition',
          ),
        ]),
    constant(
      'packet.plain',
      'packetBaseNs',
      "one packet's kernel path outside the proxy rules",
      'ns',
      'thread-cpu',
      plain,
      "kernel share (the thread's system time over user+system) of one UDP datagram sent and received over loopback with no netfilter: output, loopback, input, socket and two system calls; a forwarded packet has no system calls, so this is an upper bound",
    ),
  );
  return out;
}

/**
 * The conntrack table must show what the plan meant: no entries while conntrack is off, one per
 * datagram of a new-flow step while it is on. Anything else and the differences measure something else.
 */
function conntrackProblem(R: Results, repetitions: number): string | null {
  const count = (label: string, r: number) => Number.parseInt(R.get('ct-count', label, 0, r)?.text ?? '', 10);
  for (const r of reps(repetitions)) {
    const sent = R.get('udp-new', 'ct', 0, r);
    const expected = (sent?.count ?? 0) * ((sent?.threadNs?.length ?? 0) + 1);
    const off = count('hook-after', r) - count('hook-before', r);
    const on = count('ct-after', r) - count('ct-before', r);
    if (!Number.isFinite(off) || !Number.isFinite(on)) return 'the conntrack entry count could not be read';
    if (off !== 0) return `conntrack created ${off} entries while it should have been off`;
    if (on < 0.9 * expected) return `conntrack created ${on} entries for ${expected} new flows`;
  }
  return null;
}
