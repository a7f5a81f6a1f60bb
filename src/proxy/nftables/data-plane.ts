// One node's nftables-mode data plane: kube-proxy's proxier writing into the table model, and
// the interpreter answering packets from it.
import type { Cluster } from '../../cluster/model.ts';
import type { Rng } from '../../engine/rng.ts';
import { InputError } from '../../util/errors.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { buildServiceMap } from '../service-map.ts';
import type { ServicePortInfo } from '../service-port.ts';
import type { DataPlane, DataPlaneStats, LookupResult, Packet, PacketOrigin, SyncOptions, SyncWork, TraceResult } from '../types.ts';
import { dumpTable } from './dump.ts';
import { type NftOptions, resolveNftOptions } from './options.ts';
import { NftProxier, type ProxierWork } from './proxier.ts';
import { Walker } from './walk.ts';

export const NFT_FORMATS = ['nft', 'nft-state'] as const;

export interface NftablesPlaneOptions {
  /** Every sync a full one, as kube-proxy did before partial syncs (PR #126013). */
  fullSyncsOnly?: boolean;
  configFile?: string;
}

/** What one sync did, by the names of the mode's syncWork quantities (src/proxy/nftables/index.ts). */
export type NftSyncWork = Readonly<Record<string, number>>;

export class NftablesDataPlane implements DataPlane {
  readonly mode = 'nftables';
  readonly proxier = new NftProxier();
  private opts!: NftOptions;
  private services: readonly ServicePortInfo[] = [];
  private seconds = 0;
  private readonly walker: Walker;
  /** The last sync's work, as the proxier counted it. */
  lastWork!: ProxierWork;

  constructor(
    cluster: Cluster,
    private readonly config: KubeProxyConfiguration,
    private readonly planeOptions: NftablesPlaneOptions = {},
  ) {
    this.walker = new Walker(this.proxier.table);
    this.sync(cluster);
  }

  /** A partial sync unless `opts.full` (kube-proxy's periodic full resync) or the 'full' variant. */
  sync(cluster: Cluster, opts?: SyncOptions): SyncWork {
    this.opts = resolveNftOptions(cluster, this.config, this.planeOptions.configFile);
    this.walker.setMasqueradeMark(this.opts.masqueradeMark);
    this.walker.setLocalIPs(this.opts.node.localIPs);
    this.services = buildServiceMap(cluster, this.opts.node);
    this.lastWork = this.proxier.sync(
      this.services,
      this.opts,
      this.seconds,
      (this.planeOptions.fullSyncsOnly ?? false) || (opts?.full ?? false),
    );
    return syncWorkRecord(this.lastWork);
  }

  trace(packet: Packet, origin: PacketOrigin): TraceResult {
    const w = this.walker.run(packet, origin, this.seconds, null, true);
    return { verdict: w.verdict, endpoints: w.endpoints!, masquerade: w.masquerade, rulesEvaluated: w.rules, path: w.path! };
  }

  lookup(packet: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult {
    const w = this.walker.run(packet, origin, this.seconds, rng, false);
    out.verdict = w.verdict;
    out.endpointIP = w.dnat ? w.dnatIP >>> 0 : 0;
    out.endpointPort = w.dnat ? w.dnatPort : 0;
    out.masquerade = w.masquerade;
    out.rulesEvaluated = w.rules;
    out.hashProbes = w.lookups;
    return out;
  }

  setNow(seconds: number): void {
    this.seconds = seconds;
  }

  stats(): DataPlaneStats {
    return statsRecord(this.proxier);
  }

  /**
   * 'nft': the transaction a full sync of this state writes (what kube-proxy hands `nft -f` at
   * start-up); 'nft-state': the table as it stands, as `add` commands (kube-proxy's tests' dump).
   */
  render(format: string): string {
    if (format === 'nft') return this.fullSyncTransaction();
    if (format === 'nft-state') return dumpTable(this.proxier.table);
    throw new InputError(`the nftables mode has no ${format} output (formats: ${NFT_FORMATS.join(', ')})`, undefined, 'format', format);
  }

  /** A fresh proxier's first sync of the current services, written as text. */
  private fullSyncTransaction(): string {
    const lines: string[] = [];
    new NftProxier().sync(this.services, this.opts, 0, true, lines);
    return lines.join('\n') + '\n';
  }
}

export function syncWorkRecord(w: ProxierWork): NftSyncWork {
  return {
    full_sync: w.fullSync ? 1 : 0,
    nft_operations: w.operations,
    nft_invocations: w.nftInvocations,
    chains_created: w.chainsCreated,
    chains_flushed: w.chainsFlushed,
    chains_deleted: w.chainsDeleted,
    rules_added: w.rulesAdded,
    rules_removed: w.rulesRemoved,
    elements_added: w.elementsAdded,
    elements_deleted: w.elementsDeleted,
    sets_created: w.setsCreated,
    anonymous_sets_created: w.anonymousSetsCreated,
    commit_entries: w.commitEntries,
    set_list_walks: w.setListWalks,
    set_list_midway_walks: w.setListMidwayWalks,
    set_lookup_compares: w.setLookupCompares,
    set_list_before: w.setListBefore,
    table_objects: w.tableObjects,
    objects_listed: w.objectsListed,
    service_ports: w.servicePorts,
    services_written: w.servicesWritten,
  };
}

export function statsRecord(p: NftProxier): Readonly<Record<string, number>> {
  const t = p.table;
  return {
    nft_chains: t.chainByName.size,
    nft_rules: t.ruleCount,
    nft_named_sets: t.sets.size,
    nft_anonymous_sets: t.anonMaps + t.anonSets,
    nft_elements: t.elementCount(),
    nft_affinity_entries: t.dynamicElementCount(),
  };
}
