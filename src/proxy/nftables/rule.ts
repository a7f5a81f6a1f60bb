// The nftables rules kube-proxy writes: objects handed to a transaction (blob.ts encodes and
// keeps them), and the encoded form as the text `nft -f` reads (ruleText). Only the expressions
// and statements pkg/proxy/nftables/proxier.go uses are modelled; each opcode notes its text.
import { type Cidr, formatIPv4 } from '../../util/ipv4.ts';
import { protocolName } from '../../util/proto.ts';
import { F_NEG, F_PREFIX, MATCH_SIZE, RULE_HEAD } from './blob.ts';
import type { Chain, NftSet, NftTable, VerdictMap } from './table.ts';

/** ip daddr [!=] ADDR[/N] */
export const M_DADDR = 1;
/** ip saddr [!=] ADDR[/N] */
export const M_SADDR = 2;
/** ip daddr [!=] { A , B } (an anonymous interval set when it has two or more elements) */
export const M_DADDR_ANON = 3;
/** ip saddr [!=] { A , B } */
export const M_SADDR_ANON = 4;
/** ip daddr @SET */
export const M_DADDR_SET = 5;
/** ip saddr @SET (a dynamic set with timeouts: ClientIP affinity) */
export const M_SADDR_SET = 6;
/** fib daddr type local */
export const M_FIB_DADDR_LOCAL = 7;
/** fib saddr type local */
export const M_FIB_SADDR_LOCAL = 8;
/** tcp|udp|sctp dport N */
export const M_DPORT = 9;
/** meta l4proto tcp|udp|sctp */
export const M_L4PROTO = 10;
/** ct state new */
export const M_CT_NEW = 11;
/** mark and MASK == 0 */
export const M_MARK_ZERO = 12;

export const S_JUMP = 1;
export const S_GOTO = 2;
export const S_RETURN = 3;
export const S_ACCEPT = 4;
export const S_DROP = 5;
export const S_REJECT = 6;
/** ip daddr . meta l4proto . th dport vmap @MAP, or meta l4proto . th dport vmap @MAP */
export const S_VMAP = 7;
/** numgen random mod N vmap { 0 : goto A , 1 : goto B } */
export const S_NUMGEN = 8;
/** dnat to IP:PORT (after the rule's meta l4proto match) */
export const S_DNAT = 9;
/** mark set mark or MASK */
export const S_MARK_OR = 10;
/** mark set mark xor MASK */
export const S_MARK_XOR = 11;
/** masquerade fully-random */
export const S_MASQUERADE = 12;
/** update @SET { ip saddr } (not a verdict: the walk goes on with the next rule) */
export const S_UPDATE = 13;

export class Match {
  /** Address (int32, masked), protocol number or mark mask. */
  readonly a: number;
  /** Netmask (int32) for M_DADDR/M_SADDR, or the port. */
  readonly b: number;

  constructor(
    readonly op: number,
    readonly neg = false,
    a = 0,
    b = 0xffffffff,
    readonly cidrs: readonly Cidr[] | null = null,
    readonly set: NftSet | null = null,
    /** The operand as kube-proxy writes it ("10.0.0.0/8", "{ A , B }"), for the ADDR and ANON matches. */
    readonly operand = '',
  ) {
    // int32, as the walker holds addresses (see hash.ts).
    this.a = a | 0;
    this.b = b | 0;
  }
}

export class Rule {
  constructor(
    readonly matches: readonly Match[],
    readonly stmt: number,
    /** S_JUMP/S_GOTO target */
    readonly chain: Chain | null = null,
    /** S_VMAP: the named verdict map */
    readonly map: VerdictMap | null = null,
    /** S_NUMGEN: the endpoint chains, in vmap order */
    readonly targets: readonly Chain[] | null = null,
    /** S_DNAT address, S_MARK_* mask */
    readonly a = 0,
    /** S_DNAT port */
    readonly b = 0,
    /** S_UPDATE set */
    readonly set: NftSet | null = null,
    readonly comment: string | null = null,
  ) {}

