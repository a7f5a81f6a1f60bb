// One nftables transaction, as knftables.Transaction builds it and `nft -f` + the kernel apply
// it: each operation changes the table model at once (a transaction is atomic, and kube-proxy
// never reads the table back in the middle of one), is counted, and can be written as the text
// line knftables hands to `nft -f`.
//
// The work counted is what a load costs in nf_tables (net/netfilter/nf_tables_api.c), where
// two list walks make a big load super-linear (perf on this kernel: __nft_set_trans_bind is the
// top symbol of a 4,000-service load, see docs/nftables.md):
// - binding an anonymous set (one per `numgen ... vmap { }`, one per multi-element `{ a , b }`)
//   to its rule runs __nft_set_trans_bind(), which walks the whole batch's commit list queued
//   so far (one entry per chain, rule, set and element operation); a full sync of N services
//   queues O(N) entries and binds O(N) anonymous sets: O(N^2) visits;
// - creating a set walks the table's set list: nft_set_lookup() by name (a miss for a new
//   set), nf_tables_set_alloc_name()'s uniqueness pass, and for an anonymous set ("__map%d",
//   "__set%d") a sscanf() of every name, one pass per 32,768 live sets of its format; looking
//   a named set up (an element add, a rule with @set or vmap @map) walks the list to that set.
//   Sets a transaction deletes (a flushed rule's anonymous sets) stay on the list, inactive,
//   until the commit;
// - the rest (parsing, netlink, object allocation) is per operation.
// Both walks are counted exactly here (the exact* fields). What a sync reports, and the clock
// prices (pricing.ts), are their linear ingredients instead: entries queued, anonymous sets
// bound, list walks, the list's length before the transaction. A sync's work is then a sum over
// services, which the control plane's work model (src/controlplane/work-model.ts) relies on,
// and the walks' lengths are recovered from the ingredients as the kernel's loops make them.
import { formatIPv4 } from '../../util/ipv4.ts';
import { protocolName } from '../../util/proto.ts';
import { isAffinitySetName } from './names.ts';
import { type Rule, ruleText, S_NUMGEN } from './rule.ts';
import { type BaseChainSpec, type Chain, type NamedSet, NftSet, type NftTable, V_ACCEPT, V_DROP, V_JUMP, VerdictMap } from './table.ts';

/** What one transaction did (knftables NumOperations plus the kernel's list walks). */
export interface TxWork {
  operations: number;
  chainsCreated: number;
  chainsFlushed: number;
  chainsDeleted: number;
  rulesAdded: number;
  rulesRemoved: number;
  elementsAdded: number;
  elementsDeleted: number;
  setsCreated: number;
  anonymousSetsCreated: number;
  /** Transaction objects queued on the kernel's commit list (struct nft_trans). */
  commitEntries: number;
  /** Walks of the set list to its end: a new set's name checks, lookups of a set this transaction made. */
  setListWalks: number;
  /** Walks to a set an earlier transaction made with a service (an affinity set): anywhere on the list. */
  setListMidwayWalks: number;
  /** Entries compared finding the fixed sets and maps (near the head of the list). */
  setLookupCompares: number;
  /** Exact walks (diagnostics and tests): set-list entries compared by name (strcmp). */
  exactSetNameCompares: number;
  /** Set-list entries sscanf()ed while numbering an anonymous set. */
  exactAnonNameScans: number;
  /** Commit-list entries walked by __nft_set_trans_bind (anonymous set binds). */
  exactCommitListVisits: number;
  /** Of those, the ones in walks longer than COMMIT_ENTRIES_CACHED: walked from memory, not cache. */
  exactCommitListVisitsUncached: number;
}

export function emptyWork(): TxWork {
  return {
    operations: 0,
    chainsCreated: 0,
    chainsFlushed: 0,
    chainsDeleted: 0,
    rulesAdded: 0,
    rulesRemoved: 0,
    elementsAdded: 0,
    elementsDeleted: 0,
    setsCreated: 0,
    anonymousSetsCreated: 0,
    commitEntries: 0,
    setListWalks: 0,
    setListMidwayWalks: 0,
    setLookupCompares: 0,
    exactSetNameCompares: 0,
    exactAnonNameScans: 0,
    exactCommitListVisits: 0,
    exactCommitListVisitsUncached: 0,
  };
}

