// The node's filter and nat tables built from the rendered rules' Match/Target objects
// (rule-buf.ts) instead of re-parsing the iptables-save text: parsing ~10^5 rules costs
// seconds. Tests check both forms equal parseIptablesSave(render()) and its compilation.
import {
  type CompiledRuleset,
  type CompiledTable,
  ensureChain,
  ensureTable,
  newRuleset,
  type Ruleset,
  TableCompiler,
} from '../../netfilter/index.ts';
import type { ServicePortInfo } from '../service-port.ts';
import { BUILTIN, JUMP_CHAINS, jumpRule, nodeTables } from './full-save.ts';
import type { IptablesOptions } from './options.ts';
import { type RenderSummary, type RestorePayload, renderRules } from './render.ts';
import type { RuleBuf } from './rule-buf.ts';

export function buildNodeRuleset(p: RestorePayload): Ruleset {
  const rs = newRuleset();
  for (const layout of nodeTables(p)) {
    const table = ensureTable(rs, layout.table);
    for (const c of layout.chains) ensureChain(table, c, BUILTIN[layout.table].includes(c) ? 'ACCEPT' : undefined);
    for (let k = 0; k < layout.chains.length; k++) {
      const chain = table.byName.get(layout.chains[k])!;
      const list = layout.rules.get(layout.chains[k])!;
      for (let i = 0; i < list.length; i++) chain.rules.push(list[i].toRule());
    }
  }
  return rs;
}

type TableName = 'filter' | 'nat';

/** Takes the node's chains and rules as they are rendered; a rule is garbage once it returns. */
interface NodeSink {
  chain(table: TableName, name: string, builtin: boolean): void;
  rule(table: TableName, r: RuleBuf): void;
}

/** Every chain and rule of nodeTables(renderRestore(services, o)), streamed; each chain's rules in order. */
function streamNodeRules(services: ServicePortInfo[], o: IptablesOptions, sink: NodeSink, unchanged?: Int32Array): RenderSummary {
  for (const table of ['filter', 'nat'] as const) {
    for (const c of BUILTIN[table]) sink.chain(table, c, true);
    // nodeTables prepends each jump rule: the last one comes first.
    for (let i = JUMP_CHAINS.length - 1; i >= 0; i--) if (JUMP_CHAINS[i].table === table) sink.rule(table, jumpRule(JUMP_CHAINS[i]));
    for (const j of JUMP_CHAINS) if (j.table === table) sink.chain(table, j.dst, false);
  }
  const summary = renderRules(
    services,
    o,
    (filterRules, natRules) => {
      for (let i = 0; i < filterRules.length; i++) sink.rule('filter', filterRules[i]);
      for (let i = 0; i < natRules.length; i++) sink.rule('nat', natRules[i]);
    },
    unchanged,
  );
  for (const c of summary.filterChains) sink.chain('filter', c, false);
  for (const c of summary.natChains) sink.chain('nat', c, false);
  return summary;
}

/**
 * The compiled tables of buildNodeRuleset(renderRestore(services, o)), each rule compiled as
 * it is rendered and then dropped: a sync never holds every rule object at once.
 */
export function compileNodeTables(
  services: ServicePortInfo[],
  o: IptablesOptions,
  onto?: Onto,
): { compiled: CompiledRuleset; summary: RenderSummary } {
  const tables = { filter: new TableCompiler('filter'), nat: new TableCompiler('nat') };
  const summary = streamNodeRules(
    services,
    o,
    {
      chain: (table, name, builtin) => tables[table].chain(name, builtin),
      rule: (table, r) => tables[table].add(tables[table].chain(r.chain), r),
    },
    onto?.unchanged,
  );
  const nat = onto ? tables.nat.finishOnto(onto.nat, (name) => onto.gone.has(name)) : tables.nat.finish(true);
  const compiled: CompiledRuleset = { tables: new Map([tables.filter.finish(true), nat].map((ct) => [ct.name, ct])) };
  return { compiled, summary };
}

/**
 * A sync that changes a few service ports: the ports whose own chains are as they were
 * (`unchanged`, see renderRules) keep their rows from the last sync's nat table, whose
 * chains of changed or deleted ports (`gone`) are dropped. Gives the same tables as
 * compiling everything.
 */
export interface Onto {
  nat: CompiledTable;
  unchanged: Int32Array;
  gone: Set<string>;
}

/** Each compiled table's rule texts in row order, rendered again without keeping the rule objects. */
export function nodeRuleTexts(services: ServicePortInfo[], o: IptablesOptions, compiled: CompiledRuleset): Map<string, string[]> {
  const byChain = { filter: new Map<string, string[]>(), nat: new Map<string, string[]>() };
  streamNodeRules(services, o, {
    chain: () => {},
    rule: (table, r) => {
      const m = byChain[table];
      let list = m.get(r.chain);
      if (!list) m.set(r.chain, (list = []));
      list.push(r.text);
    },
  });
  const texts = new Map<string, string[]>();
  for (const [name, ct] of compiled.tables) {
    const out: string[] = [];
    const m = byChain[name as TableName];
    for (let c = 0; c < ct.chainCount; c++) for (const t of m.get(ct.chainName(c)) ?? []) out.push(t);
    texts.set(name, out);
  }
  return texts;
}
