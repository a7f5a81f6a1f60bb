// syncProxyRules of kube-proxy's nftables proxier (pkg/proxy/nftables/proxier.go), against the
// table model: a full sync at start-up (setupNFTables: flush and rewrite everything, maps
// included), then partial syncs that rewrite only the chains of services whose Service or
// EndpointSlices changed and diff every map's elements. Chains no longer used are flushed and
// deleted a sync later, at least a second after (kernels before 6.2 notice a dropped map
// reference late); stale affinity sets are deleted at once.
import type { ServicePortInfo } from '../service-port.ts';
import { isAffinitySetName, isServiceChainName } from './names.ts';
import { type NftOptions, optionsKey } from './options.ts';
import { serviceSignatures } from '../port-signature.ts';
import { type Containers, existingContainers, setupTable, TABLE_NAME } from './setup.ts';
import { type Storages, type SyncContext, syncServicePort } from './service-rules.ts';
import { ElementStorage, ServiceRecord } from './storage.ts';
import { NftTable, type NftSet, type VerdictMap } from './table.ts';
import { emptyWork, Transaction, type TxWork } from './tx.ts';

/** What one sync did: both transactions' work, and what kube-proxy read back. */
export interface ProxierWork extends TxWork {
  fullSync: boolean;
  /** Operations of the sync's own transaction (knftables NumOperations of the last Run). */
  syncOperations: number;
  /** Separate `nft` runs: the stale-chain deletion, two listings (chains, sets), the sync itself. */
  nftInvocations: number;
  /** Chains and named sets the listings returned. */
  objectsListed: number;
  /** Sets on the table's list when the sync's transaction began (named and anonymous). */
  setListBefore: number;
  /** Rules and map elements in the table after the commit: what a validation walks. */
  tableObjects: number;
  /** Exact: rules and map elements the commit's validation walked (every nat hook reaches the services). */
  validateVisits: number;
  servicePorts: number;
  /** Services whose chains were rewritten. */
  servicesWritten: number;
}

export class NftProxier {
  readonly table = new NftTable(TABLE_NAME);
  private flushed = false;
  private needFullSync = true;
  /** Stale service/endpoint chains and when they became stale (simulated seconds). */
  readonly staleChains = new Map<string, number>();
  private readonly storages: Storages = {
    clusterIPs: new ElementStorage(),
    serviceIPs: new ElementStorage(),
    firewallIPs: new ElementStorage(),
    noEndpointServices: new ElementStorage(),
    noEndpointNodePorts: new ElementStorage(),
    serviceNodePorts: new ElementStorage(),
  };
  private signatures = new Map<string, number>();
  /** What each service port ensured in its last sync, by ServicePortName. */
  private records = new Map<string, ServiceRecord>();
  private syncs = 0;
  private settings = '';

