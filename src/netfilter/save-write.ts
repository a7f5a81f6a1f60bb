// Writes a Ruleset as iptables-save text (byte-identical for an unmodified parsed dump)
// or as iptables-restore input (no comments, zeroed counters).

import type { Chain, Counters, LayoutItem, Rule, Ruleset, Table } from './types.ts';

export interface WriteOptions {
  /** Keep comment/blank lines and counters (save) or drop them and zero counters (restore). */
  mode: 'save' | 'restore';
}

/** iptables-save text: comments, chain counters and rule counters kept as parsed. */
export function writeIptablesSave(rs: Ruleset): string {
  return write(rs, { mode: 'save' });
}

/** iptables-restore input: same format, chain counters `[0:0]`, no rule counters, no comments. */
export function writeIptablesRestore(rs: Ruleset): string {
  return write(rs, { mode: 'restore' });
}

function write(rs: Ruleset, opts: WriteOptions): string {
  const save = opts.mode === 'save';
  const out: string[] = [];
  const comments = (lines: string[]) => {
    if (save) out.push(...lines);
  };
  for (const t of rs.tables) {
    comments(t.before);
    out.push(`*${t.name}`);
    for (const item of layoutOf(t)) {
      if (item.kind === 'chain') {
        comments(item.chain.before);
        out.push(chainLine(item.chain, save));
      } else if (item.kind === 'rule') {
        comments(item.rule.before);
        out.push(ruleLine(item.chain.name, item.rule, save));
      } else {
        comments(item.del.before);
        out.push(`-X ${item.del.chain}`);
      }
    }
    comments(t.beforeCommit);
    out.push('COMMIT');
  }
  comments(rs.trailer);
  const text = out.join('\n');
  return save && !rs.finalNewline ? text : text + '\n';
}

function chainLine(c: Chain, save: boolean): string {
  const policy = c.builtin ? c.policy : '-';
  const ctr: Counters | null = save ? c.counters : { packets: 0n, bytes: 0n };
  return ctr ? `:${c.name} ${policy} [${ctr.packets}:${ctr.bytes}]` : `:${c.name} ${policy}`;
}

function ruleLine(chain: string, r: Rule, save: boolean): string {
  const prefix = save && r.counters ? `[${r.counters.packets}:${r.counters.bytes}] ` : '';
  return r.text === '' ? `${prefix}-A ${chain}` : `${prefix}-A ${chain} ${r.text}`;
}

/**
 * The parsed line order when it still describes the table exactly (same chains, and each
 * chain's rules in the same order), else iptables-save's canonical order.
 */
function layoutOf(t: Table): LayoutItem[] {
  if (t.layout && layoutMatches(t, t.layout)) return t.layout;
  const items: LayoutItem[] = t.chains.map((chain) => ({ kind: 'chain', chain }));
  for (const chain of t.chains) for (const rule of chain.rules) items.push({ kind: 'rule', chain, rule });
  for (const del of t.deletes) items.push({ kind: 'delete', del });
  return items;
}

function layoutMatches(t: Table, layout: LayoutItem[]): boolean {
  const seenChains = new Set<Chain>();
  const ruleCursor = new Map<Chain, number>();
  let deletes = 0;
  for (const item of layout) {
    if (item.kind === 'chain') {
      if (t.byName.get(item.chain.name) !== item.chain || seenChains.has(item.chain)) return false;
      seenChains.add(item.chain);
    } else if (item.kind === 'rule') {
      const k = ruleCursor.get(item.chain) ?? 0;
      if (item.chain.rules[k] !== item.rule) return false;
      ruleCursor.set(item.chain, k + 1);
    } else {
      if (t.deletes[deletes] !== item.del) return false;
      deletes++;
    }
  }
  if (seenChains.size !== t.chains.length || deletes !== t.deletes.length) return false;
  for (const c of t.chains) if ((ruleCursor.get(c) ?? 0) !== c.rules.length) return false;
  return true;
}
