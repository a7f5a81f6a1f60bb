// A small hand-built cluster (as a Kubernetes List) whose DNS answers are checked by hand.
import { clusterFromObjects } from '../../src/cluster/k8s-io.ts';
import type { Cluster } from '../../src/cluster/model.ts';

const svc = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec,
});
const ep = (ip: string, extra: Record<string, unknown> = {}) => ({ addresses: [ip], conditions: { ready: true }, ...extra });
const slice = (ns: string, service: string, ports: unknown[], endpoints: unknown[]) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports,
  endpoints,
});

export function fixtureItems(): object[] {
  return [
    svc('kube-system', 'kube-dns', {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    }),
    // app/web: ClusterIP, two named ports, two ready endpoints (pods known through targetRef).
    svc('app', 'web', {
      type: 'ClusterIP',
      clusterIP: '10.96.0.20',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
    }),
    slice(
      'app',
      'web',
      [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'metrics', port: 9090, protocol: 'TCP' },
      ],
      [
        ep('10.244.1.5', { targetRef: { kind: 'Pod', name: 'web-1', namespace: 'app' } }),
        ep('10.244.2.6', { targetRef: { kind: 'Pod', name: 'web-2', namespace: 'app' } }),
      ],
    ),
    // app/db: headless; three ready endpoints (two with hostnames), one not ready.
    svc('app', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
    slice(
      'app',
      'db',
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      [
        ep('10.244.1.7', { hostname: 'db-0' }),
        ep('10.244.2.8', { hostname: 'db-1' }),
        ep('10.244.3.9'),
        { addresses: ['10.244.3.10'], hostname: 'db-3', conditions: { ready: false } },
      ],
    ),
    // app/peers: headless with publishNotReadyAddresses.
    svc('app', 'peers', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'gossip', port: 7946, protocol: 'UDP' }] }),
    slice(
      'app',
      'peers',
      [{ name: 'gossip', port: 7946, protocol: 'UDP' }],
      [ep('10.244.1.11'), { addresses: ['10.244.1.12'], conditions: { ready: false } }],
    ),
    // app/empty: headless, no endpoints.
    svc('app', 'empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }] }),
    // ExternalName services: one outside the cluster, one aliasing a service.
    svc('app', 'ext', { type: 'ExternalName', externalName: 'api.example.org' }),
    svc('app', 'alias', { type: 'ExternalName', externalName: 'web.app.svc.cluster.local' }),
    // other/web: same service name in another namespace.
    svc('other', 'web', { type: 'ClusterIP', clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
  ];
}

export function fixtureList(): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: fixtureItems() });
}

export function fixtureCluster(): Cluster {
  return clusterFromObjects([{ apiVersion: 'v1', kind: 'List', items: fixtureItems() }], 'fixture.json').cluster;
}
