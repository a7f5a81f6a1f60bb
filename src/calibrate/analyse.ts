// Turns the namespaces' raw results into measurements (medians with their spread) and the
// constants derived from them. Every constant is computed once per repetition (a fit across
// scales, or a difference of two paths measured side by side) and reported as the median of
// those, with min and max: the spread says how far to trust it.
import { linearRegression } from 'simple-statistics';
import { fitPowerLaw, summarize } from '../metrics/stats.ts';
import type { StepResult } from './netns.ts';
import type { Backend } from './plans.ts';
import type { Material } from './rulesets.ts';
import type { CalClock, ConstantMeasurement, Measurement, PointMeasurement, Spread } from './types.ts';

/** Results of one group, by label ("kind:backend:services:repetition[:k]"). */
export class Results {
  private readonly byLabel = new Map<string, StepResult>();
  constructor(results: StepResult[]) {
    for (const r of results) if (r.label) this.byLabel.set(r.label, r);
  }
  get(kind: string, backend: string, services: number, rep: number, k?: number): StepResult | undefined {
    return this.byLabel.get([kind, backend, services, rep, ...(k === undefined ? [] : [k])].join(':'));
  }
  /** Median per-operation thread CPU (ns) of a connect/udp step. */
  ops(kind: string, backend: string, services: number, rep: number): number {
    const r = this.get(kind, backend, services, rep);
    return r?.threadNs?.length ? summarize(r.threadNs).p50 : NaN;
  }
  /** CPU ns of a command step. */
  cpu(kind: string, backend: string, services: number, rep: number, k?: number): number {
    return this.get(kind, backend, services, rep, k)?.cpuNs ?? NaN;
  }
  wall(kind: string, backend: string, services: number, rep: number): number {
    const w = this.get(kind, backend, services, rep)?.wallNs;
    return typeof w === 'number' ? w : NaN;
  }
}

export function spread(values: number[]): Spread {
  const ok = values.filter(Number.isFinite);
  const s = summarize(ok);
  return { median: s.p50, min: s.min, max: s.max, n: s.n };
}

function reps(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Least-squares line; null with fewer than two distinct x. */
export function fitLine(xs: number[], ys: number[]): { slope: number; intercept: number } | null {
  const pts: [number, number][] = [];
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) pts.push([xs[i], ys[i]]);
  if (new Set(pts.map((p) => p[0])).size < 2) return null;
  const { m, b } = linearRegression(pts);
  return { slope: m, intercept: b };
}

/** y = a + c x + q z by least squares (normal equations); null if the system is singular. */
export function fitTwo(xs: number[], zs: number[], ys: number[]): { a: number; c: number; q: number } | null {
  const n = xs.length;
  if (n < 3) return null;
  // Scale the columns so the 3x3 system is well conditioned (z ~ x^2 is large).
  const sx = Math.max(...xs.map(Math.abs)) || 1;
  const sz = Math.max(...zs.map(Math.abs)) || 1;
  const rows = xs.map((x, i) => [1, x / sx, zs[i] / sz]);
  const A = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i] * r[j], 0)));
  const v = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i] * ys[k], 0));
  const sol = solve3(A, v);
  return sol ? { a: sol[0], c: sol[1] / sx, q: sol[2] / sz } : null;
}

function solve3(A: number[][], v: number[]): number[] | null {
  const M = A.map((row, i) => [...row, v[i]]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(M[r][col]) > Math.abs(M[piv][col])) piv = r;
    if (Math.abs(M[piv][col]) < 1e-12) return null;
    [M[col], M[piv]] = [M[piv], M[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = M[r][col] / M[col][col];
      for (let c = col; c < 4; c++) M[r][c] -= f * M[col][c];
    }
  }
  return [0, 1, 2].map((i) => M[i][3] / M[i][i]);
}

function point(
  id: string,
  what: string,
  unit: string,
  clock: CalClock,
  values: number[],
  extra: Partial<PointMeasurement> = {},
): PointMeasurement {
  return { kind: 'point', id, what, unit, clock, ...extra, ...spread(values) };
}

function constant(
  id: string,
  name: string,
  what: string,
  unit: string,
  clock: CalClock,
  values: number[],
  derivation: string,
  extra: Partial<ConstantMeasurement> = {},
): ConstantMeasurement {
  return { kind: 'constant', id, constant: name, inCostModel: false, what, unit, clock, derivation, ...extra, ...spread(values) };
}