/**
 * The longest commit list whose walk stays in cache. Each bind walks the whole list again, a
 * cyclic access pattern: under LRU a list that does not fit misses on every entry, so a walk
 * is either cheap throughout or a memory stall throughout. An entry costs about one 64-byte
 * line (the list pointers and msg_type of a kmalloc'd struct nft_trans); 80,000 entries are
 * ~5 MB, the share of a 32 MB L3 a 2-vCPU VM keeps while a load's other allocations compete.
 * Estimate, calibrated (docs/nftables.md): perf puts __nft_set_trans_bind at ~9 ns a visit
 * loading 4,000 services (~90k entries) and ~56 ns at 5,000 (~112k), and with this cut the
 * model meets kernel-netns-2026-12's 10k point and its steep 30k one.
 */
export const COMMIT_ENTRIES_CACHED = 80_000;

/** BITS_PER_BYTE * PAGE_SIZE: the numbers nf_tables_set_alloc_name() checks per pass. */
export const ANON_NAMES_PER_PASS = 8 * 4096;

export const protoPort = (proto: number, port: number): number => (proto << 16) | port;

export function keyText(map: VerdictMap, ip: number, pp: number): string {
  const pt = `${protocolName(pp >>> 16)} . ${pp & 0xffff}`;
  return map.withAddress ? `${formatIPv4(ip)} . ${pt}` : pt;
}

export function verdictText(table: NftTable, v: number): string {
  switch (v & 3) {
    case V_ACCEPT:
      return 'accept';
    case V_DROP:
      return 'drop';
    case V_JUMP:
      return `jump ${table.chains[v >>> 2]!.name}`;
    default:
      return `goto ${table.chains[v >>> 2]!.name}`;
  }
}

export class Transaction {
  readonly work = emptyWork();
  private readonly prefix: string;
  /** Creation numbers of sets deleted by this transaction: they leave the set list at commit. */
  private readonly leaving: number[] = [];
  /** Sets with creation numbers from this one on were made by this transaction (at the list's end). */
  private readonly firstSeq: number;

  /** @param lines when given, every operation's `nft -f` line is appended to it. */
  constructor(
    readonly table: NftTable,
    private readonly lines: string[] | null = null,
  ) {
    this.prefix = `${table.family} ${table.name}`;
    this.firstSeq = table.setList.nextSeq;
  }

  /** Counts one operation; its text is built only when the transaction is being written out. */
  private op(): boolean {
    this.work.operations++;
    return this.lines !== null;
  }

  private write(text: string): void {
    this.lines!.push(text);
  }

  addTable(comment: string): void {
    if (this.op()) this.write(`add table ${this.prefix} { comment ${JSON.stringify(comment)} ; }`);
    if (!this.table.exists) this.work.commitEntries++;
    this.table.exists = true;
    this.table.comment = comment;
  }

  addChain(name: string, base: BaseChainSpec | null = null, comment: string | null = null): Chain {
    if (this.op()) this.write(`add chain ${this.prefix} ${name}${chainSpec(base, comment)}`);
    // nf_tables_updchain queues an update for an existing chain too.
    this.work.commitEntries++;
    const c = this.table.chain(name);
    if (c) return c;
    this.work.chainsCreated++;
    return this.table.newChain(name, base, comment);
  }

  flushChain(name: string): void {
    if (this.op()) this.write(`flush chain ${this.prefix} ${name}`);
    const c = this.mustChain(name);
    const blobs = this.table.blobs;
    this.work.chainsFlushed++;
    this.work.commitEntries += blobs.rules(c.id);
    if (blobs.rules(c.id) > 0) {
      blobs.forEachRule(c.id, this.release);
      blobs.flush(c.id);
    }
  }

  deleteChain(name: string): void {
    if (this.op()) this.write(`delete chain ${this.prefix} ${name}`);
    const c = this.mustChain(name);
    this.table.blobs.forEachRule(c.id, this.release);
    this.work.commitEntries += this.table.blobs.rules(c.id);
    this.work.chainsDeleted++;
    this.work.commitEntries++;
    this.table.dropChain(c);
  }

