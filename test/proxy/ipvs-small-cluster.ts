// A small cluster for the IPVS golden and sync tests: the API server, cluster DNS, a NodePort
// service with ClientIP affinity and a LoadBalancer with externalTrafficPolicy Local and
// source ranges, on the kube-proxy test node (three node addresses).
import type { Cluster } from '../../src/cluster/model.ts';
import { makeCluster, makeService, makeSlice } from './kube-proxy-test-env.ts';

export function smallIpvsCluster(extra: unknown[] = []): Cluster {
  return makeCluster([
    makeService('default', 'kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
    makeService('kube-system', 'kube-dns', {
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    }),
    makeService('web', 'front', {
      type: 'NodePort',
      clusterIP: '10.96.12.34',
      sessionAffinity: 'ClientIP',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }],
    }),
    makeService(
      'web',
      'shop',
      {
        type: 'LoadBalancer',
        clusterIP: '10.96.200.7',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        loadBalancerSourceRanges: ['203.0.113.0/24'],
        ports: [{ name: 'https', port: 443, protocol: 'TCP', nodePort: 31443 }],
      },
      ['198.51.100.9'],
    ),
    makeSlice('default', 'kubernetes', [{ ip: '192.168.0.2', node: 'test-node' }], [{ name: 'https', port: 6443 }]),
    makeSlice(
      'kube-system',
      'kube-dns',
      [
        { ip: '10.244.0.3', node: 'test-node' },
        { ip: '10.244.1.4', node: 'node2' },
      ],
      [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53 },
      ],
    ),
    makeSlice(
      'web',
      'front',
      [
        { ip: '10.244.1.20', node: 'node2' },
        { ip: '10.244.0.21', node: 'test-node' },
      ],
      [{ name: 'http', port: 8080 }],
    ),
    makeSlice(
      'web',
      'shop',
      [
        { ip: '10.244.0.30', node: 'test-node' },
        { ip: '10.244.1.31', node: 'node2' },
      ],
      [{ name: 'https', port: 8443 }],
    ),
    ...extra,
  ]);
}
