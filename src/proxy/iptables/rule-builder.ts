// The node's filter and nat tables as a netfilter Ruleset, built from the rendered rules'
// Match/Target objects (rule-buf.ts) instead of re-parsing the iptables-save text: parsing
// ~10^5 rules costs seconds. A test checks the result equals parseIptablesSave(render()).
import { ensureChain, ensureTable, newRuleset, type Ruleset } from '../../netfilter/index.ts';
import { BUILTIN, nodeTables } from './full-save.ts';
import type { RestorePayload } from './render.ts';

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