  /** Sets the kernel allocates for this rule (nft turns a one-element anonymous set into a compare). */
  anonymousSets(): number {
    let n = this.stmt === S_NUMGEN ? 1 : 0;
    for (const m of this.matches) if (m.cidrs && m.cidrs.length > 1) n++;
    return n;
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** An address match's operand: the address, or address/prefix when it was written as a prefix. */
function operand(code: Int32Array, p: number): string {
  return code[p + 1] & F_PREFIX ? `${formatIPv4(code[p + 2])}/${Math.clz32(~code[p + 3])}` : formatIPv4(code[p + 2]);
}

function matchText(refs: readonly unknown[], code: Int32Array, p: number): string {
  const not = code[p + 1] & F_NEG ? '!= ' : '';
  const a = code[p + 2];
  switch (code[p]) {
    case M_DADDR:
      return `ip daddr ${not}${operand(code, p)}`;
    case M_SADDR:
      return `ip saddr ${not}${operand(code, p)}`;
    case M_DADDR_ANON:
      return `ip daddr ${not}${(refs[a] as Match).operand}`;
    case M_SADDR_ANON:
      return `ip saddr ${not}${(refs[a] as Match).operand}`;
    case M_DADDR_SET:
      return `ip daddr @${(refs[a] as NftSet).name}`;
    case M_SADDR_SET:
      return `ip saddr @${(refs[a] as NftSet).name}`;
    case M_FIB_DADDR_LOCAL:
      return 'fib daddr type local';
    case M_FIB_SADDR_LOCAL:
      return 'fib saddr type local';
    case M_DPORT:
      return `${protocolName(a)} dport ${code[p + 3]}`;
    case M_L4PROTO:
      return `meta l4proto ${protocolName(a)}`;
    case M_CT_NEW:
      return 'ct state new';
    case M_MARK_ZERO:
      return `mark and ${hex(a)} == 0`;
    default:
      throw new Error(`unknown match ${code[p]}`);
  }
}

function stmtText(t: NftTable, code: Int32Array, pc: number): string {
  const x = code[pc + 3];
  const name = (id: number) => t.chains[id]!.name;
  switch (code[pc + 2]) {
    case S_JUMP:
      return `jump ${name(x)}`;
    case S_GOTO:
      return `goto ${name(x)}`;
    case S_RETURN:
      return 'return';
    case S_ACCEPT:
      return 'accept';
    case S_DROP:
      return 'drop';
    case S_REJECT:
      return 'reject';
    case S_VMAP: {
      const map = t.blobs.refs[x] as VerdictMap;
      return map.withAddress ? `ip daddr . meta l4proto . th dport vmap @${map.name}` : `meta l4proto . th dport vmap @${map.name}`;
    }
    case S_NUMGEN: {
      const n = code[pc + 4];
      const at = pc + RULE_HEAD + code[pc + 1] * MATCH_SIZE;
      const arms: string[] = [];
      for (let k = 0; k < n; k++) arms.push(`${k} : goto ${name(code[at + k])}`);
      return `numgen random mod ${n} vmap { ${arms.join(' , ')} }`;
    }
    case S_DNAT:
      return `dnat to ${formatIPv4(x)}:${code[pc + 4]}`;
    case S_MARK_OR:
      return `mark set mark or ${hex(x)}`;
    case S_MARK_XOR:
      return `mark set mark xor ${hex(x)}`;
    case S_MASQUERADE:
      return 'masquerade fully-random';
    case S_UPDATE:
      return `update @${(t.blobs.refs[x] as NftSet).name} { ip saddr }`;
    default:
      throw new Error(`unknown statement ${code[pc + 2]}`);
  }
}

/** The encoded rule at pc (blob.ts) as kube-proxy's knftables.Concat writes it (and `nft list` would not reorder). */
export function ruleText(t: NftTable, code: Int32Array, pc: number): string {
  const refs = t.blobs.refs;
  const parts: string[] = [];
  for (let k = 0, p = pc + RULE_HEAD; k < code[pc + 1]; k++, p += MATCH_SIZE) parts.push(matchText(refs, code, p));
  parts.push(stmtText(t, code, pc));
  if (code[pc + 5] >= 0) parts.push(`comment ${JSON.stringify(refs[code[pc + 5]])}`);
  return parts.join(' ');
}
