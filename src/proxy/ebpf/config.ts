// The `cilium:` section of the proxy configuration: the settings of Cilium's kube-proxy
// replacement that change its data plane, named and defaulted as in Cilium's Helm chart and
// cilium-agent flags (Documentation/network/kubernetes/kubeproxy-free.rst; maps.rst for the
// map sizes). A scenario's `proxy:` section and a --proxy-config file read it alike.
import { z } from 'zod';
import { InputError, schemaError } from '../../util/errors.ts';
import type { ConfigSectionParser } from '../config.ts';

/** The Maglev table sizes Cilium accepts (maglev.tableSize): primes, default 16381. */
export const MAGLEV_TABLE_SIZES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;

export interface CiliumSettings {
  /** loadBalancer.algorithm: backend selection for north-south traffic. */
  algorithm: 'random' | 'maglev';
  /** loadBalancer.mode: how NodePort/LoadBalancer/externalIPs traffic reaches a remote backend (hybrid: DSR for TCP, SNAT for UDP). */
  lbMode: 'snat' | 'dsr' | 'hybrid';
  /** maglev.tableSize (M). */
  maglevTableSize: number;
  /** maglev.hashSeed, folded to 32 bits. */
  maglevSeed: number;
  /** bpf.lbMapMax (--bpf-lb-map-max): entries of the service, backend, reverse-NAT, affinity and Maglev maps. */
  lbMapMax: number;
  /** bpf.lbExternalClusterIP: ClusterIPs reachable from outside the cluster. */
  lbExternalClusterIP: boolean;
  /** bpf.disableExternalIPMitigation: socket LB translates external IPs that are not the node's (CVE-2020-8554). */
  disableExternalIPMitigation: boolean;
  /** --bpf-ct-global-tcp-max / --bpf-ct-global-any-max: Cilium's connection tracking maps. */
  ctTcpMax: number;
  ctAnyMax: number;
  /** serviceNoBackendResponse: what a service without backends answers from outside. */
  noBackendResponse: 'reject' | 'drop';
}

export const DEFAULT_CILIUM_SETTINGS: CiliumSettings = {
  algorithm: 'random',
  lbMode: 'snat',
  maglevTableSize: 16381,
  maglevSeed: 0,
  lbMapMax: 65536,
  lbExternalClusterIP: false,
  disableExternalIPMitigation: false,
  ctTcpMax: 524288,
  ctAnyMax: 262144,
  noBackendResponse: 'reject',
};

const count = (max: number) => z.number().int().min(1).max(max);

const sectionSchema = z
  .object({
    kubeProxyReplacement: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
    loadBalancer: z
      .object({
        algorithm: z.enum(['random', 'maglev']).optional(),
        mode: z.enum(['snat', 'dsr', 'hybrid']).optional(),
      })
      .strict()
      .optional(),
    maglev: z
      .object({
        tableSize: z
          .number()
          .int()
          .refine((m) => (MAGLEV_TABLE_SIZES as readonly number[]).includes(m), `must be one of ${MAGLEV_TABLE_SIZES.join(', ')}`)
          .optional(),
        hashSeed: z.string().optional(),
      })
      .strict()
      .optional(),
    bpf: z
      .object({
        // The kernel caps a map's max_entries at 2^32-1; kpsim keeps its arrays in 2^26.
        lbMapMax: count(1 << 26).optional(),
        lbExternalClusterIP: z.boolean().optional(),
        disableExternalIPMitigation: z.boolean().optional(),
        ctTcpMax: count(1 << 26).optional(),
        ctAnyMax: count(1 << 26).optional(),
      })
      .strict()
      .optional(),
    serviceNoBackendResponse: z.enum(['reject', 'drop']).optional(),
  })
  .strict();

/** FNV-1a of the seed text: any hashSeed string gives a fixed 32-bit seed. */
function foldSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export const ciliumSection: ConfigSectionParser = {
  key: 'cilium',
  parse(raw: unknown, file: string): CiliumSettings {
    const r = sectionSchema.safeParse(raw ?? {}, { reportInput: true });
    if (!r.success) throw schemaError(r.error, file, 'cilium');
    const c = r.data;
    const d = DEFAULT_CILIUM_SETTINGS;
    const kpr = c.kubeProxyReplacement;
    if (kpr === false || kpr === 'false')
      throw new InputError(
        'kpsim models Cilium as the replacement of kube-proxy; with false, kube-proxy still programs NodePorts, externalIPs and load balancers',
        file,
        'cilium.kubeProxyReplacement',
        kpr,
        'model such a node with --mode iptables or ipvs',
      );
    return {
      algorithm: c.loadBalancer?.algorithm ?? d.algorithm,
      lbMode: c.loadBalancer?.mode ?? d.lbMode,
      maglevTableSize: c.maglev?.tableSize ?? d.maglevTableSize,
      maglevSeed: c.maglev?.hashSeed ? foldSeed(c.maglev.hashSeed) : d.maglevSeed,
      lbMapMax: c.bpf?.lbMapMax ?? d.lbMapMax,
      lbExternalClusterIP: c.bpf?.lbExternalClusterIP ?? d.lbExternalClusterIP,
      disableExternalIPMitigation: c.bpf?.disableExternalIPMitigation ?? d.disableExternalIPMitigation,
      ctTcpMax: c.bpf?.ctTcpMax ?? d.ctTcpMax,
      ctAnyMax: c.bpf?.ctAnyMax ?? d.ctAnyMax,
      noBackendResponse: c.serviceNoBackendResponse ?? d.noBackendResponse,
    };
  },
};

/** The settings in a parsed configuration (defaults when the configuration has no `cilium:` section). */
export function ciliumSettings(sections: Readonly<Record<string, unknown>>): CiliumSettings {
  return (sections.cilium as CiliumSettings | undefined) ?? DEFAULT_CILIUM_SETTINGS;
}
