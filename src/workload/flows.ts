// The node's conntrack table as kube-proxy configures it (conntrack.maxPerCore, min, timeouts).
import { ConntrackTable } from '../conntrack/index.ts';
import type { KubeProxyConfiguration } from '../proxy/config.ts';

/** Cores of the simulated node (kube-proxy sizes nf_conntrack_max per core). */
export const SIMULATED_NODE_CORES = 2;

export function newFlowTable(kpc: KubeProxyConfiguration): ConntrackTable {
  return new ConntrackTable({
    cores: SIMULATED_NODE_CORES,
    maxPerCore: kpc.conntrackMaxPerCore,
    min: kpc.conntrackMin,
    timeouts: { tcpEstablished: kpc.tcpEstablishedTimeoutNs, udpUnreplied: kpc.udpTimeoutNs },
  });
}
