// One rule being written: its arguments (as kube-proxy passes them to iptables-restore), its
// text (kube-proxy's quoting: an argument with whitespace is double-quoted) and the netfilter
// model's Match and Target objects for it, built together so they cannot drift apart.
//
// The objects are exactly what the netfilter parser makes of the same arguments (options of a
// `-m` module become that module's matches at the module's position); a test compares every
// rule with parseIptablesSave of the rendered text. `-m nfacct`, which the model does not
// know, becomes a comment-like no-op match (see nfacct-adapter.ts).
import { quoteArg, type Match, type Rule, type Target } from '../../netfilter/index.ts';
import { CT_STATES } from '../../netfilter/values.ts';
import { formatIPv4 } from '../../util/ipv4.ts';

export type L4 = 'tcp' | 'udp' | 'sctp';

/** Shared immutable objects for the commonest matches and targets. */
const PROTO_MATCH: Record<L4, Match> = {
  tcp: { kind: 'proto', negate: false, name: 'tcp', code: 6 },
  udp: { kind: 'proto', negate: false, name: 'udp', code: 17 },
  sctp: { kind: 'proto', negate: false, name: 'sctp', code: 132 },
};
const SHARED_JUMPS = new Map<string, Target>(
  ['KUBE-MARK-MASQ', 'KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING'].map((chain) => [chain, { kind: 'jump', chain }]),
);
const NO_TARGET: Target = { kind: 'none' };
/** Shared empty list; replaced, never mutated, if a rule ever gains entries. */
const NONE: string[] = [];

export class RuleBuf implements Rule {
  args: string[] = [];
  matches: Match[] = [];
  target: Target = NO_TARGET;
  /** Rendered rules are always supported, carry no counters and no comment lines. */
  unsupported: string[] = NONE;
  counters = null;
  before: string[] = NONE;
  private textCache: string | null = null;

  constructor(readonly chain: string) {}

  /** The arguments as iptables-restore reads them (kube-proxy quotes only what has spaces). */
  get text(): string {
    if (this.textCache === null) {
      // join() makes one flat string (searching concatenated pieces would flatten them later).
      const args = this.args;
      let quoted: string[] | null = null;
      for (let i = 0; i < args.length; i++) {
        if (!needsQuote(args[i])) continue;
        quoted ??= args.slice();
        quoted[i] = quoteArg(args[i]);
      }
      this.textCache = (quoted ?? args).join(' ');
    }
    return this.textCache;
  }

  private a(t: string): void {
    this.args.push(t);
  }

  /** `-m comment --comment TEXT` (omitted when text is null). */
  comment(text: string | null): this {
    if (text === null) return this;
    this.args.push('-m', 'comment', '--comment', text);
    this.matches.push({ kind: 'comment', text });
    return this;
  }

  /** `-m P -p P [-d DST] [--dport N]`: the port match (module first), the protocol, the address. */
  proto(p: L4, dst: string | null = null, dport: number | null = null): this {
    this.args.push('-m', p, '-p', p);
    if (dst !== null) this.args.push('-d', dst);
    if (dport !== null) {
      this.args.push('--dport', String(dport));
      this.matches.push({ kind: 'port', dir: 'dst', negate: false, proto: p, lo: dport, hi: dport });
    }
    this.matches.push(PROTO_MATCH[p]);
    if (dst !== null) this.matches.push(addrMatch('dst', false, dst));
    return this;
  }

  /** `[!] -s|-d ADDR` (an address or a CIDR). */
  addr(dir: 'src' | 'dst', negate: boolean, text: string): this {
    if (negate) this.a('!');
    this.args.push(dir === 'src' ? '-s' : '-d', text);
    this.matches.push(addrMatch(dir, negate, text));
    return this;
  }

  /** `-m addrtype --src-type|--dst-type LOCAL`. */
  addrtypeLocal(dir: 'src' | 'dst'): this {
    this.args.push('-m', 'addrtype', dir === 'src' ? '--src-type' : '--dst-type', 'LOCAL');
    this.matches.push({ kind: 'addrtype', dir, negate: false, types: ['LOCAL'], limitIface: null });
    return this;
  }

