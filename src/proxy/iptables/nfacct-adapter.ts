// Adapter: the netfilter model does not know `-m nfacct` and so never matches rules that
// use it. xt_nfacct only counts the packet and always matches, and kube-proxy puts it on the
// localhost NodePort rule and the INVALID drop rule, so here it becomes a no-op match (the
// rule text is unchanged). Remove once src/netfilter models nfacct itself.
import type { Ruleset } from '../../netfilter/index.ts';

const MODULE = 'nfacct';

export function treatNfacctAsAlwaysMatching(rs: Ruleset): void {
  for (let t = 0; t < rs.tables.length; t++) {
    const chains = rs.tables[t].chains;
    for (let c = 0; c < chains.length; c++) {
      const rules = chains[c].rules;
      for (let r = 0; r < rules.length; r++) {
        const rule = rules[r];
        if (rule.unsupported.length === 0) continue;
        let found = false;
        for (let m = 0; m < rule.matches.length; m++) {
          const x = rule.matches[m];
          if (x.kind === 'unknown' && x.module === MODULE) found = true;
        }
        if (!found) continue;
        rule.matches = rule.matches.map((m) =>
          m.kind === 'unknown' && m.module === MODULE ? { kind: 'comment', text: `nfacct ${m.args.join(' ')}` } : m,
        );
        rule.unsupported = rule.unsupported.filter((why) => !why.includes(`"-m ${MODULE}"`));
      }
    }
  }
}