/** The iptables group of one backend: rule walk, whole-ruleset restore, `iptables -A`. */
export function analyseIptables(b: Backend, raw: StepResult[], m: Material, repetitions: number): Measurement[] {
  const R = new Results(raw);
  const out: Measurement[] = [];
  const base = R.get('walk', 'none', 0, 0)?.threadNs ?? [];
  const baseNs = base.length ? summarize(base).p50 : NaN;
  out.push(
    point(
      'connect.no_rules',
      'one non-blocking TCP connect (socket, bind, SYN out over loopback, close) with no netfilter rules',
      'ns',
      'thread-cpu',
      base,
      {
        backend: b,
      },
    ),
  );
  const scales = m.scales;
  // Rule walk: per repetition, per-connect CPU against the rules kpsim's model walks for the same packet.
  const slopes: number[] = [];
  for (const r of reps(repetitions)) {
    const f = fitLine(
      scales.map((s) => s.walkRules),
      scales.map((s) => R.ops('walk', b, s.services, r)),
    );
    if (f) slopes.push(f.slope);
  }
  for (const s of scales)
    out.push(
      point(
        'iptables.walk',
        'first packet to an unused ClusterIP (no match: all of KUBE-SERVICES), CPU above the no-rules connect',
        'ns',
        'thread-cpu',
        reps(repetitions).map((r) => R.ops('walk', b, s.services, r) - baseNs),
        { backend: b, services: s.services, x: s.walkRules, xUnit: 'rules walked (kpsim)' },
      ),
    );
  out.push(
    constant(
      'iptables.walk.per_rule',
      'iptablesRuleNs',
      'one iptables rule tested on the first-packet walk',
      'ns/rule',
      'thread-cpu',
      slopes,
      `slope of per-connect CPU against kpsim's rulesEvaluated for the same packet, over ${scales.length} scales, once per repetition`,
      { backend: b },
    ),
  );

  // Whole-ruleset restore: CPU of iptables-restore against its input lines.
  const lineSlopes: number[] = [];
  const quad: number[] = [];
  for (const r of reps(repetitions)) {
    const ys = scales.map((s) => R.cpu('restore', b, s.services, r));
    const f = fitLine(
      scales.map((s) => s.saveLines),
      ys,
    );
    if (f) lineSlopes.push(f.slope);
    const g = fitTwo(
      scales.map((s) => s.saveLines),
      scales.map((s) => s.totalRules ** 2),
      ys,
    );
    if (g) quad.push(g.q);
  }
  for (const s of scales) {
    out.push(
      point(
        'iptables.restore',
        `iptables-${b}-restore of the node's whole ruleset into empty tables`,
        's',
        'child-cpu',
        reps(repetitions).map((r) => R.cpu('restore', b, s.services, r) / 1e9),
        {
          backend: b,
          services: s.services,
          x: s.saveLines,
          xUnit: 'lines',
        },
      ),
      point(
        'iptables.restore.wall',
        `the same restore, wall clock (includes waiting for a shared CPU)`,
        's',
        'wall',
        reps(repetitions).map((r) => R.wall('restore', b, s.services, r) / 1e9),
        {
          backend: b,
          services: s.services,
          x: s.saveLines,
          xUnit: 'lines',
        },
      ),
    );
  }
  const growth = fitPowerLaw(
    scales.filter((s) => s.services > 0).map((s) => s.saveLines),
    scales.filter((s) => s.services > 0).map((s) => spread(reps(repetitions).map((r) => R.cpu('restore', b, s.services, r))).median),
  );
  out.push(
    constant(
      'iptables.restore.per_line',
      'iptablesRestoreLineNs',
      'iptables-restore cost per input line (whole-table rewrite)',
      'ns/line',
      'child-cpu',
      lineSlopes,
      `slope of restore CPU against input lines over ${scales.length} scales, once per repetition${growth ? `; time grows as lines^${growth.exponent.toFixed(2)}` : ''}`,
      { backend: b, ...(growth ? { exponent: growth.exponent } : {}) },
    ),
  );
  if (b === 'legacy')
    out.push(
      constant(
        'iptables.restore.per_rule_squared',
        'iptablesLegacyRuleSquaredNs',
        "the legacy profile's rules^2 term of a whole-table restore",
        'ns/rule^2',
        'child-cpu',
        quad,
        'q of restore CPU = a + c lines + q rules^2 (least squares over the scales, once per repetition); a q at or below 0 means this kernel shows no quadratic growth',
        { backend: b },
      ),
    );
  const nf = scales.find((s) => s.services > 0);
  if (nf)
    out.push(
      point(
        'iptables.restore_noflush',
        `kube-proxy's own full sync: its restore payload with iptables-${b}-restore --noflush onto a node with only the system services`,
        's',
        'child-cpu',
        reps(repetitions).map((r) => R.cpu('restore-noflush', b, nf.services, r) / 1e9),
        { backend: b, services: nf.services, x: nf.restoreLines, xUnit: 'lines' },
      ),
    );

  // `iptables -A`: one invocation against the nat table at each scale (first repetition).
  const appends = Math.max(0, ...raw.filter((x) => x.label?.startsWith(`append:${b}:`)).map((x) => Number(x.label!.split(':')[4]) + 1));
  if (appends > 0) {
    const perRule: number[] = [];
    for (let k = 0; k < appends; k++) {
      const f = fitLine(
        scales.map((s) => s.natRules),
        scales.map((s) => R.cpu('append', b, s.services, 0, k)),
      );
      if (f) perRule.push(f.slope);
    }
    for (const s of scales)
      out.push(
        point(
          'iptables.append',
          `one \`iptables-${b} -t nat -A\` against the node's nat table`,
          'ms',
          'child-cpu',
          reps(appends).map((k) => R.cpu('append', b, s.services, 0, k) / 1e6),
          {
            backend: b,
            services: s.services,
            x: s.natRules,
            xUnit: 'nat rules',
          },
        ),
      );
    out.push(
      constant(
        'iptables.append.fixed',
        'iptablesInvocationNs',
        'one `iptables` command invocation, before the table copy',
        'ns',
        'child-cpu',
        reps(appends).map((k) => R.cpu('append', b, scales[0].services, 0, k)),
        `CPU of one invocation against the ${scales[0].services}-service skeleton (${scales[0].natRules} nat rules, so the copy is negligible), ${appends} invocations`,
        { backend: b },
      ),
      constant(
        'iptables.append.per_rule',
        'iptablesTableCopyRuleNs',
        'per rule of the table, per `iptables` invocation (the O(n) copy and re-check; n of them make the O(n^2) of adding rules one by one)',
        'ns/rule',
        'child-cpu',
        perRule,
        `slope of per-invocation CPU against the nat table's rules over ${scales.length} scales, one fit per invocation index. Not a cost-model constant: the model prices this copy with iptablesRuleNs (userspace mode)`,
        { backend: b },
      ),
    );
  }
  return out;
}

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
