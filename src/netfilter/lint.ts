// Reports what a walk cannot model (unknown matches/targets, missing chains) and jump loops.

import type { Ruleset, Table } from './types.ts';

export interface LintIssue {
  table: string;
  chain: string;
  /** 1-based rule index, or 0 for chain-level issues (loops). */
  index: number;
  message: string;
}

/** Every cycle of jumps/gotos between chains, each as [A, B, ..., A]. */
export function findJumpLoops(table: Table): string[][] {
  const WHITE = 0,
    GREY = 1,
    BLACK = 2;
  const color = new Map<string, number>();
  const loops: string[][] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    color.set(name, GREY);
    stack.push(name);
    for (const r of table.byName.get(name)?.rules ?? []) {
      const t = r.target;
      if ((t.kind !== 'jump' && t.kind !== 'goto') || !table.byName.has(t.chain)) continue;
      const c = color.get(t.chain) ?? WHITE;
      if (c === GREY) loops.push([...stack.slice(stack.indexOf(t.chain)), t.chain]);
      else if (c === WHITE) visit(t.chain);
    }
    stack.pop();
    color.set(name, BLACK);
  };
  for (const c of table.chains) if ((color.get(c.name) ?? WHITE) === WHITE) visit(c.name);
  return loops;
}

/** Throws when the table has a jump loop (the kernel refuses such a table with ELOOP). */
export function assertNoJumpLoops(table: Table): void {
  const loops = findJumpLoops(table);
  if (loops.length > 0) throw new Error(`jump loop in table ${table.name}: ${loops[0].join(' -> ')}`);
}

export function lintRuleset(rs: Ruleset): LintIssue[] {
  const issues: LintIssue[] = [];
  for (const t of rs.tables) {
    for (const c of t.chains) {
      c.rules.forEach((r, i) => {
        const at = { table: t.name, chain: c.name, index: i + 1 };
        for (const why of r.unsupported) issues.push({ ...at, message: `${why}; the rule never matches in walks` });
        for (const m of r.matches) {
          if (m.kind === 'set')
            issues.push({
              ...at,
              message: `-m set needs the contents of ipset "${m.name}", which an iptables-save dump does not hold; without them the rule never matches`,
            });
        }
        const tg = r.target;
        if (tg.kind === 'unknown') issues.push({ ...at, message: `target "${tg.name}" is not modelled; walks treat it as a no-op` });
        if ((tg.kind === 'jump' || tg.kind === 'goto') && !t.byName.has(tg.chain)) {
          issues.push({ ...at, message: `jump to undeclared chain "${tg.chain}"` });
        }
      });
    }
    for (const loop of findJumpLoops(t)) {
      issues.push({ table: t.name, chain: loop[0], index: 0, message: `jump loop: ${loop.join(' -> ')}` });
    }
  }
  return issues;
}