  addSet(name: string, comment: string | null, timeoutSeconds = 0): NftSet {
    if (this.op()) this.write(`add set ${this.prefix} ${name}${setSpec(comment, timeoutSeconds)}`);
    const s = this.existing(name);
    if (s) return s as NftSet;
    const set = new NftSet(name, comment, timeoutSeconds, this.newNamedSeq());
    this.work.commitEntries++;
    this.table.sets.set(name, set);
    return set;
  }

  addMap(name: string, comment: string, withAddress: boolean): VerdictMap {
    if (this.op()) this.write(`add map ${this.prefix} ${name}${mapSpec(withAddress, comment)}`);
    const s = this.existing(name);
    if (s) return s as VerdictMap;
    const map = new VerdictMap(name, comment, withAddress, this.newNamedSeq());
    this.work.commitEntries++;
    this.table.sets.set(name, map);
    return map;
  }

  flushSet(set: NamedSet): void {
    if (this.op()) this.write(`flush ${set.kind} ${this.prefix} ${set.name}`);
    this.lookup(set);
    this.work.elementsDeleted += set.elements.size;
    this.work.commitEntries += set.elements.size;
    set.elements.clear();
    if (set.kind === 'map') set.comments.clear();
  }

  deleteSet(set: NamedSet): void {
    if (this.op()) this.write(`delete ${set.kind} ${this.prefix} ${set.name}`);
    this.lookup(set);
    this.work.commitEntries++;
    this.leaving.push(set.seq);
    this.table.sets.delete(set.name);
  }

  addRule(chain: Chain, rule: Rule): void {
    for (const m of rule.matches) if (m.set) this.lookup(m.set);
    if (rule.map) this.lookup(rule.map);
    if (rule.set) this.lookup(rule.set);
    const anon = rule.anonymousSets();
    const pc = this.table.blobs.add(chain.id, rule, anon > 0 ? this.newAnonymousSeqs(rule, anon) : -1);
    if (this.op()) this.write(`add rule ${this.prefix} ${chain.name} ${ruleText(this.table, this.table.blobs.stage, pc)}`);
    this.work.commitEntries++;
    this.table.ruleCount++;
    this.work.rulesAdded++;
  }

  addAddress(set: NftSet, ip: number, nowMs = 0): void {
    if (this.op()) this.write(`add element ${this.prefix} ${set.name} { ${formatIPv4(ip)} }`);
    this.lookup(set);
    set.elements.add(ip, nowMs);
    this.work.commitEntries++;
    this.work.elementsAdded++;
  }

  deleteAddress(set: NftSet, ip: number): void {
    if (this.op()) this.write(`delete element ${this.prefix} ${set.name} { ${formatIPv4(ip)} }`);
    this.lookup(set);
    set.elements.delete(ip);
    this.work.commitEntries++;
    this.work.elementsDeleted++;
  }

  addMapElement(map: VerdictMap, ip: number, pp: number, verdict: number, comment: string | null = null): void {
    if (this.op())
      this.write(`add element ${this.prefix} ${map.name} ${mapElement(keyText(map, ip, pp), comment, verdictText(this.table, verdict))}`);
    this.lookup(map);
    map.elements.set(ip, pp, verdict);
    if (comment !== null) map.comments.set(keyText(map, ip, pp), comment);
    this.work.commitEntries++;
    this.work.elementsAdded++;
  }

  deleteMapElement(map: VerdictMap, ip: number, pp: number): void {
    if (this.op()) this.write(`delete element ${this.prefix} ${map.name} { ${keyText(map, ip, pp)} }`);
    this.lookup(map);
    map.elements.delete(ip, pp);
    if (map.comments.size > 0) map.comments.delete(keyText(map, ip, pp));
    this.work.commitEntries++;
    this.work.elementsDeleted++;
  }

  /** The kernel's commit: the packet path sees the changed chains from now on. */
  commit(): void {
    for (const seq of this.leaving) this.table.setList.remove(seq);
    this.leaving.length = 0;
    this.table.blobs.commit();
  }

