// What clients connect to: every ClusterIP service port (from pods), or every NodePort on the
// node under test (from outside), as flat arrays the workload indexes by number.
import type { Cluster } from '../cluster/model.ts';
import { nodeInternalIP } from '../cluster/model.ts';
import { parseIPv4 } from '../util/ipv4.ts';
import { PROTO_SCTP, PROTO_TCP, PROTO_UDP, type ProtoNumber } from '../util/proto.ts';

export interface Targets {
  count: number;
  ip: Uint32Array;
  port: Uint16Array;
  proto: Uint8Array;
  /** Index of the target's Service in cluster.services (for DNS names). */
  service: Int32Array;
}

export const PROTO_NUMBER: Record<string, ProtoNumber> = { TCP: PROTO_TCP, UDP: PROTO_UDP, SCTP: PROTO_SCTP };

function collect(
  cluster: Cluster,
  pick: (ip: string | undefined, port: { port: number; nodePort?: number }) => [number, number] | null,
): Targets {
  const ips: number[] = [];
  const ports: number[] = [];
  const protos: number[] = [];
  const services: number[] = [];
  cluster.services.forEach((svc, index) => {
    const type = svc.spec.type ?? 'ClusterIP';
    if (type === 'ExternalName' || svc.spec.clusterIP === 'None' || !svc.spec.clusterIP) return;
    for (const p of svc.spec.ports ?? []) {
      const t = pick(svc.spec.clusterIP, p);
      if (!t) continue;
      ips.push(t[0]);
      ports.push(t[1]);
      protos.push(PROTO_NUMBER[p.protocol ?? 'TCP']);
      services.push(index);
    }
  });
  return {
    count: ips.length,
    ip: Uint32Array.from(ips),
    port: Uint16Array.from(ports),
    proto: Uint8Array.from(protos),
    service: Int32Array.from(services),
  };
}

/** Every ClusterIP:port of the cluster, in service order. */
export function clusterIPTargets(cluster: Cluster): Targets {
  return collect(cluster, (ip, p) => [parseIPv4(ip!), p.port]);
}

/** Every NodePort, addressed to the given node's InternalIP. */
export function nodePortTargets(cluster: Cluster, nodeName: string): Targets {
  const node = cluster.nodes.find((n) => n.metadata.name === nodeName);
  const addr = node && nodeInternalIP(node);
  if (!addr) return { count: 0, ip: new Uint32Array(0), port: new Uint16Array(0), proto: new Uint8Array(0), service: new Int32Array(0) };
  const nodeIP = parseIPv4(addr);
  return collect(cluster, (_ip, p) => (p.nodePort ? [nodeIP, p.nodePort] : null));
}
