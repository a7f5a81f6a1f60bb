// The userspace proxier's iptables tables, compiled for walking, with an index that finds
// the rule a full walk would stop at without testing every rule before it.
import { appendRule, ensureChain, ensureTable, getTable, newRuleset, type Ruleset } from '../../netfilter/index.ts';
import { CompiledTable, type WalkEnv } from '../ipvs/rule-walk.ts';
import type { PacketOrigin } from '../types.ts';
import {
  JUMP_RULES, NODEPORT_CONTAINER, NODEPORT_HOST, NODEPORT_NON_LOCAL, PORTALS_CONTAINER, PORTALS_HOST, type PortalRules,
} from './rules.ts';

const PROTO_INDEX: Record<number, number> = { 6: 0, 17: 1, 132: 2 };
/** (protocol, destination, port) as one exact number (below 2^53). */
const lookupKey = (proto: number, dst: number, dport: number): number => (PROTO_INDEX[proto] ?? 3) * 2 ** 48 + (dst >>> 0) * 65536 + dport;

const INDEXED: [string, keyof PortalRules][] = [
  [PORTALS_CONTAINER, 'container'], [PORTALS_HOST, 'host'], [NODEPORT_CONTAINER, 'nodeContainer'], [NODEPORT_HOST, 'nodeHost'],
];

export class PortalChains {
  readonly ruleset: Ruleset;
  readonly nat: CompiledTable;
  /** Per indexed chain: lookupKey -> 0-based rule positions with that destination. */
  private readonly index = new Map<string, Map<number, number[]>>();
  /** Per indexed chain: the proxy port each rule sends to. */
  private readonly ports = new Map<string, number[]>();

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
    for (const [chain, field] of INDEXED) {
      const idx = new Map<number, number[]>();
      const ports: number[] = [];
      for (const p of list) {
        for (const r of p.rules[field]) {
          appendRule(nat, chain, r.text);
          const k = lookupKey(r.proto, r.dst, r.dport);
          const at = idx.get(k);
          if (at) at.push(ports.length);
          else idx.set(k, [ports.length]);
          ports.push(p.proxyPort);
        }
      }
      this.index.set(chain, idx);
      this.ports.set(chain, ports);
    }
    for (const p of list) for (const r of p.rules.nonLocal) appendRule(filter, NODEPORT_NON_LOCAL, r.text);
    this.ruleset = rs;
    this.nat = new CompiledTable(getTable(rs, 'nat')!, new Map());
  }

  get ruleCount(): number {
    let n = 0;
    for (const t of this.ruleset.tables) for (const c of t.chains) n += c.rules.length;
    return n;
  }

  /**
   * The proxy port a walk of nat PREROUTING (OUTPUT for 'local') sends the packet to, or 0,
   * adding the rules that walk tests to env.rules. The built-in chain holds [portal jump
   * (matches everything), NodePort jump (-m addrtype --dst-type LOCAL)]; within a chain only
   * the rules indexed under the packet's (protocol, destination, port) can match.
   */
  find(origin: PacketOrigin, e: WalkEnv): number {
    const [portals, nodePorts] = origin === 'local' ? [PORTALS_HOST, NODEPORT_HOST] : [PORTALS_CONTAINER, NODEPORT_CONTAINER];
    e.rules++;
    let port = this.firstMatch(portals, lookupKey(e.proto, e.dst, e.dport), e);
    if (port !== 0) return port;
    e.rules++;
    if (!e.isLocal(e.dst)) return 0;
    port = this.firstMatch(nodePorts, lookupKey(e.proto, 0, e.dport), e);
    return port;
  }

  /** Adds the rules tested in `chain` (up to the match, or all) and returns the match's proxy port. */
  private firstMatch(chain: string, key: number, e: WalkEnv): number {
    const candidates = this.index.get(chain)!.get(key);
    if (candidates) {
      for (let k = 0; k < candidates.length; k++) {
        const i = candidates[k];
        if (this.nat.ruleMatches(chain, i, e)) {
          e.rules += i + 1;
          return this.ports.get(chain)![i];
        }
      }
    }
    e.rules += this.nat.ruleCount(chain);
    return 0;
  }
}