  /** `-m mark [!] --mark V/M`. */
  mark(negate: boolean, value: number, text: string): this {
    this.args.push('-m', 'mark');
    if (negate) this.a('!');
    this.args.push('--mark', `${text}/${text}`);
    this.matches.push({ kind: 'mark', negate, value, mask: value });
    return this;
  }

  /** `-m conntrack [!] --ctstate S[,S]`. */
  ctstate(negate: boolean, states: string[]): this {
    this.args.push('-m', 'conntrack');
    if (negate) this.a('!');
    this.args.push('--ctstate', states.join(','));
    let bits = 0;
    for (let i = 0; i < states.length; i++) bits |= CT_STATES[states[i]];
    this.matches.push({ kind: 'ctstate', negate, states, bits });
    return this;
  }

  /** `-m statistic --mode random --probability P`. */
  statistic(p: string): this {
    this.args.push('-m', 'statistic', '--mode', 'random', '--probability', p);
    this.matches.push({ kind: 'statistic', negate: false, probability: Number(p), probabilityText: p });
    return this;
  }

  /** `-m recent --name N --rcheck --seconds S --reap`, or `--set` when seconds is null. */
  recent(name: string, seconds: number | null): this {
    if (seconds === null) this.args.push('-m', 'recent', '--name', name, '--set');
    else this.args.push('-m', 'recent', '--name', name, '--rcheck', '--seconds', String(seconds), '--reap');
    this.matches.push({
      kind: 'recent',
      negate: false,
      name,
      command: seconds === null ? 'set' : 'rcheck',
      seconds,
      hitcount: null,
      reap: seconds !== null,
      mask: 0xffffffff,
      side: 'src',
    });
    return this;
  }

  /** `-m nfacct --nfacct-name N`: counts and always matches. */
  nfacct(name: string): this {
    this.args.push('-m', 'nfacct', '--nfacct-name', name);
    this.matches.push({ kind: 'comment', text: `nfacct --nfacct-name ${name}` });
    return this;
  }

  /** `-j CHAIN`. */
  jump(chain: string): this {
    this.args.push('-j', chain);
    this.target = SHARED_JUMPS.get(chain) ?? { kind: 'jump', chain };
    return this;
  }

  verdict(kind: 'ACCEPT' | 'DROP' | 'REJECT' | 'RETURN'): this {
    this.args.push('-j', kind);
    this.target = kind === 'REJECT' ? { kind, rejectWith: null } : { kind };
    return this;
  }

  dnat(ip: number, port: number): this {
    const to = `${formatIPv4(ip)}:${port}`;
    this.args.push('-j', 'DNAT', '--to-destination', to);
    this.target = { kind: 'DNAT', toDestination: to, ip, port, random: false, persistent: false };
    return this;
  }

  masquerade(randomFully: boolean): this {
    this.args.push('-j', 'MASQUERADE');
    if (randomFully) this.a('--random-fully');
    this.target = { kind: 'MASQUERADE', toPorts: null, random: false, randomFully };
    return this;
  }

  /** `-j MARK --or-mark V` / `--xor-mark V` (xt_MARK: or sets the bits, xor flips them). */
  markTarget(op: 'or-mark' | 'xor-mark', value: number, text: string): this {
    this.args.push('-j', 'MARK', `--${op}`, text);
    this.target = { kind: 'MARK', op, operand: text, xor: value, clear: op === 'or-mark' ? value : 0 };
    return this;
  }

  /** The rule for the netfilter model: this object itself (one object per rule keeps syncs cheap). */
  toRule(): Rule {
    return this;
  }
}

function addrMatch(dir: 'src' | 'dst', negate: boolean, text: string): Match {
  const slash = text.indexOf('/');
  const ip = parseDotted(slash < 0 ? text : text.slice(0, slash));
  const prefix = slash < 0 ? 32 : Number(text.slice(slash + 1));
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { kind: 'addr', dir, negate, text, addr: (ip & mask) >>> 0, mask };
}

function parseDotted(s: string): number {
  let v = 0;
  let part = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      v = v * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return (v * 256 + part) >>> 0;
}

/** Whether quoteArg would change the argument (whitespace, quotes, backslash, empty). */
function needsQuote(arg: string): boolean {
  if (arg.length === 0) return true;
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c === 32 || c === 34 || c === 39 || c === 92 || (c >= 9 && c <= 13)) return true;
    if (c > 127) return /[\s"'\\]/.test(arg);
  }
  return false;
}
