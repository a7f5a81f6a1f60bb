// Fields of KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1, kube-proxy's
// staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go) that kpsim takes no value from. They are
// accepted so that a real kube-proxy config loads; a field the type does not have is refused, as
// kube-proxy's strict decoding refuses it.
import { z } from 'zod';

const str = z.string().optional();
const bool = z.boolean().optional();
/** Nested settings kpsim never reads (client connection, logging): any mapping. */
const mapping = z.record(z.string(), z.unknown()).optional();

export const UNMODELLED_FIELDS = {
  featureGates: z.record(z.string(), z.boolean()).optional(),
  clientConnection: mapping,
  logging: mapping,
  bindAddress: str,
  healthzBindAddress: str,
  metricsBindAddress: str,
  bindAddressHardFail: bool,
  enableProfiling: bool,
  showHiddenMetricsForVersion: str,
  nftables: z
    .object({
      masqueradeBit: z.number().int().nullable().optional(),
      masqueradeAll: bool,
      syncPeriod: str,
      minSyncPeriod: str,
    })
    .strict()
    .optional(),
  winkernel: z
    .object({ networkName: str, sourceVip: str, enableDSR: bool, rootHnsEndpointName: str, forwardHealthCheckVip: bool })
    .strict()
    .optional(),
  detectLocalMode: str,
  detectLocal: z.object({ bridgeInterface: str, interfaceNamePrefix: str }).strict().optional(),
  oomScoreAdj: z.number().int().nullable().optional(),
  configSyncPeriod: str,
  windowsRunAsService: bool,
  // The userspace proxier's idle timeout (removed with that mode in Kubernetes 1.26).
  udpIdleTimeout: str,
};
export const UNMODELLED_IPTABLES_FIELDS = { snatNodeInternalIP: z.boolean().nullable().optional() };
export const UNMODELLED_IPVS_FIELDS = { tcpTimeout: str, tcpFinTimeout: str, udpTimeout: str };
export const UNMODELLED_CONNTRACK_FIELDS = {
  tcpCloseWaitTimeout: z.string().nullable().optional(),
  tcpBeLiberal: bool,
  udpStreamTimeout: str,
};
