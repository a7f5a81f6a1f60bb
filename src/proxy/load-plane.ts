// Builds the data plane `kpsim rules` / `kpsim trace` look at: a node of a cluster dump under a
// KubeProxyConfiguration, or a real node's iptables-save output.
import { loadCluster } from '../cluster/load.ts';
import { tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { loadKubeProxyConfig, parseKubeProxyConfig } from './load-config.ts';
import { IptablesDumpPlane } from './iptables/dump-plane.ts';
import { resolveOptions } from './iptables/options.ts';
import { LOOPBACK_IP, nodeView, sampleNames } from './node-view.ts';
import { getMode } from './modes.ts';
import type { DataPlane } from './types.ts';
import { ioName, readInput } from '../util/stdio.ts';

export interface PlaneSource {
  cluster?: string;
  proxyConfig?: string;
  /** The node whose data plane to build (overrides hostnameOverride; default: the first node). */
  node?: string;
  mode?: string;
  iptablesSave?: string;
  localIps?: string;
  /** The service range when the cluster file does not say (--service-cidr). */
  serviceCidr?: string;
  /** The pod range when the cluster file does not say (--cluster-cidr). */
  clusterCidr?: string;
  /** Warnings are errors (--strict). */
  strict?: boolean;
}

export interface LoadedPlane {
  plane: DataPlane;
  mode: string;
  /** Addresses of the node (with 127.0.0.1): packets from them start in nat OUTPUT. */
  localIPs: Set<number>;
  /** e.g. "node test-node of cluster.json (iptables mode)". */
  description: string;
  /** What the input holds that is doubtful or not modelled, one line each, for stderr. */
  warnings: string[];
}

export function loadPlane(src: PlaneSource): LoadedPlane {
  if (src.iptablesSave !== undefined) {
    if (src.cluster !== undefined) throw new InputError('give either --cluster or --iptables-save, not both', undefined, '--iptables-save');
    if (src.mode !== undefined && src.mode !== 'iptables')
      throw new InputError('an iptables-save dump can only be read in iptables mode', undefined, '--mode', src.mode);
    for (const [flag, v] of [
      ['--service-cidr', src.serviceCidr],
      ['--cluster-cidr', src.clusterCidr],
    ] as const)
      if (v !== undefined) throw new InputError('applies to --cluster, not to an iptables-save dump', undefined, flag, v);
    const dump = loadDump(src.iptablesSave, src.localIps, src.proxyConfig);
    if (src.strict && dump.warnings.length > 0) throw new InputError(`${dump.warnings[0]} (--strict)`, src.iptablesSave);
    return dump;
  }
  if (src.cluster === undefined) throw new InputError('give --cluster FILE (a Kubernetes List), or --iptables-save FILE');
  if (src.localIps !== undefined)
    throw new InputError(
      "--local-ips applies to --iptables-save; with --cluster the node's addresses come from its Node object",
      undefined,
      '--local-ips',
    );
  const loaded = loadCluster(src.cluster, { serviceCidr: src.serviceCidr, clusterCidr: src.clusterCidr, strict: src.strict });
  const { cluster } = loaded;
  // Without a KubeProxyConfiguration, kube-proxy's defaults on the named (or first) node, with
  // the cluster's own pod CIDR as clusterCIDR (what kubeadm passes kube-proxy).
  const config =
    src.proxyConfig !== undefined
      ? loadKubeProxyConfig(src.proxyConfig)
      : parseKubeProxyConfig({ hostnameOverride: cluster.nodes[0]?.metadata.name ?? '', clusterCIDR: cluster.config.clusterCIDR });
  if (src.node !== undefined) {
    if (!cluster.nodes.some((n) => n.metadata.name === src.node)) {
      throw new InputError(`node not in the cluster (${sampleNames(cluster)})`, undefined, '--node', src.node);
    }
    config.hostnameOverride = src.node;
  }
  if (src.mode !== undefined) {
    config.mode = getMode(src.mode, undefined, '--mode').name;
  }
  const mode = getMode(config.mode, src.mode !== undefined ? undefined : src.proxyConfig, src.mode !== undefined ? '--mode' : 'mode');
  const node = nodeView(cluster, config.hostnameOverride, src.proxyConfig ?? src.cluster);
  // Checks clusterCIDR and nodePortAddresses here, where errors can name the file.
  resolveOptions(config, node, {}, src.proxyConfig);
  const plane = mode.build(cluster, config);
  return {
    plane,
    mode: mode.name,
    localIPs: node.localIPs,
    description: `node ${node.name} of ${src.cluster} (${mode.name} mode)`,
    warnings: loaded.warnings.map((w) => `${w.field}: ${w.message}`),
  };
}

function loadDump(file: string, localIps: string | undefined, proxyConfig: string | undefined): LoadedPlane {
  const ips: number[] = [];
  for (const part of (localIps ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const ip = tryParseIPv4(part);
    if (ip === null) throw new InputError('not an IPv4 address', undefined, '--local-ips', part);
    ips.push(ip);
  }
  const text = readInput(file, 'iptables-save dump');
  const bit = proxyConfig !== undefined ? loadKubeProxyConfig(proxyConfig).masqueradeBit : 14;
  const plane = new IptablesDumpPlane(text, ips, 2 ** bit, ioName(file));
  return {
    plane,
    mode: 'iptables',
    localIPs: new Set([...ips, LOOPBACK_IP]),
    description: `iptables-save dump ${ioName(file)}`,
    warnings: plane.notModelled,
  };
}
