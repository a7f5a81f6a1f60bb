// KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1): the fields kpsim honours, with
// kube-proxy's defaults (pkg/proxy/apis/config/v1alpha1/defaults.go).
import { z } from 'zod';
import { parseDuration } from '../engine/simulator.ts';
import { InputError } from '../util/errors.ts';
import { schemaError } from '../scenario/load.ts';
import { UNMODELLED_CONNTRACK_FIELDS, UNMODELLED_FIELDS, UNMODELLED_IPTABLES_FIELDS, UNMODELLED_IPVS_FIELDS } from './config-fields.ts';

// Go durations ("30s", "1m0s") as kube-proxy reads them: the one parser, engine/simulator.ts.
const duration = z.string().refine(isDuration, 'must be a Go duration such as 30s or 1m0s');

export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq'] as const;

const configSchema = z
  .object({
    apiVersion: z.literal('kubeproxy.config.k8s.io/v1alpha1').optional(),
    kind: z.literal('KubeProxyConfiguration').optional(),
    mode: z.string().optional(),
    hostnameOverride: z.string().optional(),
    clusterCIDR: z.string().optional(),
    masqueradeAll: z.boolean().optional(),
    nodePortAddresses: z.array(z.string()).nullable().optional(),
    syncPeriod: duration.optional(),
    minSyncPeriod: duration.optional(),
    portRange: z
      .string()
      .regex(/^(|\d+-\d+|\d+\+\d+|\d+)$/, 'must be beginPort-endPort, beginPort+offset or a single port')
      .optional(),
    iptables: z
      .object({
        masqueradeAll: z.boolean().optional(),
        masqueradeBit: z.number().int().min(0).max(31).nullable().optional(),
        localhostNodePorts: z.boolean().nullable().optional(),
        syncPeriod: duration.optional(),
        minSyncPeriod: duration.optional(),
        ...UNMODELLED_IPTABLES_FIELDS,
      })
      .strict()
      .optional(),
    ipvs: z
      .object({
        scheduler: z.enum(['', ...IPVS_SCHEDULERS] as [string, ...string[]]).optional(),
        syncPeriod: duration.optional(),
        minSyncPeriod: duration.optional(),
        strictARP: z.boolean().optional(),
        excludeCIDRs: z.array(z.string()).nullable().optional(),
        ...UNMODELLED_IPVS_FIELDS,
      })
      .strict()
      .optional(),
    conntrack: z
      .object({
        maxPerCore: z.number().int().min(0).nullable().optional(),
        min: z.number().int().min(0).nullable().optional(),
        tcpEstablishedTimeout: duration.nullable().optional(),
        udpTimeout: duration.nullable().optional(),
        ...UNMODELLED_CONNTRACK_FIELDS,
      })
      .strict()
      .optional(),
    ...UNMODELLED_FIELDS,
  })
  .strict();

export interface KubeProxyConfiguration {
  /** A registered mode's name (src/proxy/load-config.ts checks it against the registry). */
  mode: string;
  /** The node whose data plane is built. */
  hostnameOverride: string;
  /** Local-traffic detector (detectLocalMode ClusterCIDR); '' means no detector. */
  clusterCIDR: string;
  masqueradeAll: boolean;
  /** Empty means every local address accepts NodePort traffic. */
  nodePortAddresses: string[];
  masqueradeBit: number;
  localhostNodePorts: boolean;
  syncPeriodNs: number;
  minSyncPeriodNs: number;
  ipvsScheduler: (typeof IPVS_SCHEDULERS)[number];
  /** userspace mode's --proxy-port-range; null lets the kernel pick ephemeral ports. */
  portRange: { base: number; size: number } | null;
  conntrackMaxPerCore: number;
  conntrackMin: number;
  tcpEstablishedTimeoutNs: number;
  udpTimeoutNs: number;
  /** Mode sections by key (ConfigSectionParser.parse's results), e.g. kube-proxy's `nftables:`. */
  sections: Readonly<Record<string, unknown>>;
}

export const DEFAULT_KUBE_PROXY_CONFIG: KubeProxyConfiguration = {
  mode: 'iptables',
  hostnameOverride: '',
  clusterCIDR: '',
  masqueradeAll: false,
  nodePortAddresses: [],
  masqueradeBit: 14,
  localhostNodePorts: true,
  syncPeriodNs: 30e9,
  minSyncPeriodNs: 1e9,
  ipvsScheduler: 'rr',
  portRange: null,
  conntrackMaxPerCore: 32768,
  conntrackMin: 131072,
  tcpEstablishedTimeoutNs: 24 * 3600e9,
  udpTimeoutNs: 30e9,
  sections: {},
};

