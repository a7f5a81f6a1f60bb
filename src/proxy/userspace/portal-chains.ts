// The userspace proxier's iptables tables, compiled for walking rule by rule.
import {
  appendRule,
  type CompiledTable,
  compileTable,
  ensureChain,
  ensureTable,
  getTable,
  newRuleset,
  rule as parseRule,
  type Ruleset,
} from '../../netfilter/index.ts';
import {
  JUMP_RULES,
  NODEPORT_CONTAINER,
  NODEPORT_HOST,
  NODEPORT_NON_LOCAL,
  PORTALS_CONTAINER,
  PORTALS_HOST,
  type PortalRules,
} from './rules.ts';

const PORTAL_CHAINS: [string, keyof PortalRules][] = [
  [PORTALS_CONTAINER, 'container'],
  [PORTALS_HOST, 'host'],
  [NODEPORT_CONTAINER, 'nodeContainer'],
  [NODEPORT_HOST, 'nodeHost'],
];

export class PortalChains {
  readonly ruleset: Ruleset;
  readonly nat: CompiledTable;

  /** Rules in the order the portals were opened (kube-proxy appends as it opens them). */
  constructor(portals: Iterable<{ rules: PortalRules; proxyPort: number }>) {
    const list = [...portals];
    const rs = newRuleset();
    const nat = ensureTable(rs, 'nat');
    const filter = ensureTable(rs, 'filter');
    // iptables-save order: built-in chains, then user chains by name.
    for (const c of ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']) ensureChain(nat, c);
    for (const c of ['INPUT', 'FORWARD', 'OUTPUT']) ensureChain(filter, c);
    for (const c of [NODEPORT_CONTAINER, NODEPORT_HOST, PORTALS_CONTAINER, PORTALS_HOST]) ensureChain(nat, c);
    ensureChain(filter, NODEPORT_NON_LOCAL);
    for (const [t, chain, text] of JUMP_RULES) appendRule(t === 'nat' ? nat : filter, chain, text);
    for (const [chain, field] of PORTAL_CHAINS) {
      for (const p of list) for (const r of p.rules[field]) appendRule(nat, chain, (r.parsed ??= parseRule(r.text)));
    }
    for (const p of list) for (const r of p.rules.nonLocal) appendRule(filter, NODEPORT_NON_LOCAL, (r.parsed ??= parseRule(r.text)));
    this.ruleset = rs;
    this.nat = compileTable(getTable(rs, 'nat')!, { checkLoops: false });
  }

  get ruleCount(): number {
    let n = 0;
    for (const t of this.ruleset.tables) for (const c of t.chains) n += c.rules.length;
    return n;
  }
}
