// The iptables proxy mode's data plane for one node: renders kube-proxy's rules for the
// cluster, loads them into the netfilter model and answers packets.
import type { Cluster } from '../../cluster/model.ts';
import { MemoryRecentStore } from '../../netfilter/index.ts';
import type { Rng } from '../../engine/rng.ts';
import { InputError } from '../../util/errors.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { nodeView } from '../node-view.ts';
import { buildServiceMap } from '../service-map.ts';
import type { ServicePortInfo } from '../service-port.ts';
import type { DataPlane, DataPlaneStats, LookupResult, Packet, PacketOrigin, SyncOptions, SyncWork, TraceResult } from '../types.ts';
import { fullSaveText } from './full-save.ts';
import { type HostFeatures, type IptablesOptions, resolveOptions } from './options.ts';
import { renderRestore, restoreText, type RestorePayload } from './render.ts';
import { buildNodeRuleset, compileNodeTables, nodeRuleTexts } from './rule-builder.ts';
import { type DetailedTrace, RulesetPlane } from './ruleset-plane.ts';

export class IptablesDataPlane implements DataPlane {
  readonly mode = 'iptables' as const;
  private plane!: RulesetPlane;
  /** What the last sync rendered from; its rules are rendered again when asked for (render, restoreText, trace texts). */
  private services: ServicePortInfo[] = [];
  /** Per-service nat chains the last sync wrote (a full sync deletes the ones gone). */
  private serviceChains: Set<string> | undefined;
  private saveText: string | null = null;
  private options!: IptablesOptions;
  private seconds = 0;
  /** `-m recent` lists survive syncs, as xt_recent tables survive iptables-restore. */
  private readonly recent = new MemoryRecentStore(() => this.seconds);

  /** Per service port ("ns/name:port/proto") at the last sync: what it was synced from, for partial restores. */
  private portState = new Map<string, string>();

  /**
   * @param partial KEP-3453 partial restores (minimizeIPTablesRestore): a sync that is not full
   *   writes the fixed chains and only the changed service ports' own chains.
   */
  constructor(
    cluster: Cluster,
    private readonly config: KubeProxyConfiguration,
    private readonly features: Partial<HostFeatures> = {},
    private readonly configFile?: string,
    private readonly partial = false,
  ) {
    this.sync(cluster, { full: true });
  }

  sync(cluster: Cluster, opts: SyncOptions = {}): SyncWork {
    const node = nodeView(cluster, this.config.hostnameOverride, this.configFile);
    this.options = resolveOptions(this.config, node, this.features, this.configFile);
    const previous = this.serviceChains;
    // Let the old plane and service map go before the new ones are built: at 100,000 services
    // they are ~600 MB, and holding both raises the sync's peak by that much.
    this.plane = undefined!;
    this.services = [];
    this.saveText = null;
    const services = buildServiceMap(cluster, node);
    const options = this.options;
    this.services = services;
    // Each rule is compiled as it is rendered and let go (equal to compiling the parsed
    // render('iptables-save')): the plane keeps the columns and renders again on demand.
    const { compiled, summary: p } = compileNodeTables(services, options);
    const rebuild = () => buildNodeRuleset(renderRestore(services, options));
    const texts = () => nodeRuleTexts(services, options, compiled);
    this.plane = new RulesetPlane(
      { compiled, rebuild, texts },
      { localIPs: node.localIPs, masqueradeMark: options.masqueradeValue, recent: this.recent },
    );
    this.serviceChains = p.serviceChains;
    // A full sync flushes chains that are gone: one chain line and one -X line each.
    let stale = 0;
    if (previous) for (const c of previous) if (!p.serviceChains.has(c)) stale++;
    let restoreLines = 4 + p.filterChains.length + p.filterRuleCount + p.natChains.length + p.natRuleCount + 2 * stale;
    if (this.partial) {
      // kube-proxy's change trackers say which ports changed; here, what each port was synced from.
      const full = opts.full === true || previous === undefined;
      const now = new Map<string, string>();
      for (let i = 0; i < services.length; i++) {
        const key = `${services[i].name}/${services[i].protocol}`;
        const sig = portSignature(services[i]);
        now.set(key, sig);
        if (!full && this.portState.get(key) === sig) restoreLines -= p.ownLines[i];
      }
      this.portState = now;
    }
    return { restore_lines: restoreLines, total_rules: this.plane.counts().rules };
  }

  trace(packet: Packet, origin: PacketOrigin): TraceResult {
    return this.plane.trace(packet, origin);
  }

  /** trace() plus each hook walked and the rules that matched there (for the CLI's walk-through). */
  traceDetailed(packet: Packet, origin: PacketOrigin): DetailedTrace {
    return this.plane.traceDetailed(packet, origin);
  }

  lookup(packet: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult {
    return this.plane.lookup(packet, origin, rng, out);
  }

  setNow(seconds: number): void {
    this.seconds = seconds;
  }

  stats(): DataPlaneStats {
    const { rules, chains } = this.plane.counts();
    return { iptables_rules: rules, iptables_chains: chains };
  }

  render(format: string): string {
    if (format !== 'iptables-save')
      throw new InputError(`the iptables mode has no ${format} output (formats: iptables-save)`, undefined, 'format', format);
    return (this.saveText ??= fullSaveText(this.payload()));
  }

  /** What kube-proxy hands to iptables-restore on a full sync (its iptablesData). */
  restoreText(): string {
    return restoreText(this.payload());
  }

  /** The last sync's restore payload, rendered again (the data plane keeps only the compiled rules). */
  private payload(): RestorePayload {
    return renderRestore(this.services, this.options);
  }

  /** The compiled tables the packets walk (what compiling the parsed render('iptables-save') gives). */
  get compiled() {
    return this.plane.compiled;
  }

  /** The ruleset the packets walk (what parsing render('iptables-save') gives). */
  get ruleset() {
    return this.plane.ruleset;
  }

  get resolvedOptions(): IptablesOptions {
    return this.options;
  }
}

/** Everything of a service port its own chains are written from (kube-proxy rewrites them when any of it changed). */
function portSignature(sp: ServicePortInfo): string {
  const eps = sp.endpoints.map((e) => `${e.key}|${+e.ready}${+e.serving}${+e.terminating}|${e.nodeName ?? ''}|${e.zoneHints.join(',')}`);
  const { endpoints: _e, loadBalancerSourceRanges, ...rest } = sp;
  return JSON.stringify([rest, loadBalancerSourceRanges.map((c) => `${c.addr}/${c.mask}`), eps]);
}
