// Building and looking up rulesets programmatically.

import { rule as parseRule } from './rule-parse.ts';
import { BUILTIN_CHAINS, type Chain, type Policy, type Rule, type Ruleset, type Table, type TableName } from './types.ts';

export const TABLE_NAMES = Object.keys(BUILTIN_CHAINS) as TableName[];

export function isTableName(name: string): name is TableName {
  return (TABLE_NAMES as string[]).includes(name);
}

export function isBuiltinChain(table: TableName, chain: string): boolean {
  return BUILTIN_CHAINS[table].includes(chain);
}

export function newRuleset(): Ruleset {
  return { tables: [], trailer: [], finalNewline: true };
}

export function newTable(name: TableName): Table {
  return { name, chains: [], byName: new Map(), deletes: [], before: [], beforeCommit: [], layout: null };
}

export function newChain(name: string, builtin: boolean, policy: Policy | '-' = builtin ? 'ACCEPT' : '-'): Chain {
  return { name, builtin, policy, counters: { packets: 0n, bytes: 0n }, rules: [], before: [] };
}

export function getTable(rs: Ruleset, name: string): Table | undefined {
  return rs.tables.find((t) => t.name === name);
}

export function getChain(rs: Ruleset, table: string, chain: string): Chain | undefined {
  return getTable(rs, table)?.byName.get(chain);
}

/** Returns the table, adding it (empty) when missing. */
export function ensureTable(rs: Ruleset, name: TableName): Table {
  let t = getTable(rs, name);
  if (!t) {
    t = newTable(name);
    rs.tables.push(t);
  }
  return t;
}

/** Returns the chain, declaring it when missing (built-in chains get policy ACCEPT). */
export function ensureChain(table: Table, name: string, policy?: Policy): Chain {
  let c = table.byName.get(name);
  if (!c) {
    const builtin = isBuiltinChain(table.name, name);
    c = newChain(name, builtin, builtin ? (policy ?? 'ACCEPT') : '-');
    table.chains.push(c);
    table.byName.set(name, c);
  }
  return c;
}

/** Appends a rule (or rule text, see `rule()`) to a chain, declaring the chain if needed. */
export function appendRule(table: Table, chain: string, r: Rule | string): Rule {
  const built = typeof r === 'string' ? parseRule(r) : r;
  ensureChain(table, chain).rules.push(built);
  return built;
}

/** Rebuilds `table.byName` after editing `table.chains` directly. */
export function reindex(table: Table): void {
  table.byName = new Map(table.chains.map((c) => [c.name, c]));
}

/** Convenience: builds a ruleset from `{ nat: { CHAIN: ['rule text', ...] } }`. */
export function buildRuleset(spec: Partial<Record<TableName, Record<string, string[]>>>): Ruleset {
  const rs = newRuleset();
  for (const [tname, chains] of Object.entries(spec) as [TableName, Record<string, string[]>][]) {
    const t = ensureTable(rs, tname);
    for (const name of Object.keys(chains)) ensureChain(t, name);
    for (const [name, rules] of Object.entries(chains)) for (const text of rules) appendRule(t, name, text);
  }
  return rs;
}
