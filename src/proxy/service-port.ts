// One Service port as kube-proxy's ServicePort sees it (pkg/proxy/serviceport.go,
// newBaseServiceInfo; pkg/proxy/servicechangetracker.go, serviceToServiceMap), IPv4 only.
import type { Protocol, Service, ServicePort } from '../cluster/k8s-types.ts';
import { type Cidr, tryParseCidr, tryParseIPv4 } from '../util/ipv4.ts';
import { serviceProtocolNumber, type ProtoNumber } from '../util/proto.ts';

/** Default ClientIP affinity timeout the API server fills in (v1.DefaultClientIPServiceAffinitySeconds). */
export const DEFAULT_STICKY_SECONDS = 10800;

export interface EndpointInfo {
  ip: number;
  ipText: string;
  port: number;
  /** "ip:port", kube-proxy's BaseEndpointInfo.String() (endpoints sort and dedupe by it). */
  key: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string | undefined;
  /** Runs on the node the view was built for. */
  isLocal: boolean;
  /** hints.forZones names; empty when the endpoint has no zone hints. */
  zoneHints: string[];
}

export interface ServicePortInfo {
  /** kube-proxy's ServicePortName.String(): "ns/name:port", or "ns/name" for an unnamed port. */
  name: string;
  namespace: string;
  serviceName: string;
  portName: string;
  protocol: Protocol;
  protoNumber: ProtoNumber;
  clusterIP: number;
  port: number;
  /** 0 when the port has none. */
  nodePort: number;
  /** As written in the Service (a number or a container port name); informational. */
  targetPort: number | string | undefined;
  sessionAffinity: 'None' | 'ClientIP';
  /** ClientIP timeout; 0 without affinity. */
  stickyMaxAgeSeconds: number;
  externalIPs: number[];
  /** status.loadBalancer.ingress IPs in VIP mode (ipMode Proxy is skipped, as kube-proxy does). */
  loadBalancerVIPs: number[];
  /** Trimmed and parsed (kube-proxy tolerates whitespace padding). */
  loadBalancerSourceRanges: Cidr[];
  /** Only for LoadBalancer services with externalTrafficPolicy Local (apiservice.NeedsHealthCheck). */
  healthCheckNodePort: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** Reachable by NodePort, external IP or load balancer IP. */
  externallyAccessible: boolean;
  /** Ever sends traffic to endpoints by "Cluster" policy. */
  usesClusterEndpoints: boolean;
  /** Ever sends traffic to endpoints by "Local" policy. */
  usesLocalEndpoints: boolean;
  /** Endpoints for this port, sorted by "ip:port" string as kube-proxy sorts them. */
  endpoints: EndpointInfo[];
}

/** proxyutil.ShouldSkipService: headless and ExternalName services get no rules. */
export function shouldSkipService(svc: Service): boolean {
  const ip = svc.spec.clusterIP;
  return svc.spec.type === 'ExternalName' || ip === undefined || ip === '' || ip === 'None';
}

/** proxyutil.GetClusterIPByFamily for IPv4: the first IPv4 of clusterIPs, else clusterIP. */
export function ipv4ClusterIP(svc: Service): number | null {
  const ips = svc.spec.clusterIPs && svc.spec.clusterIPs.length > 0 ? svc.spec.clusterIPs : [svc.spec.clusterIP ?? ''];
  for (const text of ips) {
    const ip = tryParseIPv4(text);
    if (ip !== null) return ip;
  }
  return null;
}

/** ServicePortName.String(): the port name is appended only when it is not empty. */
export function servicePortName(namespace: string, name: string, portName: string): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

/** Builds the ServicePortInfo of every port of a Service (no endpoints yet); [] when skipped. */
export function servicePorts(svc: Service): ServicePortInfo[] {
  if (shouldSkipService(svc)) return [];
  const clusterIP = ipv4ClusterIP(svc);
  if (clusterIP === null) return [];
  const spec = svc.spec;
  const type = spec.type ?? 'ClusterIP';
  const externalIPs = ipv4List(spec.externalIPs ?? []);
  // pkg/api/v1/service/util.go: ExternallyAccessible / ExternalPolicyLocal / InternalPolicyLocal.
  const typeExternal = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
  const externalPolicyLocal = typeExternal && spec.externalTrafficPolicy === 'Local';
  const internalPolicyLocal = spec.internalTrafficPolicy === 'Local';
  const affinity = spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None';
  const sticky = affinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_STICKY_SECONDS) : 0;
  const ranges: Cidr[] = [];
  for (const r of spec.loadBalancerSourceRanges ?? []) {
    const c = tryParseCidr(r.trim(), false);
    if (c) ranges.push(c);
  }
  const vips: number[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (!ing.ip || ing.ipMode === 'Proxy') continue;
    const ip = tryParseIPv4(ing.ip);
    if (ip !== null) vips.push(ip);
  }
  const needsHealthCheck = type === 'LoadBalancer' && externalPolicyLocal;
  const namespace = svc.metadata.namespace ?? 'default';
  return (spec.ports ?? []).map((p: ServicePort) => {
    const protocol: Protocol = p.protocol ?? 'TCP';
    const nodePort = p.nodePort ?? 0;
    const externallyAccessible = nodePort !== 0 || vips.length > 0 || externalIPs.length > 0;
    return {
      name: servicePortName(namespace, svc.metadata.name, p.name ?? ''),
      namespace,
      serviceName: svc.metadata.name,
      portName: p.name ?? '',
      protocol,
      protoNumber: serviceProtocolNumber(protocol),
      clusterIP,
      port: p.port,
      nodePort,
      targetPort: p.targetPort,
      sessionAffinity: affinity,
      stickyMaxAgeSeconds: sticky,
      externalIPs,
      loadBalancerVIPs: vips,
      loadBalancerSourceRanges: ranges,
      healthCheckNodePort: needsHealthCheck ? (spec.healthCheckNodePort ?? 0) : 0,
      externalPolicyLocal,
      internalPolicyLocal,
      externallyAccessible,
      usesClusterEndpoints: !internalPolicyLocal || externallyAccessible,
      usesLocalEndpoints: internalPolicyLocal || (externalPolicyLocal && externallyAccessible),
      endpoints: [],
    };
  });
}

/** IPv4 addresses of the list; other families and malformed entries are skipped (MapIPsByIPFamily). */
function ipv4List(texts: string[]): number[] {
  const out: number[] = [];
  for (const t of texts) {
    const ip = tryParseIPv4(t.trim());
    if (ip !== null) out.push(ip);
  }
  return out;
}
