// The kernel side of one nftables table (nf_tables: struct nft_table with its chains, sets and
// maps), reduced to what kube-proxy's `ip kube-proxy` table holds. Chains are numbered so a
// verdict map can store "goto chain" as an integer; every set, named or anonymous, also has a
// place in the table's set list (table->sets), because the kernel walks that list when a set
// is created or looked up by name (see tx.ts) -- the work that makes large loads super-linear.
import { RuleBlobs } from './blob.ts';
import { AddressSet, PairHashMap } from './hash.ts';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface BaseChainSpec {
  type: 'filter' | 'nat';
  hook: Hook;
  priority: number;
}

export class Chain {
  /** The proxier's sync that last used this chain (service and endpoint chains). */
  activeSync = -1;
  constructor(
    readonly id: number,
    readonly name: string,
    public base: BaseChainSpec | null,
    public comment: string | null,
  ) {}
}

/** Verdicts stored in a verdict map: kind in the low 2 bits, the chain id above. */
export const V_ACCEPT = 0;
export const V_DROP = 1;
export const V_JUMP = 2;
export const V_GOTO = 3;

export const verdictCode = (kind: number, chain?: Chain): number => ((chain ? chain.id : 0) << 2) | kind;

/** A named set of IPv4 addresses (type ipv4_addr), possibly dynamic with a timeout. */
export class NftSet {
  readonly kind = 'set';
  readonly elements: AddressSet;
  /** The proxier's sync that last used this set (affinity sets). */
  activeSync = -1;
  constructor(
    readonly name: string,
    readonly comment: string | null,
    readonly timeoutSeconds: number,
    /** Position in the table's set list (see SetList). */
    readonly seq: number,
  ) {
    this.elements = new AddressSet(timeoutSeconds);
  }
}

/** A named verdict map keyed by ipv4_addr . inet_proto . inet_service, or inet_proto . inet_service. */
export class VerdictMap {
  readonly kind = 'map';
  readonly elements = new PairHashMap();
  /** Element comments by key text (kube-proxy comments its no-endpoint elements). */
  readonly comments = new Map<string, string>();
  constructor(
    readonly name: string,
    readonly comment: string | null,
    readonly withAddress: boolean,
    readonly seq: number,
  ) {}
}

export type NamedSet = NftSet | VerdictMap;

/**
 * The order of the table's set list, with each set's position: a Fenwick tree over creation
 * numbers (sets are appended at the tail, deleted from anywhere).
 */
export class SetList {
  private live = new Uint8Array(1024);
  private tree = new Int32Array(1025);
  private next = 0;
  size = 0;

  /** The creation number the next set will get (sets numbered from it on are newer). */
  get nextSeq(): number {
    return this.next;
  }

  /** A new set at the tail; returns its creation number. */
  append(): number {
    if (this.next >= this.live.length) this.grow();
    const seq = this.next++;
    this.live[seq] = 1;
    this.bump(seq, 1);
    this.size++;
    return seq;
  }

  remove(seq: number): void {
    if (!this.live[seq]) return;
    this.live[seq] = 0;
    this.bump(seq, -1);
    this.size--;
  }

  /** 1-based position of a live set in the list: the entries a name lookup walks to reach it. */
  position(seq: number): number {
    let s = 0;
    for (let i = seq + 1; i > 0; i -= i & -i) s += this.tree[i];
    return s;
  }

  private bump(seq: number, d: number): void {
    for (let i = seq + 1; i < this.tree.length; i += i & -i) this.tree[i] += d;
  }

  private grow(): void {
    // Renumbering would reorder nothing but cost a pass; doubling keeps creation numbers.
    const live = new Uint8Array(this.live.length * 2);
    live.set(this.live);
    this.live = live;
    this.tree = new Int32Array(live.length + 1);
    for (let seq = 0; seq < this.next; seq++) if (live[seq]) this.bump(seq, 1);
  }
}

export class NftTable {
  readonly family = 'ip';
  exists = false;
  comment: string | null = null;
  readonly chains: (Chain | undefined)[] = [];
  readonly chainByName = new Map<string, Chain>();
  private readonly freeIds: number[] = [];
  readonly sets = new Map<string, NamedSet>();
  readonly setList = new SetList();
  /** Live anonymous sets by name format: the kernel numbers "__map%d" and "__set%d" apart. */
  anonMaps = 0;
  anonSets = 0;
  ruleCount = 0;
  /** What the packet path walks: each chain's rules as committed. */
  readonly blobs = new RuleBlobs();
  private hooks: Map<Hook, Chain[]> | null = null;

  constructor(readonly name: string) {}

  chain(name: string): Chain | undefined {
    return this.chainByName.get(name);
  }

  newChain(name: string, base: BaseChainSpec | null, comment: string | null): Chain {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.chains.length;
    const c = new Chain(id, name, base, comment);
    this.chains[id] = c;
    this.chainByName.set(name, c);
    this.blobs.created(id);
    if (base) this.hooks = null;
    return c;
  }

  dropChain(c: Chain): void {
    this.blobs.dropped(c.id);
    this.chains[c.id] = undefined;
    this.chainByName.delete(c.name);
    this.freeIds.push(c.id);
    if (c.base) this.hooks = null;
  }

  /** Base chains on a hook in priority order (the order netfilter calls them). */
  baseChains(hook: Hook): readonly Chain[] {
    if (!this.hooks) {
      const hooks = new Map<Hook, Chain[]>();
      for (const c of this.chainByName.values()) {
        if (!c.base) continue;
        let list = hooks.get(c.base.hook);
        if (!list) hooks.set(c.base.hook, (list = []));
        list.push(c);
      }
      for (const list of hooks.values()) list.sort((a, b) => a.base!.priority - b.base!.priority);
      this.hooks = hooks;
    }
    return this.hooks.get(hook) ?? [];
  }

  /** Elements kube-proxy wrote into the named sets and maps (not what packets put in affinity sets). */
  elementCount(): number {
    let n = 0;
    for (const s of this.sets.values()) if (s.kind !== 'set' || s.timeoutSeconds === 0) n += s.elements.size;
    return n;
  }

  /** Entries packets put into the affinity sets (`update @affinity-... { ip saddr }`), expired ones until reused. */
  dynamicElementCount(): number {
    let n = 0;
    for (const s of this.sets.values()) if (s.kind === 'set' && s.timeoutSeconds !== 0) n += s.elements.size;
    return n;
  }
}