  private mustChain(name: string): Chain {
    const c = this.table.chain(name);
    if (!c) throw new Error(`nftables: no chain ${name} in table ${this.prefix}`);
    return c;
  }

  /** nf_tables_newset: the lookup by name walks to the set, or the whole list for a new one. */
  private existing(name: string): NamedSet | undefined {
    const s = this.table.sets.get(name);
    if (s) this.lookup(s);
    else this.walkWholeList();
    return s;
  }

  /** A lookup by name walks to the set: the fixed ones are near the head, a service's own further on. */
  private lookup(set: NamedSet): void {
    const n = this.table.setList.position(set.seq);
    this.work.exactSetNameCompares += n;
    if (!isAffinitySetName(set.name)) this.work.setLookupCompares += n;
    else if (set.seq >= this.firstSeq) this.work.setListWalks++;
    else this.work.setListMidwayWalks++;
  }

  private walkWholeList(): void {
    this.work.exactSetNameCompares += this.table.setList.size;
    this.work.setListWalks++;
  }

  private newNamedSeq(): number {
    // The miss was counted by existing(); alloc_name's uniqueness pass walks the list again.
    this.walkWholeList();
    this.work.setsCreated++;
    return this.table.setList.append();
  }

  private newAnonymousSeqs(rule: Rule, count: number): number {
    const t = this.table;
    let first = -1;
    for (let k = 0; k < count; k++) {
      const isMap = k === 0 && rule.stmt === S_NUMGEN;
      const live = isMap ? t.anonMaps : t.anonSets;
      // Lookup of the literal "__map%d" (a miss), the sscanf passes, the uniqueness pass.
      this.walkWholeList();
      this.walkWholeList();
      this.work.exactAnonNameScans += t.setList.size * (1 + Math.floor(live / ANON_NAMES_PER_PASS));
      if (isMap) t.anonMaps++;
      else t.anonSets++;
      // The set and its elements are queued, then binding it to the rule walks the queue.
      this.work.commitEntries +=
        1 + (isMap ? rule.targets!.length : rule.matches.find((m) => m.cidrs && m.cidrs.length > 1)!.cidrs!.length);
      this.work.exactCommitListVisits += this.work.commitEntries;
      if (this.work.commitEntries > COMMIT_ENTRIES_CACHED) this.work.exactCommitListVisitsUncached += this.work.commitEntries;
      const seq = t.setList.append();
      if (first < 0) first = seq;
      this.work.anonymousSetsCreated++;
    }
    return first;
  }

  /** A rule (encoded at pc) leaves the table: its anonymous sets go with it. */
  private readonly release = (code: Int32Array, pc: number): void => {
    const t = this.table;
    const anon = t.blobs.anonymousSets(code, pc);
    for (let k = 0; k < anon; k++) {
      this.leaving.push(code[pc] + k);
      if (k === 0 && code[pc + 2] === S_NUMGEN) t.anonMaps--;
      else t.anonSets--;
    }
    t.ruleCount--;
    this.work.rulesRemoved++;
  };
}

export function setSpec(comment: string | null, timeoutSeconds: number): string {
  if (timeoutSeconds > 0) return ` { type ipv4_addr ; flags dynamic,timeout ; timeout ${timeoutSeconds}s ; }`;
  return ` { type ipv4_addr ; comment ${JSON.stringify(comment)} ; }`;
}

export function mapSpec(withAddress: boolean, comment: string | null): string {
  const type = withAddress ? 'ipv4_addr . inet_proto . inet_service' : 'inet_proto . inet_service';
  return ` { type ${type} : verdict ;${comment === null ? '' : ` comment ${JSON.stringify(comment)} ;`} }`;
}

export function mapElement(key: string, comment: string | null | undefined, value: string): string {
  return `{ ${key}${comment ? ` comment ${JSON.stringify(comment)}` : ''} : ${value} }`;
}

export function chainSpec(base: BaseChainSpec | null, comment: string | null): string {
  const parts: string[] = [];
  if (base) parts.push(`type ${base.type} hook ${base.hook} priority ${base.priority} ;`);
  if (comment !== null) parts.push(`comment ${JSON.stringify(comment)} ;`);
  return parts.length === 0 ? '' : ` { ${parts.join(' ')} }`;
}
