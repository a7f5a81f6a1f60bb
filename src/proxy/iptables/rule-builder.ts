// The node's filter and nat tables built from the rendered rules' Match/Target objects
// (rule-buf.ts) instead of re-parsing the iptables-save text: parsing ~10^5 rules costs
// seconds. Tests check both forms equal parseIptablesSave(render()) and its compilation.
import { type CompiledRuleset, ensureChain, ensureTable, newRuleset, type Ruleset, TableCompiler } from '../../netfilter/index.ts';
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

/**
 * The compiled tables of buildNodeRuleset(renderRestore(services, o)), each rule compiled as
 * it is rendered and then dropped: a sync never holds every rule object at once.
 */
export function compileNodeTables(services: ServicePortInfo[], o: IptablesOptions): { compiled: CompiledRuleset; summary: RenderSummary } {
  const tables = { filter: new TableCompiler('filter'), nat: new TableCompiler('nat') };
  for (const name of ['filter', 'nat'] as const) {
    const tc = tables[name];
    for (const c of BUILTIN[name]) tc.chain(c, true);
    // nodeTables prepends each jump rule: the last one comes first.
    for (let i = JUMP_CHAINS.length - 1; i >= 0; i--) if (JUMP_CHAINS[i].table === name) add(tc, jumpRule(JUMP_CHAINS[i]));
    for (const j of JUMP_CHAINS) if (j.table === name) tc.chain(j.dst);
  }
  const summary = renderRules(services, o, (filterRules, natRules) => {
    for (let i = 0; i < filterRules.length; i++) add(tables.filter, filterRules[i]);
    for (let i = 0; i < natRules.length; i++) add(tables.nat, natRules[i]);
  });
  for (const c of summary.filterChains) tables.filter.chain(c);
  for (const c of summary.natChains) tables.nat.chain(c);
  const compiled: CompiledRuleset = { tables: new Map([tables.filter, tables.nat].map((tc) => [tc.name, tc.finish(true)])) };
  return { compiled, summary };
}

function add(tc: TableCompiler, r: RuleBuf): void {
  tc.add(tc.chain(r.chain), r);
}
