// The iptables proxy mode's data plane for one node: renders kube-proxy's rules for the
// cluster, loads them into the netfilter model and answers packets.
import { isDeepStrictEqual } from 'node:util';
import type { Cluster } from '../../cluster/model.ts';
import { type CompiledTable, MemoryRecentStore, releaseRuleObjects } from '../../netfilter/index.ts';
import type { Rng } from '../../engine/rng.ts';
import { InputError } from '../../util/errors.ts';
import type { KubeProxyConfiguration } from '../config.ts';
import { nodeView } from '../node-view.ts';
import { portSignature } from '../port-signature.ts';
import { portKey } from '../endpoints.ts';
import { buildServiceMap } from '../service-map.ts';
import type { ServicePortInfo } from '../service-port.ts';
import type { DataPlane, DataPlaneStats, LookupResult, Packet, PacketOrigin, SyncOptions, SyncWork, TraceResult } from '../types.ts';
import { fullSaveText } from './full-save.ts';
import { type HostFeatures, type IptablesOptions, resolveOptions } from './options.ts';
import { FIXED_NAT_CHAIN_COUNT, type RenderSummary, renderRestore, restoreText, type RestorePayload } from './render.ts';
import { buildNodeRuleset, compileNodeTables, nodeRuleTexts } from './rule-builder.ts';
import { type DetailedTrace, RulesetPlane } from './ruleset-plane.ts';