  /**
   * @param forceFull every sync a full one (kube-proxy before PR #126013)
   * @param lines when given, receives the main transaction as `nft -f` lines
   */
  sync(services: readonly ServicePortInfo[], o: NftOptions, now: number, forceFull = false, lines: string[] | null = null): ProxierWork {
    // Node labels (topology) or settings changing force a full sync, as OnNodeUpdate does.
    const settings = `${optionsKey(o)}|${JSON.stringify(o.node.labels)}`;
    if (settings !== this.settings) this.needFullSync = true;
    this.settings = settings;
    const full = this.needFullSync || forceFull;
    const sigs = serviceSignatures(services);
    const changed = (svc: ServicePortInfo) => {
      const key = `${svc.namespace}/${svc.serviceName}`;
      return sigs.get(key) !== this.signatures.get(key);
    };
    const work = emptyWork() as ProxierWork;
    work.fullSync = full;
    work.nftInvocations = 0;
    work.servicePorts = services.length;
    work.servicesWritten = 0;

    if (this.staleChains.size > 0) {
      const del = new Transaction(this.table);
      for (const [name, since] of this.staleChains)
        if (since < now - 1) {
          del.deleteChain(name);
          this.staleChains.delete(name);
        }
      del.commit();
      if (del.work.operations > 0) {
        add(work, del.work);
        work.nftInvocations++;
      }
    }
    // kube-proxy lists the table's chains and sets to find stale ones.
    work.objectsListed = this.table.chainByName.size + this.table.sets.size;
    work.nftInvocations += 2;

    work.setListBefore = this.table.setList.size;
    const tx = new Transaction(this.table, lines);
    let c: Containers;
    if (full) {
      c = setupTable(tx, o, !this.flushed);
      this.flushed = true;
      for (const [storage, container] of this.pairs(c)) storage.reset(tx, container);
    } else c = existingContainers(tx);

    const st = this.storages;
    for (const storage of Object.values(st)) storage.beginSync();
    const ctx: SyncContext = { tx, o, c, s: st, syncId: ++this.syncs };
    const records = new Map<string, ServiceRecord>();
    for (const svc of services) {
      const skip = !full && !changed(svc);
      if (!skip) work.servicesWritten++;
      // An unchanged service ensures exactly what it did last time: re-mark it.
      const last = skip ? this.records.get(svc.name) : undefined;
      if (last && last.keepElements()) {
        for (const ch of last.chains) ch.activeSync = ctx.syncId;
        for (const set of last.affinitySets) set.activeSync = ctx.syncId;
        records.set(svc.name, last);
        continue;
      }
      const rec = new ServiceRecord();
      syncServicePort(ctx, svc, skip, rec);
      rec.seal();
      records.set(svc.name, rec);
    }
    this.records = records;
    for (const ch of this.table.chainByName.values()) {
      if (!isServiceChainName(ch.name)) continue;
      if (ch.activeSync === ctx.syncId) this.staleChains.delete(ch.name);
      else {
        tx.flushChain(ch.name);
        this.staleChains.set(ch.name, now);
      }
    }
    for (const set of this.table.sets.values())
      if (set.kind === 'set' && isAffinitySetName(set.name) && set.activeSync !== ctx.syncId) tx.deleteSet(set);
    for (const [storage, container] of this.pairs(c)) storage.cleanup(tx, container);

    tx.commit();
    add(work, tx.work);
    // The kernel's walks are per commit list: the sync's own transaction's (the deletion one binds no sets).
    work.commitEntries = tx.work.commitEntries;
    work.syncOperations = tx.work.operations;
    work.nftInvocations++;
    work.tableObjects = this.table.ruleCount + this.table.elementCount();
    work.validateVisits = validates(tx.work) ? 2 * work.tableObjects : 0;
    this.needFullSync = false;
    this.signatures = sigs;
    return work;
  }

  /** Each storage with its set or map, in kube-proxy's order (clusterIPs ... serviceNodePorts). */
  private pairs(c: Containers): [ElementStorage, NftSet | VerdictMap][] {
    const st = this.storages;
    return [
      [st.clusterIPs, c.clusterIPs],
      [st.serviceIPs, c.serviceIPs],
      [st.firewallIPs, c.firewallIPs],
      [st.noEndpointServices, c.noEndpointServices],
      [st.noEndpointNodePorts, c.noEndpointNodePorts],
      [st.serviceNodePorts, c.serviceNodePorts],
    ];
  }
}

/**
 * A commit validates the table when the transaction added a rule or a verdict-map element
 * (nft_validate_state_update(table, NFT_VALIDATE_NEED) in nf_tables_newrule and for jump/goto
 * elements; nearly every kube-proxy rule has a verdict, nat or lookup expression that asks).
 */
export function validates(w: { readonly rulesAdded: number; readonly elementsAdded: number }): boolean {
  return w.rulesAdded + w.elementsAdded > 0;
}

function add(into: TxWork, w: TxWork): void {
  for (const k of Object.keys(w) as (keyof TxWork)[]) into[k] += w[k];
}
