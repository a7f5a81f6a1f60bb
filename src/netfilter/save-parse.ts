// Parses the iptables-save / iptables-restore text format:
//   # comment
//   *table
//   :CHAIN POLICY [packets:bytes]
//   [packets:bytes] -A CHAIN args...
//   -X CHAIN            (restore input only)
//   COMMIT
// Comment and blank lines are kept (attached to the next item) so re-saving is byte-identical.

import { splitArgs } from './args.ts';
import { NetfilterParseError } from './errors.ts';
import { parseRuleArgs } from './rule-parse.ts';
import { isBuiltinChain, isTableName, newTable, newRuleset, TABLE_NAMES } from './ruleset.ts';
import type { Chain, Counters, Ruleset, Table } from './types.ts';

const CHAIN_DECL = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/;
const RULE_LINE = /^(?:\[(\d+):(\d+)\]\s+)?-A\s+(\S+)(?:\s+(.*))?$/;

/** Parses iptables-save output (or iptables-restore input); errors name the line. */
export function parseIptablesSave(text: string): Ruleset {
  const rs = newRuleset();
  const lines = text.split('\n');
  rs.finalNewline = text.endsWith('\n');
  if (rs.finalNewline) lines.pop();
  let table: Table | null = null;
  let pending: string[] = [];

  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const line = lines[idx];
    const err = (reason: string, token: string | null = null) => new NetfilterParseError(reason, token, lineNo);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      pending.push(line);
      continue;
    }
    if (trimmed.startsWith('*')) {
      const name = trimmed.slice(1);
      if (table) throw err(`table "${name}" starts before COMMIT of table "${table.name}"`, trimmed);
      if (!isTableName(name)) throw err(`unknown table "${name}" (expected ${TABLE_NAMES.join(', ')})`, name);
      if (rs.tables.some((t) => t.name === name)) throw err(`table "${name}" appears twice`, name);
      table = newTable(name);
      table.layout = [];
      table.before = pending;
      pending = [];
      rs.tables.push(table);
      continue;
    }
    if (!table) throw err(`expected "*table" before ${JSON.stringify(trimmed)}`, trimmed);
    if (trimmed === 'COMMIT') {
      table.beforeCommit = pending;
      pending = [];
      table = null;
      continue;
    }
    if (trimmed.startsWith(':')) {
      const m = CHAIN_DECL.exec(trimmed);
      if (!m) throw err(`bad chain declaration ${JSON.stringify(trimmed)} (expected ":NAME POLICY [packets:bytes]")`, trimmed);
      const [, name, policy, pk, by] = m;
      if (table.byName.has(name)) throw err(`chain "${name}" declared twice`, name);
      const builtin = isBuiltinChain(table.name, name);
      if (builtin ? !['ACCEPT', 'DROP', '-'].includes(policy) : policy !== '-') {
        throw err(
          builtin
            ? `invalid policy "${policy}" for built-in chain ${name} (expected ACCEPT or DROP)`
            : `user-defined chain ${name} cannot have policy "${policy}" (expected "-")`,
          policy,
        );
      }
      const chain: Chain = {
        name,
        builtin,
        policy: policy as Chain['policy'],
        counters: pk === undefined ? null : counters(pk, by),
        rules: [],
        before: pending,
      };
      pending = [];
      table.chains.push(chain);
      table.byName.set(name, chain);
      table.layout!.push({ kind: 'chain', chain });
      continue;
    }
    if (trimmed.startsWith('-X')) {
      const name = trimmed.slice(2).trim();
      if (!name || /\s/.test(name)) throw err(`bad chain deletion ${JSON.stringify(trimmed)} (expected "-X NAME")`, trimmed);
      const del = { chain: name, before: pending };
      pending = [];
      table.deletes.push(del);
      table.layout!.push({ kind: 'delete', del });
      continue;
    }
    const m = RULE_LINE.exec(trimmed);
    if (!m) {
      const cmd = trimmed.split(/\s+/)[0];
      if (/^-[A-Z]$|^\[/.test(cmd))
        throw err(`unsupported command "${cmd}" (only -A, -X, ":CHAIN" and COMMIT appear in iptables-save format)`, cmd);
      throw err(`unexpected line ${JSON.stringify(trimmed)}`, cmd);
    }
    const [, pk, by, chainName, argText = ''] = m;
    const chain = table.byName.get(chainName);
    if (!chain) throw err(`rule for undeclared chain "${chainName}"`, chainName);
    let parsed;
    try {
      const args = splitArgs(argText);
      const t = table;
      parsed = { args, ...parseRuleArgs(args, { isChain: (n) => t.byName.has(n) }) };
    } catch (e) {
      if (e instanceof NetfilterParseError) throw e.atLine(lineNo);
      throw err((e as Error).message);
    }
    const r = { text: argText, ...parsed, counters: pk === undefined ? null : counters(pk, by), before: pending };
    pending = [];
    chain.rules.push(r);
    table.layout!.push({ kind: 'rule', chain, rule: r });
  }
  if (table) throw new NetfilterParseError(`missing COMMIT for table "${table.name}"`, null, lines.length);
  rs.trailer = pending;
  return rs;
}

function counters(packets: string, bytes: string): Counters {
  return { packets: BigInt(packets), bytes: BigInt(bytes) };
}
