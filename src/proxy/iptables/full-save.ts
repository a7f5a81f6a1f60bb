// The node's whole filter and nat tables as `iptables-save` would print them after kube-proxy
// ran on a fresh host: the built-in chains with the jump rules kube-proxy installs outside
// iptables-restore (proxier.go, iptablesJumpChains and iptablesKubeletJumpChains, each added
// with EnsureRule(Prepend)), plus the restore payload. Like iptables-save, built-in chains come
// first, user chains in name order, then each chain's rules.
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  type RestorePayload,
  type RuleLine,
  ruleLineText,
} from './render.ts';
import { RuleBuf } from './rule-buf.ts';

interface JumpChain {
  table: 'filter' | 'nat';
  dst: string;
  src: string;
  comment: string;
  /** Only for connections in state NEW (`-m conntrack --ctstate NEW`). */
  newOnly: boolean;
}

const NEW = true;

/** In kube-proxy's order; each is prepended, so later ones end up first in their chain. */
export const JUMP_CHAINS: readonly JumpChain[] = [
  { table: 'filter', dst: KUBE_EXTERNAL_SERVICES, src: 'INPUT', comment: 'kubernetes externally-visible service portals', newOnly: NEW },
  { table: 'filter', dst: KUBE_EXTERNAL_SERVICES, src: 'FORWARD', comment: 'kubernetes externally-visible service portals', newOnly: NEW },
  { table: 'filter', dst: KUBE_NODEPORTS, src: 'INPUT', comment: 'kubernetes health check service ports', newOnly: false },
  { table: 'filter', dst: KUBE_SERVICES, src: 'FORWARD', comment: 'kubernetes service portals', newOnly: NEW },
  { table: 'filter', dst: KUBE_SERVICES, src: 'OUTPUT', comment: 'kubernetes service portals', newOnly: NEW },
  { table: 'filter', dst: KUBE_FORWARD, src: 'FORWARD', comment: 'kubernetes forwarding rules', newOnly: false },
  { table: 'filter', dst: KUBE_PROXY_FIREWALL, src: 'INPUT', comment: 'kubernetes load balancer firewall', newOnly: NEW },
  { table: 'filter', dst: KUBE_PROXY_FIREWALL, src: 'OUTPUT', comment: 'kubernetes load balancer firewall', newOnly: NEW },
  { table: 'filter', dst: KUBE_PROXY_FIREWALL, src: 'FORWARD', comment: 'kubernetes load balancer firewall', newOnly: NEW },
  { table: 'nat', dst: KUBE_SERVICES, src: 'OUTPUT', comment: 'kubernetes service portals', newOnly: false },
  { table: 'nat', dst: KUBE_SERVICES, src: 'PREROUTING', comment: 'kubernetes service portals', newOnly: false },
  { table: 'nat', dst: KUBE_POSTROUTING, src: 'POSTROUTING', comment: 'kubernetes postrouting rules', newOnly: false },
  // Duplicates of kubelet's chains (the anti-martian rule for route_localnet).
  { table: 'filter', dst: KUBE_FIREWALL, src: 'INPUT', comment: '', newOnly: false },
  { table: 'filter', dst: KUBE_FIREWALL, src: 'OUTPUT', comment: '', newOnly: false },
];

export const BUILTIN: Record<'filter' | 'nat', string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

/** The rule a jump chain entry adds to its built-in chain. */
export function jumpRule(j: JumpChain): RuleLine {
  const r = new RuleBuf(j.src);
  if (j.newOnly) r.ctstate(false, ['NEW']);
  return r.comment(j.comment || null).jump(j.dst);
}

export interface TableLayout {
  table: 'filter' | 'nat';
  /** Built-in chains first (kernel order), then user chains by name, as iptables-save lists them. */
  chains: string[];
  /** Rules per chain, in order. */
  rules: Map<string, RuleLine[]>;
}

/** The node's filter and nat tables: built-in chains with kube-proxy's jumps, plus the payload. */
export function nodeTables(p: RestorePayload): TableLayout[] {
  return (['filter', 'nat'] as const).map((table) => {
    const rules = new Map<string, RuleLine[]>();
    for (const c of BUILTIN[table]) rules.set(c, []);
    for (const j of JUMP_CHAINS) {
      if (j.table !== table) continue;
      rules.get(j.src)!.unshift(jumpRule(j));
      if (!rules.has(j.dst)) rules.set(j.dst, []);
    }
    for (const name of table === 'filter' ? p.filterChains : p.natChains) if (!rules.has(name)) rules.set(name, []);
    const all = table === 'filter' ? p.filterRules : p.natRules;
    for (let i = 0; i < all.length; i++) {
      const r = all[i];
      let list = rules.get(r.chain);
      if (!list) rules.set(r.chain, (list = []));
      list.push(r);
    }
    const user = [...rules.keys()].filter((c) => !BUILTIN[table].includes(c)).sort();
    return { table, chains: [...BUILTIN[table], ...user], rules };
  });
}

/** Full iptables-save text of filter and nat (zero counters, no comment lines). */
export function fullSaveText(p: RestorePayload): string {
  const out: string[] = [];
  for (const t of nodeTables(p)) {
    out.push(`*${t.table}`);
    for (const c of t.chains) out.push(BUILTIN[t.table].includes(c) ? `:${c} ACCEPT [0:0]` : `:${c} - [0:0]`);
    for (const c of t.chains) for (const r of t.rules.get(c)!) out.push(ruleLineText(r));
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
