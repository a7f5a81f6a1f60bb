// Which lines of a kube-proxy iptables ruleset belong to which service port. kube-proxy puts the
// service port name ("ns/name:port") in the `-m comment --comment` of every per-service rule
// (except the KUBE-SVC -> KUBE-SEP jumps and KUBE-SEP rules in largeClusterMode, which drop
// their comments); a KUBE-SVC/SVL/EXT/FW/SEP chain belongs to the service of the rules in it
// or, when those carry no comment, to the service whose rules jump to it.
import type { Ruleset } from '../netfilter/index.ts';

const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-'];
/** ServicePortName.String(): namespace/name[:port], each a DNS label or subdomain. */
const SERVICE_PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;

export const isServiceChain = (name: string): boolean => SERVICE_CHAIN_PREFIXES.some((p) => name.startsWith(p));

/** Lines of one service port, split by whether a KEP-3453 partial restore rewrites them. */
export interface PortLines {
  /** Its rules in the fixed chains (KUBE-SERVICES, KUBE-NODEPORTS, ...): written on every sync. */
  fixedChainLines: number;
  /** Declarations and rules of its own chains: written when the service changed (or a full sync). */
  ownLines: number;
  ownChains: number;
  /** Rules (both kinds): the table size legacy iptables re-validates. */
  rules: number;
}

export interface Attribution {
  /** iptables-restore input of a full sync: table headers, COMMITs, user-chain declarations and rules. */
  restoreLines: number;
  /** Every rule of the tables, including the jump rules in built-in chains. */
  totalRules: number;
  /** Restore lines that belong to no service (headers, COMMIT, fixed chains and their own rules). */
  fixedLines: number;
  /** Rules that belong to no service. */
  fixedRules: number;
  ports: Map<string, PortLines>;
}

/** The service port a comment names ("ns/svc:p80 cluster IP", "masquerade traffic for ns/svc:p80 ..."). */
export function servicePortOfComment(text: string): string | null {
  for (const word of text.split(' ')) {
    if (word.includes('/') && SERVICE_PORT_NAME.test(word)) return word;
  }
  return null;
}

export function attributeRuleset(rs: Ruleset): Attribution {
  const out: Attribution = { restoreLines: 0, totalRules: 0, fixedLines: 0, fixedRules: 0, ports: new Map() };
  const port = (name: string): PortLines => {
    let p = out.ports.get(name);
    if (!p) out.ports.set(name, (p = { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 }));
    return p;
  };
  for (const table of rs.tables) {
    out.restoreLines += 2; // *table and COMMIT
    out.fixedLines += 2;
    // Owner of each per-service chain: from comments inside it, then along jumps (fixpoint).
    const owner = new Map<string, string>();
    const commentOwner = (r: (typeof table.chains)[number]['rules'][number]): string | null => {
      for (const m of r.matches)
        if (m.kind === 'comment') {
          const name = servicePortOfComment(m.text);
          if (name) return name;
        }
      return null;
    };
    for (const chain of table.chains) {
      if (!isServiceChain(chain.name)) continue;
      for (const r of chain.rules) {
        const name = commentOwner(r);
        if (name) {
          owner.set(chain.name, name);
          break;
        }
      }
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const chain of table.chains) {
        const from = isServiceChain(chain.name) ? owner.get(chain.name) : undefined;
        for (const r of chain.rules) {
          const t = r.target;
          if ((t.kind !== 'jump' && t.kind !== 'goto') || !isServiceChain(t.chain) || owner.has(t.chain)) continue;
          const name = from ?? commentOwner(r);
          if (name) {
            owner.set(t.chain, name);
            changed = true;
          }
        }
      }
    }
    for (const chain of table.chains) {
      out.totalRules += chain.rules.length;
      if (chain.builtin) {
        // Jump rules kube-proxy adds with `iptables -I` on full syncs: not restore input.
        out.fixedRules += chain.rules.length;
        continue;
      }
      out.restoreLines += 1 + chain.rules.length;
      const chainOwner = isServiceChain(chain.name) ? owner.get(chain.name) : undefined;
      if (chainOwner) {
        const p = port(chainOwner);
        p.ownChains++;
        p.ownLines += 1 + chain.rules.length;
        p.rules += chain.rules.length;
        continue;
      }
      out.fixedLines += 1;
      for (const r of chain.rules) {
        const name = commentOwner(r);
        if (name) {
          const p = port(name);
          p.fixedChainLines++;
          p.rules++;
        } else {
          out.fixedLines++;
          out.fixedRules++;
        }
      }
    }
  }
  return out;
}
