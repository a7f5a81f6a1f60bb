// What a proxy mode is: one descriptor per folder (src/proxy/<mode>/index.ts), one line in
// registry.ts. Everything that differs between modes is said here, once; mode lists, the
// config enum, the CLI's formats, pricing, report order and colours, and the gate's defaults
// are all read off the registered descriptors. kube-proxy has the same shape: one Provider
// per pkg/proxy/<mode> folder, chosen by --proxy-mode.
import type { Cluster } from '../cluster/model.ts';
import type { CostTable, Prices } from '../engine/prices.ts';
import type { IptablesProfile } from '../netfilter/costs.ts';
import type { ConfigSectionParser, KubeProxyConfiguration } from './config.ts';
import type { DataPlane, LookupResult, SyncWork } from './types.ts';

/** A number the mode reports, with its unit and one line of meaning (docs, report, CSV). */
export interface QuantitySpec {
  /** snake_case; a stat becomes the result row `memory.<name>`, a sync-work field `sync.<kind>.<name>`. */
  readonly name: string;
  readonly unit: string;
  readonly help: string;
  /**
   * How the number grows with services: 'sum' (default) adds up service by service; 'set'
   * depends only on which kinds of service exist (IPVS installs a fixed rule once any service
   * needs it). The control plane's work model (src/controlplane/work-model.ts) reads it.
   */
  readonly aggregate?: 'sum' | 'set';
  /**
   * A stat the mode's own output shows: the lines of render(format) that match `line` count it
   * (the data-plane contract, test/proxy/contract.test.ts, holds stats() to it).
   */
  readonly countIn?: { readonly format: string; readonly line: RegExp };
}

/** What the generic code must know about how a mode behaves (instead of testing its name). */
export interface ModeCapabilities {
  /** Every packet of a connection crosses into a user-space process (the legacy userspace proxy). */
  readonly perPacketUserspace: boolean;
  /** NodePorts answer on 127.0.0.1 (iptables mode's route_localnet; eBPF socket LB; not ipvs or nftables). */
  readonly localhostNodePorts: boolean;
  /** The mode keeps a connection table of its own beside the kernel's conntrack (IPVS, Cilium's CT map). */
  readonly ownConnectionTracking: boolean;
  /** Pod connections are translated at connect(), in the socket layer: no per-packet DNAT (Cilium socket LB). */
  readonly socketLoadBalancing: boolean;
  /**
   * A sync writes only what changed (IPVS netlink operations, nftables partial syncs), except
   * periodic full resyncs; false when every sync rewrites everything (iptables without KEP-3453).
   */
  readonly incrementalSync: boolean;
}

/** A variant of a mode: a column of its own in results ('' is the mode as it is by default). */
export interface VariantSpec {
  /** e.g. 'partial' for iptables' KEP-3453 partial restores. */
  readonly name: string;
  readonly label: string;
  readonly help: string;
  /** Its own colour and point shape in charts, where it is drawn beside the mode. */
  readonly display: { readonly color: string; readonly shape: string };
}

export interface PricingContext {
  readonly iptablesProfile: IptablesProfile;
}

/** Simulated nanoseconds for what the data plane did (pure functions of counts it reported). */
export interface ModePricing {
  /** One first packet's lookup (rules walked, hash/map probes, the scheduler). */
  lookupNs(prices: Prices, r: LookupResult): number;
  /** Programming what one sync wrote. */
  syncNs(prices: Prices, work: SyncWork, ctx: PricingContext): number;
  /**
   * Optional: CPU of a connection's first and later packets, when the mode's packet path is not
   * the kernel's default (base path + lookup + a conntrack insert, then conntrack hits).
   */
  packetNs?(prices: Prices, lookupNs: number, first: boolean): number;
}

/**
 * A config section the mode reads (kube-proxy's `nftables:`, Cilium's settings for eBPF): key in
 * the KubeProxyConfiguration / scenario `proxy:` section; parse validates it (unknown fields are
 * errors) and fills defaults; the result is in config.sections[key].
 */
export type ModeConfigSection = ConfigSectionParser;

/** Gate defaults for the mode: the complexity bands its lookup must stay in. */
export interface ModeExpectations {
  /** Fitted exponent k of lookup cost ~ services^k on the simulated clock. */
  readonly lookupExponent: { readonly min: number; readonly max: number };
  /** The same on the wall clock (p50); looser, machines are noisy. */
  readonly wallLookupExponent: { readonly min?: number; readonly max: number };
}

export interface BuildOptions {
  /** A VariantSpec name; '' (default) for the mode as it is. */
  readonly variant?: string;
}

export interface ProxyModeDescriptor {
  /** The name users type (--mode, KubeProxyConfiguration.mode, results' mode column). */
  readonly name: string;
  /** Display name in tables and charts. */
  readonly label: string;
  /** One line for --help and docs. */
  readonly summary: string;
  /** Fixed colour (hex) and vega-lite point shape in every chart; order: report and table order (ascending). */
  readonly display: { readonly color: string; readonly shape: string; readonly order: number };
  /** Output formats of render(); the first is `kpsim rules`' default for the mode. */
  readonly formats: readonly string[];
  readonly capabilities: ModeCapabilities;
  /** What stats() reports, by name. */
  readonly stats: readonly QuantitySpec[];
  /** The fields of the SyncWork its data plane's sync() returns. */
  readonly syncWork: readonly QuantitySpec[];
  /**
   * The stats quantity that counts its rules, when its size is rules: the sweep divides the
   * heap by it (memory.bytes_per_rule). Omitted where rules are not what grows (IPVS).
   */
  readonly ruleCount?: string;
  readonly variants: readonly VariantSpec[];
  /** The mode's own constants of the simulated clock (core ones live in src/metrics/cost-model.ts). */
  readonly costs: CostTable;
  readonly pricing: ModePricing;
  readonly expect: ModeExpectations;
  readonly configSection?: ModeConfigSection;
  /** Builds the data plane of the node named by config.hostnameOverride. */
  build(cluster: Cluster, config: KubeProxyConfiguration, opts?: BuildOptions): DataPlane;
}
