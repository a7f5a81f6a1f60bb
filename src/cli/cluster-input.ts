// Options and output shared by every command that reads a cluster file (rules, trace, dns,
// validate): one loader, one set of checks, warnings printed the same way.
import type { Command } from 'commander';
import { type ClusterLoadOptions, type LoadedCluster, loadCluster } from '../cluster/load.ts';

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option(
      '--service-cidr <cidr>',
      "the cluster's service range when the file has no ServiceCIDR objects (default 10.96.0.0/12, kubeadm's)",
    )
    .option('--cluster-cidr <cidr>', "the cluster's pod range when the file does not say (default 10.244.0.0/16)")
    .option('--strict', "treat the cluster's warnings (e.g. an EndpointSlice whose Service is missing) as errors");
}

/** The options naming one node's data plane (rules, trace): the cluster, the configuration, the node, the mode. */
export function addPlaneOptions(cmd: Command): Command {
  return cmd
    .option('--cluster <file>', 'cluster dump: a Kubernetes List (JSON or YAML) of Node, Service and EndpointSlice objects (- for stdin)')
    .option(
      '--proxy-config <file>',
      "KubeProxyConfiguration (YAML/JSON): mode, hostnameOverride (the node), clusterCIDR, ... (default: kube-proxy's defaults)",
    )
    .option(
      '--node <name>',
      "the node whose data plane to build (default: the config's hostnameOverride; without --proxy-config, the first node)",
    )
    .option('--mode <mode>', "proxy mode, overriding the configuration's mode");
}

/** Loads the cluster and prints its warnings on stderr. */
export function loadClusterFor(file: string, opts: ClusterLoadOptions): LoadedCluster {
  const loaded = loadCluster(file, opts);
  printWarnings(file, warningLines(loaded));
  return loaded;
}

export function warningLines(loaded: Pick<LoadedCluster, 'warnings'>): string[] {
  return loaded.warnings.map((w) => `${w.field}: ${w.message}`);
}

/** "kpsim: warning: FILE: message" lines on stderr, the first `limit` of them. */
export function printWarnings(file: string | undefined, messages: string[], limit = 20): void {
  for (const m of messages.slice(0, limit)) process.stderr.write(`kpsim: warning: ${file ? `${file}: ` : ''}${m}\n`);
  if (messages.length > limit) process.stderr.write(`kpsim: warning: ... and ${messages.length - limit} more warnings\n`);
}