/** A mode's own section of the configuration (ProxyModeDescriptor.configSection). */
export interface ConfigSectionParser {
  readonly key: string;
  /** Validates the raw value (undefined when the section is absent) and fills defaults. */
  parse(raw: unknown, file: string): unknown;
}

/** What the registry knows: the mode names, and the sections modes read. */
export interface KnownModes {
  readonly modes: readonly string[];
  readonly sections: readonly ConfigSectionParser[];
}

/**
 * Parses a KubeProxyConfiguration against the known modes (src/proxy/load-config.ts passes the
 * registry's). `section` says where the configuration sits in its file (a scenario's `proxy`).
 */
export function parseConfigWith(raw: unknown, path: string, known: KnownModes, section?: string): KubeProxyConfiguration {
  // A mode's own section is validated by the mode (its parser refuses unknown fields).
  const schema = (
    known.sections.length > 0
      ? configSchema.extend(Object.fromEntries(known.sections.map((sec) => [sec.key, z.unknown().optional()])))
      : configSchema
  ) as typeof configSchema;
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw schemaError(parsed.error, path, section);
  const c = parsed.data;
  const d = DEFAULT_KUBE_PROXY_CONFIG;
  if (c.mode && !known.modes.includes(c.mode))
    throw new InputError(`unknown proxy mode (known: ${known.modes.join(', ')})`, path, 'mode', c.mode);
  const sections: Record<string, unknown> = {};
  for (const sec of known.sections) sections[sec.key] = sec.parse((raw as Record<string, unknown>)[sec.key], path);
  return {
    mode: c.mode || d.mode,
    sections,
    hostnameOverride: c.hostnameOverride ?? d.hostnameOverride,
    clusterCIDR: c.clusterCIDR ?? d.clusterCIDR,
    masqueradeAll: c.masqueradeAll ?? c.iptables?.masqueradeAll ?? d.masqueradeAll,
    nodePortAddresses: c.nodePortAddresses ?? d.nodePortAddresses,
    masqueradeBit: c.iptables?.masqueradeBit ?? d.masqueradeBit,
    localhostNodePorts: c.iptables?.localhostNodePorts ?? d.localhostNodePorts,
    syncPeriodNs: goDuration(c.syncPeriod ?? c.iptables?.syncPeriod) ?? d.syncPeriodNs,
    minSyncPeriodNs: goDuration(c.minSyncPeriod ?? c.iptables?.minSyncPeriod) ?? d.minSyncPeriodNs,
    ipvsScheduler: (c.ipvs?.scheduler || d.ipvsScheduler) as KubeProxyConfiguration['ipvsScheduler'],
    portRange: parsePortRangeSpec(c.portRange, path),
    conntrackMaxPerCore: c.conntrack?.maxPerCore ?? d.conntrackMaxPerCore,
    conntrackMin: c.conntrack?.min ?? d.conntrackMin,
    tcpEstablishedTimeoutNs: goDuration(c.conntrack?.tcpEstablishedTimeout ?? undefined) ?? d.tcpEstablishedTimeoutNs,
    udpTimeoutNs: goDuration(c.conntrack?.udpTimeout ?? undefined) ?? d.udpTimeoutNs,
  };
}

/** kube-proxy's PortRange syntax: "begin-end", "begin+offset" or one port; "" means unset. */
function parsePortRangeSpec(text: string | undefined, path: string): KubeProxyConfiguration['portRange'] {
  if (!text) return null;
  const [a, b] = text.includes('-')
    ? text.split('-').map(Number)
    : text.includes('+')
      ? ((p) => [p[0], p[0] + p[1]])(text.split('+').map(Number))
      : [Number(text), Number(text)];
  if (!(a >= 1 && b <= 65535 && a <= b)) throw new InputError('must be a port range within 1-65535', path, 'portRange', text);
  return { base: a, size: b - a + 1 };
}

function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** A validated Go duration in integer nanoseconds; undefined when absent. */
function goDuration(text: string | null | undefined): number | undefined {
  return text === undefined || text === null ? undefined : parseDuration(text);
}
