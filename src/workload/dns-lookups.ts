// DNS lookups before a connection: the names a pod's resolver sends for a service, computed once
// per service by the CoreDNS model, then replayed as UDP packets to kube-dns in the workload.
import type { Cluster } from '../cluster/model.ts';
import { CoreDnsServer } from '../dns/server.ts';
import { lookupHost } from '../dns/resolver.ts';
import { parseIPv4 } from '../util/ipv4.ts';
import { PROTO_UDP } from '../util/proto.ts';

export interface DnsPlan {
  /** kube-dns ClusterIP and port: where every query packet goes. */
  serverIP: number;
  serverPort: number;
  proto: typeof PROTO_UDP;
  /** Queries a lookup of service i sends (A and AAAA per search candidate). */
  queriesFor(serviceIndex: number): number;
}

export function planDns(cluster: Cluster, clientNamespace: string): DnsPlan | null {
  const kubeDns = cluster.services.find((s) => s.metadata.name === 'kube-dns' && s.metadata.namespace === 'kube-system');
  const ip = kubeDns?.spec.clusterIP;
  if (!ip || ip === 'None') return null;
  const server = CoreDnsServer.fromCluster(cluster, { clusterDomain: cluster.config.clusterDomain });
  const cache = new Map<number, number>();
  return {
    serverIP: parseIPv4(ip),
    serverPort: 53,
    proto: PROTO_UDP,
    queriesFor(i: number): number {
      let n = cache.get(i);
      if (n === undefined) {
        const svc = cluster.services[i];
        // `<svc>.<ns>`: the form a client in another namespace uses; fewer dots than ndots 5,
        // so the search list is walked first.
        const r = lookupHost(`${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}`, {
          server,
          namespace: clientNamespace,
          clusterDomain: cluster.config.clusterDomain,
        });
        n = r.queries.length;
        cache.set(i, n);
      }
      return n;
    },
  };
}
