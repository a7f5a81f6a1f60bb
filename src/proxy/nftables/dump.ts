// The table as it stands, written as the `add` commands that would create it (what knftables'
// Fake.Dump prints and kube-proxy's tests compare): table, chains, sets and maps, rules in
// chain order, elements. `nft -f` accepts it on a node without the table.
import { formatIPv4 } from '../../util/ipv4.ts';
import { ruleText } from './rule.ts';
import type { NftTable } from './table.ts';
import { chainSpec, keyText, mapElement, mapSpec, setSpec, verdictText } from './tx.ts';

export function dumpTable(t: NftTable): string {
  const p = `${t.family} ${t.name}`;
  const out: string[] = [];
  if (!t.exists) return '';
  out.push(`add table ${p}${t.comment === null ? '' : ` { comment ${JSON.stringify(t.comment)} ; }`}`);
  const chains = [...t.chainByName.values()];
  for (const c of chains) out.push(`add chain ${p} ${c.name}${chainSpec(c.base, c.comment)}`);
  for (const s of t.sets.values())
    out.push(
      s.kind === 'set'
        ? `add set ${p} ${s.name}${setSpec(s.comment, s.timeoutSeconds)}`
        : `add map ${p} ${s.name}${mapSpec(s.withAddress, s.comment)}`,
    );
  for (const c of chains) t.blobs.forEachRule(c.id, (code, pc) => out.push(`add rule ${p} ${c.name} ${ruleText(t, code, pc)}`));
  for (const s of t.sets.values()) {
    // Dynamic sets hold what packets put there, not configuration.
    if (s.kind === 'set') {
      if (s.timeoutSeconds === 0) s.elements.forEach((ip) => out.push(`add element ${p} ${s.name} { ${formatIPv4(ip)} }`));
      continue;
    }
    s.elements.forEach((ip, pp, v) => {
      const key = keyText(s, ip, pp);
      out.push(`add element ${p} ${s.name} ${mapElement(key, s.comments.get(key), verdictText(t, v))}`);
    });
  }
  return out.join('\n') + '\n';
}
