// One IP set with membership tests that never allocate: members are kept in nested Maps
// keyed by numbers (address, then proto<<16|port, then the third dimension), and
// bitmap:port in a bit per port. The text form of each member is kept for listing.
import { InputError } from '../util/errors.ts';
import { prefixToMask } from '../util/ipv4.ts';
import { formatEntry, parseEntry } from './entry.ts';
import type { SetEntry, SetType } from './types.ts';

export interface IpSetOptions {
  hashsize?: number;
  maxelem?: number;
  /** bitmap:port range "lo-hi" (kube-proxy's DefaultPortRange is 0-65535). */
  range?: string;
  /** kube-proxy's description; it goes into iptables comments, not into the kernel set. */
  comment?: string;
}

interface NetList {
  nets: Uint32Array;
  masks: Uint32Array;
  count: number;
}

export class IpSet {
  readonly hashsize: number;
  readonly maxelem: number;
  readonly rangeLo: number;
  readonly rangeHi: number;
  readonly comment: string;
  /** Member text -> parsed member. */
  private readonly members = new Map<string, SetEntry>();
  private readonly bitmap: Uint8Array | null;
  /** hash:ip: address -> 1; hash:ip,port: address -> Set(proto<<16|port). */
  private readonly byIp = new Map<number, Set<number>>();
  /** hash:ip,port,ip / ,net: address -> proto<<16|port -> third dimension. */
  private readonly byIpPort = new Map<number, Map<number, Set<number> | NetList>>();

  constructor(
    readonly name: string,
    readonly type: SetType,
    opts: IpSetOptions = {},
  ) {
    if (name.length > 31) throw new InputError('ipset name longer than 31 characters', undefined, undefined, name);
    this.hashsize = opts.hashsize ?? 1024;
    this.maxelem = opts.maxelem ?? 65536;
    this.comment = opts.comment ?? '';
    const [lo, hi] = (opts.range ?? '0-65535').split('-').map(Number);
    this.rangeLo = Math.min(lo, hi);
    this.rangeHi = Math.max(lo, hi);
    this.bitmap = type === 'bitmap:port' ? new Uint8Array(65536) : null;
  }

  /** Hash sets hold at most maxelem members; a bitmap holds its whole range. */
  get full(): boolean {
    return this.type !== 'bitmap:port' && this.members.size >= this.maxelem;
  }

  get size(): number {
    return this.members.size;
  }

  /** Member texts in a stable order (sorted; the kernel lists hash sets in hash order). */
  entries(): string[] {
    return [...this.members.keys()].sort(compareMemberText);
  }

  has(text: string): boolean {
    return this.members.has(formatEntry(this.type, parseEntry(this.type, text)));
  }

  /** `ipset add -exist`: returns whether the member was new. */
  add(text: string): boolean {
    const e = parseEntry(this.type, text);
    const key = formatEntry(this.type, e);
    if (this.members.has(key)) return false;
    if (this.type === 'bitmap:port' && (e.port < this.rangeLo || e.port > this.rangeHi)) {
      throw new InputError(`port ${e.port} is outside the range ${this.rangeLo}-${this.rangeHi} of set ${this.name}`);
    }
    if (this.full) throw new InputError(`set ${this.name} is full (maxelem ${this.maxelem})`);
    this.members.set(key, e);
    this.index(e, true);
    return true;
  }

  /** `ipset del`: returns whether the member was there. */
  delete(text: string): boolean {
    const e = parseEntry(this.type, text);
    const key = formatEntry(this.type, e);
    if (!this.members.has(key)) return false;
    this.members.delete(key);
    this.index(e, false);
    return true;
  }

  /**
   * Replace the members with `wanted` as kube-proxy's syncIPSetEntries does: delete the stale
   * ones, then `ipset add` each new one in sorted order (sets.String.List()). An add to a full
   * set fails; kube-proxy logs it and goes on, so the member is left out (see `lastFailed`) and
   * retried on every later sync (kubernetes#129389). Returns the add + del commands issued,
   * failed adds included.
   */
  sync(wanted: Iterable<string>): number {
    const want = new Set<string>();
    // Members already present are in canonical form; only new texts need parsing.
    for (const t of wanted) want.add(this.members.has(t) ? t : formatEntry(this.type, parseEntry(this.type, t)));
    let ops = 0;
    // Deleting the entry being visited is safe in a Map iteration; members kept are not re-parsed.
    for (const k of this.members.keys()) if (!want.has(k) && this.delete(k)) ops++;
    const adds: string[] = [];
    for (const k of want) if (!this.members.has(k)) adds.push(k);
    adds.sort(); // Go's sort.Strings: byte order, the same as UTF-16 order for these ASCII texts
    const failed: string[] = [];
    for (const k of adds) {
      ops++;
      if (this.full) failed.push(k);
      else this.add(k);
    }
    this.lastFailed = failed;
    return ops;
  }

