// A small hand-built cluster for the journey tests: three nodes, cluster DNS, and one service
// per situation (ClusterIP across nodes, NodePort with each externalTrafficPolicy, a service
// whose only endpoint is the client itself).
import { clusterFromObjects } from '../../src/cluster/k8s-io.ts';
import type { Cluster } from '../../src/cluster/model.ts';

export const NODE_A = { name: 'node-a', ip: '192.168.0.10', podCIDR: '10.244.0.0/24' };
export const NODE_B = { name: 'node-b', ip: '192.168.0.11', podCIDR: '10.244.1.0/24' };
export const NODE_C = { name: 'node-c', ip: '192.168.0.12', podCIDR: '10.244.2.0/24' };

export const KUBE_DNS_VIP = '10.96.0.10';
export const COREDNS = ['10.244.1.2', '10.244.2.2'];
/** ns app: web (ClusterIP, endpoint on node-b). */
export const WEB = { vip: '10.96.0.20', port: 80, endpoint: '10.244.1.5', targetPort: 8080 };
/** NodePort, externalTrafficPolicy Cluster, endpoint on node-b. */
export const NP_CLUSTER = { vip: '10.96.0.30', port: 80, nodePort: 30080, endpoint: '10.244.1.6' };
/** NodePort, externalTrafficPolicy Local, endpoint on node-b. */
export const NP_LOCAL = { vip: '10.96.0.31', port: 80, nodePort: 30081, endpoint: '10.244.1.7' };
/** ClusterIP whose only endpoint is SELF_POD on node-a (hairpin). */
export const SELF = { vip: '10.96.0.40', port: 80, endpoint: '10.244.0.5' };
export const SELF_POD = '10.244.0.5';
/** The client pod: namespace app, node-a. */
export const CLIENT_POD = '10.244.0.9';
export const EXTERNAL_CLIENT = '203.0.113.7';

const node = (n: typeof NODE_A) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } },
  spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
  status: {
    addresses: [
      { type: 'InternalIP', address: n.ip },
      { type: 'Hostname', address: n.name },
    ],
  },
});

const service = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec,
});

const slice = (ns: string, svc: string, eps: [ip: string, node: string][], ports: { name: string; port: number; protocol?: string }[]) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  addressType: 'IPv4',
  metadata: { name: `${svc}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  endpoints: eps.map(([ip, n]) => ({ addresses: [ip], nodeName: n, conditions: { ready: true, serving: true, terminating: false } })),
  ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
});

const pod = (ns: string, name: string, ip: string, nodeName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { nodeName },
  status: { podIP: ip },
});

export function journeyCluster(): Cluster {
  const items = [
    node(NODE_A),
    node(NODE_B),
    node(NODE_C),
    service('kube-system', 'kube-dns', {
      type: 'ClusterIP',
      clusterIP: KUBE_DNS_VIP,
      clusterIPs: [KUBE_DNS_VIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    }),
    slice(
      'kube-system',
      'kube-dns',
      [
        [COREDNS[0], NODE_B.name],
        [COREDNS[1], NODE_C.name],
      ],
      [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53 },
      ],
    ),
    service('app', 'web', {
      type: 'ClusterIP',
      clusterIP: WEB.vip,
      ports: [{ name: 'http', port: WEB.port, protocol: 'TCP', targetPort: WEB.targetPort }],
    }),
    slice('app', 'web', [[WEB.endpoint, NODE_B.name]], [{ name: 'http', port: WEB.targetPort }]),
    service('app', 'np-cluster', {
      type: 'NodePort',
      clusterIP: NP_CLUSTER.vip,
      externalTrafficPolicy: 'Cluster',
      ports: [{ name: 'http', port: NP_CLUSTER.port, protocol: 'TCP', nodePort: NP_CLUSTER.nodePort }],
    }),
    slice('app', 'np-cluster', [[NP_CLUSTER.endpoint, NODE_B.name]], [{ name: 'http', port: NP_CLUSTER.port }]),
    service('app', 'np-local', {
      type: 'NodePort',
      clusterIP: NP_LOCAL.vip,
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'http', port: NP_LOCAL.port, protocol: 'TCP', nodePort: NP_LOCAL.nodePort }],
    }),
    slice('app', 'np-local', [[NP_LOCAL.endpoint, NODE_B.name]], [{ name: 'http', port: NP_LOCAL.port }]),
    service('app', 'self', { type: 'ClusterIP', clusterIP: SELF.vip, ports: [{ name: 'http', port: SELF.port, protocol: 'TCP' }] }),
    slice('app', 'self', [[SELF.endpoint, NODE_A.name]], [{ name: 'http', port: SELF.port }]),
    pod('app', 'client', CLIENT_POD, NODE_A.name),
    pod('app', 'self-0', SELF_POD, NODE_A.name),
  ];
  return clusterFromObjects([{ kind: 'List', items }], '(journey test)').cluster;
}