export class IptablesDataPlane implements DataPlane {
  readonly mode = 'iptables' as const;
  private plane!: RulesetPlane;
  /** What the last sync rendered from; its rules are rendered again when asked for (render, restoreText, trace texts). */
  private services: ServicePortInfo[] = [];
  /** Per port of `services`: what the next sync compares with. */
  private ports: PortState = { ownLines: new Int32Array(0), signatures: new Float64Array(0), chains: [], chainEnd: new Int32Array(0) };
  private saveText: string | null = null;
  private options!: IptablesOptions;
  private seconds = 0;
  /** `-m recent` lists survive syncs, as xt_recent tables survive iptables-restore. */
  private readonly recent = new MemoryRecentStore(() => this.seconds);

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
    const options = resolveOptions(this.config, node, this.features, this.configFile);
    const first = this.plane === undefined;
    let before = first ? undefined : this.plane.compiled.tables.get('nat');
    // Ports are compared with the last sync's only under the same options (a node change is a full sync in kube-proxy too).
    let last = !first && isDeepStrictEqual(this.options, options) ? this.lastSync() : null;
    // A full restore deletes the nat chains that are gone: which there were.
    const oldChains = before && last === null ? chainNames(before) : null;
    // Only the old nat table's rows and chain names are read from here on: cutting its texts'
    // link lets the old plane and its service map go before the new ones are built (at
    // 100,000 services they are ~600 MB, and holding both raises the peak by that much).
    if (last === null) before = undefined;
    else if (before) releaseRuleObjects(before, () => '');
    this.plane = undefined!;
    this.services = [];
    this.saveText = null;
    this.options = options;
    const services = buildServiceMap(cluster, node);
    this.services = services;
    const signatures = new Float64Array(services.length);
    for (let i = 0; i < services.length; i++) signatures[i] = portSignature(services[i]);
    const diff = last ? comparePorts(last, services, signatures) : null;
    // Many changes: compiling everything is cheaper than copying around them.
    const onto =
      diff && before && diff.changed * 4 <= services.length ? { nat: before, unchanged: diff.unchanged, gone: diff.gone } : undefined;
    before = undefined;
    // Each rule is compiled as it is rendered and let go (equal to compiling the parsed
    // render('iptables-save')): the plane keeps the columns and renders again on demand.
    const { compiled, summary: p } = compileNodeTables(services, options, onto);
    const rebuild = () => buildNodeRuleset(renderRestore(services, options));
    const texts = () => nodeRuleTexts(services, options, compiled);
    this.plane = new RulesetPlane(
      { compiled, rebuild, texts },
      { localIPs: node.localIPs, masqueradeMark: options.masqueradeValue, recent: this.recent },
    );
    this.ports = portState(p, signatures, diff, last);
    last = null;
    // A full sync flushes chains that are gone: one chain line and one -X line each.
    const nat = compiled.tables.get('nat')!;
    let stale = 0;
    for (const c of diff?.gone ?? oldChains ?? []) if (nat.chainId(c) < 0) stale++;
    let restoreLines = 4 + p.filterChains.length + p.filterRuleCount + p.natChains.length + p.natRuleCount + p.reusedLines + 2 * stale;
    // kube-proxy's change trackers say which ports changed; here, comparing with the last sync.
    if (this.partial && opts.full !== true && diff)
      for (let i = 0; i < services.length; i++) if (diff.unchanged[i] >= 0) restoreLines -= p.ownLines[i];
    return { restore_lines: restoreLines, total_rules: this.plane.counts().rules };
  }

  /** What the next sync compares with; the service map itself can go. */
  private lastSync(): LastSync {
    const at = new Map<string, number>();
    for (let j = 0; j < this.services.length; j++) at.set(keyOf(this.services[j]), j);
    return { ...this.ports, at };
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

interface PortDiff {
  /** Per new port: its ownLines at the last sync when it is exactly as it was then, else -1. */
  unchanged: Int32Array;
  /** Per new port: the index of that same unchanged port at the last sync, else -1. */
  from: Int32Array;
  /** New ports that are new or changed, plus old ports that are gone. */
  changed: number;
  /** The own chains of the old ports no new port kept as they were. */
  gone: Set<string>;
}

/** Per service port of a sync, in its order. */
interface PortState {
  /** renderRules' ownLines. */
  ownLines: Int32Array;
  /** portSignature. */
  signatures: Float64Array;
  /** The own nat chains of every port: port i's end at chainEnd[i]. */
  chains: string[];
  chainEnd: Int32Array;
}

interface LastSync extends PortState {
  /** Port key -> its index at the last sync. */
  at: Map<string, number>;
}

const keyOf = (sp: ServicePortInfo) => portKey(sp.namespace, sp.serviceName, sp.portName, sp.protocol);

/** Where port j's own chains begin in `chains` (they end at chainEnd[j]). */
const chainStart = (ports: PortState, j: number) => (j === 0 ? 0 : ports.chainEnd[j - 1]);

/** This sync's per-port state: each port's own chains as rendered, or as they were for a port not rendered again. */
function portState(p: RenderSummary, signatures: Float64Array, diff: PortDiff | null, last: LastSync | null): PortState {
  const chains: string[] = [];
  const end = new Int32Array(p.ownChainEnd.length);
  for (let i = 0; i < end.length; i++) {
    const j = diff ? diff.from[i] : -1;
    if (j >= 0 && last) for (let k = chainStart(last, j); k < last.chainEnd[j]; k++) chains.push(last.chains[k]);
    else for (let k = i === 0 ? FIXED_NAT_CHAIN_COUNT : p.ownChainEnd[i - 1]; k < p.ownChainEnd[i]; k++) chains.push(p.natChains[k]);
    end[i] = chains.length;
  }
  return { ownLines: p.ownLines, signatures, chains, chainEnd: end };
}

/** Which ports are as they were: same name and protocol, same signature. */
function comparePorts(last: LastSync, now: ServicePortInfo[], signatures: Float64Array): PortDiff {
  const n = last.ownLines.length;
  const unchanged = new Int32Array(now.length).fill(-1);
  const from = new Int32Array(now.length).fill(-1);
  const matched = new Uint8Array(n);
  let changed = 0;
  for (let i = 0; i < now.length; i++) {
    const j = last.at.get(keyOf(now[i]));
    if (j !== undefined && last.signatures[j] === signatures[i]) {
      unchanged[i] = last.ownLines[j];
      from[i] = j;
      matched[j] = 1;
    } else changed++;
  }
  const gone = new Set<string>();
  for (let j = 0; j < n; j++) {
    if (matched[j]) continue;
    changed++;
    for (let k = chainStart(last, j); k < last.chainEnd[j]; k++) gone.add(last.chains[k]);
  }
  return { unchanged, from, changed, gone };
}

function chainNames(t: CompiledTable): string[] {
  const out: string[] = new Array(t.chainCount);
  for (let c = 0; c < t.chainCount; c++) out[c] = t.chainName(c);
  return out;
}