  /** Members the last sync() could not add because the set was full (maxelem), in the order tried. */
  lastFailed: readonly string[] = [];

  // --- membership, one per set type; `proto` is the packet's protocol number -------------

  testPort(port: number): boolean {
    return this.bitmap !== null && this.bitmap[port] === 1;
  }

  testIp(ip: number): boolean {
    return this.byIp.has(ip >>> 0);
  }

  testIpPort(ip: number, proto: number, port: number): boolean {
    return this.byIp.get(ip >>> 0)?.has(proto * 65536 + port) ?? false;
  }

  testIpPortIp(ip: number, proto: number, port: number, ip2: number): boolean {
    const s = this.byIpPort.get(ip >>> 0)?.get(proto * 65536 + port) as Set<number> | undefined;
    return s !== undefined && s.has(ip2 >>> 0);
  }

  testIpPortNet(ip: number, proto: number, port: number, ip2: number): boolean {
    const l = this.byIpPort.get(ip >>> 0)?.get(proto * 65536 + port) as NetList | undefined;
    if (!l) return false;
    const a = ip2 >>> 0;
    for (let i = 0; i < l.count; i++) if ((a & l.masks[i]) >>> 0 === l.nets[i]) return true;
    return false;
  }

  private index(e: SetEntry, add: boolean): void {
    const pp = e.proto * 65536 + e.port;
    switch (this.type) {
      case 'bitmap:port':
        this.bitmap![e.port] = add ? 1 : 0;
        return;
      case 'hash:ip':
      case 'hash:ip,port': {
        let s = this.byIp.get(e.ip);
        if (add) {
          if (!s) this.byIp.set(e.ip, (s = new Set()));
          s.add(this.type === 'hash:ip' ? 0 : pp);
        } else if (s) {
          s.delete(this.type === 'hash:ip' ? 0 : pp);
          if (s.size === 0) this.byIp.delete(e.ip);
        }
        return;
      }
      case 'hash:ip,port,ip':
      case 'hash:ip,port,net': {
        let m = this.byIpPort.get(e.ip);
        if (!m) {
          if (!add) return;
          this.byIpPort.set(e.ip, (m = new Map()));
        }
        if (this.type === 'hash:ip,port,ip') {
          let s = m.get(pp) as Set<number> | undefined;
          if (add) {
            if (!s) m.set(pp, (s = new Set()));
            s.add(e.ip2);
          } else s?.delete(e.ip2);
        } else {
          let l = m.get(pp) as NetList | undefined;
          if (add) {
            if (!l) m.set(pp, (l = { nets: new Uint32Array(4), masks: new Uint32Array(4), count: 0 }));
            addNet(l, e.ip2, prefixToMask(e.prefix));
          } else if (l) removeNet(l, e.ip2, prefixToMask(e.prefix));
        }
        return;
      }
    }
  }
}

function addNet(l: NetList, net: number, mask: number): void {
  if (l.count === l.nets.length) {
    const nets = new Uint32Array(l.count * 2);
    const masks = new Uint32Array(l.count * 2);
    nets.set(l.nets);
    masks.set(l.masks);
    l.nets = nets;
    l.masks = masks;
  }
  l.nets[l.count] = net;
  l.masks[l.count] = mask;
  l.count++;
}

function removeNet(l: NetList, net: number, mask: number): void {
  for (let i = 0; i < l.count; i++) {
    if (l.nets[i] === net && l.masks[i] === mask) {
      l.nets.copyWithin(i, i + 1, l.count);
      l.masks.copyWithin(i, i + 1, l.count);
      l.count--;
      return;
    }
  }
}

/** Orders member texts numerically where they are numbers (ports) and by text otherwise. */
function compareMemberText(a: string, b: string): number {
  const na = Number(a),
    nb = Number(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
