// The iptables group of one backend: the rule walk, whole-ruleset restores, `iptables -A`.
import { fitPowerLaw, summarize } from '../metrics/stats.ts';
import { constant, fitLine, fitTwo, point, reps, Results, spread } from './analyse.ts';
import type { StepResult } from './netns.ts';
import type { Backend } from './plans.ts';
import type { Material } from './rulesets.ts';
import type { Measurement } from './types.ts';

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
