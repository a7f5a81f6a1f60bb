// The IPVS state one sync wants, computed as kube-proxy 1.25's syncProxyRules loop does:
// per service port a virtual server for the ClusterIP, each external IP, each load-balancer
// ingress IP and (for NodePorts) each node IP, the real servers syncEndpoint would pick, the
// ipset members, and the addresses to bind to kube-ipvs0.
import { SVC_F_PERSISTENT, type ServiceSpec } from '../../ipvs/index.ts';
import * as K from '../../ipset/kube-sets.ts';
import { cidrContains, formatCidr, formatIPv4 } from '../../util/ipv4.ts';
import { categorizeEndpoints, type EndpointInfo, type ServicePortInfo } from '../service-map.ts';
import type { IpvsOptions } from './options.ts';
import { PROTO_SCTP, PROTO_TCP } from '../../util/proto.ts';

export interface DesiredDest {
  addr: number;
  port: number;
}

export interface DesiredService {
  spec: ServiceSpec;
  /** destKey(ip, port) -> dest, in kube-proxy's "ip:port" order; weight is always 1. */
  dests: Map<number, DesiredDest>;
  /** Owning service port, for messages. */
  owner: string;
}

export interface DesiredState {
  /** Virtual servers by "proto/addr/port". */
  services: Map<string, DesiredService>;
  /** Members per ipset name, each with the service port it is for (to name what a full set left out). */
  ipsets: Map<string, Map<string, string>>;
  /** Addresses to bind to kube-ipvs0 (ClusterIPs, external IPs, LB ingress IPs). */
  bindAddrs: Set<number>;
}

export const vsKey = (proto: number, addr: number, port: number): string => `${proto}/${addr >>> 0}/${port}`;

/** A real server's address and port as one number (exact: below 2^48). */
export const destKey = (addr: number, port: number): number => (addr >>> 0) * 65536 + port;

export function computeDesired(services: ServicePortInfo[], o: IpvsOptions): DesiredState {
  const ipsets = new Map<string, Map<string, string>>(K.KUBE_IPVS_SETS.map((s) => [s.name, new Map<string, string>()]));
  const out: DesiredState = { services: new Map(), ipsets, bindAddrs: new Set() };

  for (const svc of services) {
    const add = (set: string, member: string) => ipsets.get(set)!.set(member, svc.name);
    const proto = svc.protocol.toLowerCase();
    const ipPort = (ip: number) => `${formatIPv4(ip)},${proto}:${svc.port}`;
    const vs = (addr: number, port: number, onlyLocal: boolean) => {
      const spec: ServiceSpec = {
        proto: svc.protoNumber,
        addr,
        port,
        scheduler: o.scheduler,
        flags: svc.sessionAffinity === 'ClientIP' ? SVC_F_PERSISTENT : 0,
        timeout: svc.sessionAffinity === 'ClientIP' ? svc.stickyMaxAgeSeconds : 0,
        netmask: 0xffffffff,
      };
      out.services.set(vsKey(spec.proto, addr, port), { spec, dests: realServers(svc, onlyLocal, o), owner: svc.name });
    };

    // Hairpin: local endpoints talking to themselves through the service get masqueraded.
    for (const ep of svc.endpoints) if (ep.isLocal) add(K.KUBE_LOOP_BACK, `${ep.ipText},${proto}:${ep.port},${ep.ipText}`);

    add(K.KUBE_CLUSTER_IP, ipPort(svc.clusterIP));
    vs(svc.clusterIP, svc.port, svc.internalPolicyLocal);
    out.bindAddrs.add(svc.clusterIP);

    for (const ext of svc.externalIPs) {
      add(svc.externalPolicyLocal ? K.KUBE_EXTERNAL_IP_LOCAL : K.KUBE_EXTERNAL_IP, ipPort(ext));
      vs(ext, svc.port, svc.externalPolicyLocal);
      out.bindAddrs.add(ext);
    }

    for (const lb of svc.loadBalancerVIPs) {
      add(K.KUBE_LOAD_BALANCER, ipPort(lb));
      if (svc.externalPolicyLocal) add(K.KUBE_LOAD_BALANCER_LOCAL, ipPort(lb));
      if (svc.loadBalancerSourceRanges.length > 0) {
        add(K.KUBE_LOAD_BALANCER_FW, ipPort(lb));
        let allowFromNode = false;
        for (const c of svc.loadBalancerSourceRanges) {
          add(K.KUBE_LOAD_BALANCER_SOURCE_CIDR, `${ipPort(lb)},${formatCidr(c)}`);
          if (cidrContains(c, o.node.primaryIP)) allowFromNode = true;
        }
        // Traffic from the node to its own LB IP loops back locally: let it through.
        if (allowFromNode) add(K.KUBE_LOAD_BALANCER_SOURCE_IP, `${ipPort(lb)},${formatIPv4(lb)}`);
      }
      vs(lb, svc.port, svc.externalPolicyLocal);
      out.bindAddrs.add(lb);
    }

    if (svc.nodePort !== 0 && o.nodePortIPs.length > 0) {
      const entries =
        svc.protoNumber === PROTO_SCTP ? o.nodePortIPs.map((ip) => `${formatIPv4(ip)},sctp:${svc.nodePort}`) : [String(svc.nodePort)];
      const [all, local] = nodePortSets(svc.protoNumber);
      for (const e of entries) add(all, e);
      if (svc.externalPolicyLocal) for (const e of entries) add(local, e);
      for (const ip of o.nodePortIPs) vs(ip, svc.nodePort, svc.externalPolicyLocal);
    }

    if (svc.healthCheckNodePort !== 0) add(K.KUBE_HEALTH_CHECK_NODE_PORT, String(svc.healthCheckNodePort));
  }
  return out;
}

function nodePortSets(proto: number): [string, string] {
  if (proto === PROTO_TCP) return [K.KUBE_NODE_PORT_TCP, K.KUBE_NODE_PORT_LOCAL_TCP];
  if (proto === PROTO_SCTP) return [K.KUBE_NODE_PORT_SCTP, K.KUBE_NODE_PORT_LOCAL_SCTP];
  return [K.KUBE_NODE_PORT_UDP, K.KUBE_NODE_PORT_LOCAL_UDP];
}

/**
 * syncEndpoint's choice: with a Local policy the node's local endpoints, or, when it has
 * none, the cluster endpoints (kubernetes#97081: pods on the node can still reach the
 * service; external clients get replies from the pod address, which they drop).
 */
function realServers(svc: ServicePortInfo, onlyLocal: boolean, o: IpvsOptions): Map<number, DesiredDest> {
  const cat = categorizeEndpoints(svc, o.node.name, o.node.zone);
  let eps: EndpointInfo[];
  if (onlyLocal) eps = cat.localEndpoints && cat.localEndpoints.length > 0 ? cat.localEndpoints : (cat.clusterEndpoints ?? []);
  else eps = cat.clusterEndpoints ?? [];
  const m = new Map<number, DesiredDest>();
  for (const ep of eps) m.set(destKey(ep.ip, ep.port), { addr: ep.ip, port: ep.port });
  return m;
}
