// Turns a scenario (at one scale point) into a cluster. Every random choice comes from the
// scenario's seed, in a fixed order, so the same seed gives the same cluster byte for byte.
import { AliasTable, makeIntSampler } from '../engine/distributions.ts';
import { Rng } from '../engine/rng.ts';
import { ClusterIPAllocator, NodePortAllocator, PodIPAllocator, podCIDRFor } from '../cluster/allocators.ts';
import { type ClusterConfig, DEFAULT_CONFIG, checkConfig, parsePortRange } from '../cluster/config.ts';
import {
  type Endpoint,
  type EndpointSlice,
  MAX_ENDPOINTS_PER_SLICE,
  type Node,
  type Protocol,
  type Service,
  type ServicePort,
  SERVICE_NAME_LABEL,
} from '../cluster/k8s-types.ts';
import { type Cluster, podsFromSlices } from '../cluster/model.ts';
import { formatCidr, formatIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { type Scenario, SERVICE_KINDS, type ServiceKind } from './schema.ts';

/** The alphabet of Kubernetes' generateName suffixes (k8s.io/apimachinery/pkg/util/rand). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const ZONES = 'abcdefghijklmnopqrstuvwxyz';
// One string and one conditions object shared by every endpoint that has them: 10^6 endpoints
// would otherwise carry ~70 MB of copies. Frozen: the cluster is read, never edited in place.
const ZONE_NAMES = Array.from(ZONES, (c) => `zone-${c}`);
const CONDITIONS = [false, true].flatMap((ready) =>
  [false, true].map((terminating) => Object.freeze({ ready, serving: ready || terminating, terminating })),
);
/** Ports a generated Service exposes, in order (first port 80, then 443, ...). */
const SERVICE_PORTS = [80, 443, 8080, 8443, 9090, 9100, 5432, 6379, 3306, 27017];
/** kubeadm gives kube-dns the tenth address of the service CIDR (10.96.0.10 by default). */
const KUBE_DNS_OFFSET = 10;
const COREDNS_REPLICAS = 2;

export function scenarioConfig(s: Scenario): ClusterConfig {
  const o = s.cluster;
  const config: ClusterConfig = {
    ...DEFAULT_CONFIG,
    ...(o as Partial<ClusterConfig>),
    nodePortRange: o.nodePortRange ? parsePortRange(o.nodePortRange, s.file, 'cluster.nodePortRange') : { ...DEFAULT_CONFIG.nodePortRange },
  };
  return config;
}

/** The scale points a scenario describes (a single number is one point). */
export function scenarioScales(s: Scenario): number[] {
  return Array.isArray(s.services) ? s.services : [s.services];
}

export function generateCluster(s: Scenario, services: number): Cluster {
  const config = scenarioConfig(s);
  const cidrs = checkConfig(config, s.file, 'cluster');
  const root = new Rng(s.seed);
  const ctx = new GenContext(s, config, root);

  const nodes = ctx.makeNodes(cidrs.cluster, cidrs.nodeNetwork.addr);
  const ipAlloc = new ClusterIPAllocator(cidrs.service, root.fork('cluster-ips'));
  const portAlloc = new NodePortAllocator(config.nodePortRange.min, config.nodePortRange.max, root.fork('node-ports'));
  const out: { services: Service[]; slices: EndpointSlice[] } = { services: [], slices: [] };
  if (s.systemServices) ctx.systemServices(ipAlloc, out);
  ctx.userServices(services, ipAlloc, portAlloc, cidrs.loadBalancer.addr, out);
  return {
    config,
    nodes,
    namespaces: [],
    services: out.services,
    endpointSlices: out.slices,
    pods: podsFromSlices(out.slices),
  };
}

/**
 * The cluster at `services` and at `services + 1`, generated once. User services are drawn one
 * after another from streams that do not depend on the count, so the smaller cluster is the larger
 * one without its last service, that service's slices (the last ones) and their pods (the last
 * ones). The two share every object: a sweep point holds one cluster's memory, not two.
 */
export function generateWithOneMore(s: Scenario, services: number): { cluster: Cluster; plusOne: Cluster } {
  const plusOne = generateCluster(s, services + 1);
  const last = plusOne.services[plusOne.services.length - 1];
  const ns = last.metadata.namespace;
  const name = last.metadata.name;
  const ofLast = (sl: EndpointSlice) => sl.metadata.namespace === ns && sl.metadata.labels?.[SERVICE_NAME_LABEL] === name;
  let slices = plusOne.endpointSlices.length;
  const gone = new Set<string>();
  while (slices > 0 && ofLast(plusOne.endpointSlices[slices - 1]))
    for (const ep of plusOne.endpointSlices[--slices].endpoints ?? []) if (ep.targetRef?.name) gone.add(ep.targetRef.name);
  let pods = plusOne.pods.length;
  while (pods > 0 && plusOne.pods[pods - 1].namespace === ns && gone.has(plusOne.pods[pods - 1].name)) pods--;
  const cluster: Cluster = {
    ...plusOne,
    services: plusOne.services.slice(0, -1),
    endpointSlices: plusOne.endpointSlices.slice(0, slices),
    pods: plusOne.pods.slice(0, pods),
  };
  return { cluster, plusOne };
}

class GenContext {
  private readonly nodeAllocs: PodIPAllocator[] = [];
  private readonly nodeNames: string[] = [];
  private readonly nodeIPs: number[] = [];
  private readonly nameRng: Rng;
  private readonly placeRng: Rng;

  constructor(
    readonly s: Scenario,
    readonly config: ClusterConfig,
    readonly root: Rng,
  ) {
    this.nameRng = root.fork('names');
    this.placeRng = root.fork('placement');
  }

  makeNodes(cluster: ReturnType<typeof checkConfig>['cluster'], nodeNetBase: number): Node[] {
    const nodes: Node[] = [];
    for (let i = 0; i < this.s.nodes; i++) {
      const name = `node-${i + 1}`;
      const podCidr = podCIDRFor(cluster, this.config.nodeCIDRMaskSize, i);
      const zone = ZONE_NAMES[i % this.s.zones];
      nodes.push({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': zone } },
        spec: { podCIDR: formatCidr(podCidr), podCIDRs: [formatCidr(podCidr)] },
        status: {
          addresses: [
            { type: 'InternalIP', address: formatIPv4(nodeNetBase + 10 + i) },
            { type: 'Hostname', address: name },
          ],
        },
      });
      this.nodeAllocs.push(new PodIPAllocator(podCidr, this.config.maxPodsPerNode));
      this.nodeNames.push(name);
      this.nodeIPs.push(nodeNetBase + 10 + i);
    }
    return nodes;
  }

  systemServices(ipAlloc: ClusterIPAllocator, out: { services: Service[]; slices: EndpointSlice[] }): void {
    const apiIP = ipAlloc.kubernetesIP();
    ipAlloc.reserve(apiIP, 'Service default/kubernetes');
    out.services.push(
      service(
        'default',
        'kubernetes',
        {
          type: 'ClusterIP',
          clusterIP: formatIPv4(apiIP),
          clusterIPs: [formatIPv4(apiIP)],
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
          sessionAffinity: 'None',
        },
        { component: 'apiserver', provider: 'kubernetes' },
      ),
    );
    out.slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { [SERVICE_NAME_LABEL]: 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [formatIPv4(this.nodeIPs[0])], conditions: { ready: true, serving: true, terminating: false } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
    const dnsIP = ipAlloc.cidr.addr + KUBE_DNS_OFFSET;
    ipAlloc.reserve(dnsIP, 'Service kube-system/kube-dns');
    const dnsPorts: ServicePort[] = [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
    ];
    out.services.push(
      service(
        'kube-system',
        'kube-dns',
        {
          type: 'ClusterIP',
          clusterIP: formatIPv4(dnsIP),
          clusterIPs: [formatIPv4(dnsIP)],
          ports: dnsPorts,
          selector: { 'k8s-app': 'kube-dns' },
          sessionAffinity: 'None',
        },
        { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
      ),
    );
    const endpoints = Array.from({ length: COREDNS_REPLICAS }, () => this.endpoint('kube-system', 'coredns', true, false));
    this.pushSlices('kube-system', 'kube-dns', endpoints, dnsPorts, out.slices);
  }

  userServices(
    count: number,
    ipAlloc: ClusterIPAllocator,
    portAlloc: NodePortAllocator,
    lbBase: number,
    out: { services: Service[]; slices: EndpointSlice[] },
  ): void {
    const s = this.s;
    const svcRng = this.root.fork('services');
    const epRng = this.root.fork('endpoints');
    const kinds = SERVICE_KINDS.filter((k) => (s.serviceTypes[k] ?? 0) > 0);
    const kindTable = new AliasTable(kinds.map((k) => s.serviceTypes[k] as number));
    const protos = (['TCP', 'UDP', 'SCTP'] as const).filter((p) => (s.protocols[p] ?? 0) > 0);
    const protoTable = new AliasTable(protos.map((p) => s.protocols[p] as number));
    const endpointCount = makeIntSampler(s.endpointsPerService, epRng);
    const portCount = makeIntSampler(s.portsPerService, svcRng);
    let lbNext = 1;
    for (let i = 0; i < count; i++) {
      const ns = `ns-${(i % s.namespaces) + 1}`;
      const name = `svc-${i + 1}`;
      const kind: ServiceKind = kinds[kindTable.sample(svcRng)];
      const nPorts = Math.max(1, Math.min(SERVICE_PORTS.length, portCount()));
      const ports: ServicePort[] = [];
      for (let j = 0; j < nPorts; j++) {
        const port = SERVICE_PORTS[j];
        const protocol: Protocol = protos[protoTable.sample(svcRng)];
        ports.push({ name: `p${port}`, port, protocol, targetPort: port < 1024 ? port + 8000 : port });
      }
      const affinity = svcRng.next() < s.sessionAffinity;
      const localExternal = svcRng.next() < s.externalTrafficPolicyLocal;
      const localInternal = svcRng.next() < s.internalTrafficPolicyLocal;
      const spec: Service['spec'] = { type: kind === 'Headless' ? 'ClusterIP' : kind };
      let status: Service['status'];
      if (kind === 'ExternalName') {
        spec.externalName = `${name}.example.com`;
        spec.ports = ports;
      } else {
        const ip = kind === 'Headless' ? 'None' : formatIPv4(ipAlloc.allocate());
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
        spec.ports = ports;
        spec.selector = { app: name };
        spec.sessionAffinity = affinity ? 'ClientIP' : 'None';
        if (affinity) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
        spec.internalTrafficPolicy = localInternal ? 'Local' : 'Cluster';
        if (kind === 'NodePort' || kind === 'LoadBalancer') {
          for (const p of ports) p.nodePort = portAlloc.allocate();
          spec.externalTrafficPolicy = localExternal ? 'Local' : 'Cluster';
          if (kind === 'LoadBalancer' && localExternal) spec.healthCheckNodePort = portAlloc.allocate();
        }
        if (kind === 'LoadBalancer') {
          status = { loadBalancer: { ingress: [{ ip: formatIPv4(lbBase + lbNext++), ipMode: 'VIP' }] } };
        }
      }
      const svc = service(ns, name, spec, { app: name });
      if (status) svc.status = status;
      out.services.push(svc);
      if (kind === 'ExternalName') continue;
      const n = endpointCount();
      const endpoints: Endpoint[] = [];
      const { notReady, terminating } = s.endpointConditions;
      for (let k = 0; k < n; k++) {
        const u = epRng.next();
        endpoints.push(this.endpoint(ns, name, u >= notReady + terminating, u < terminating));
      }
      this.pushSlices(ns, name, endpoints, ports, out.slices);
    }
  }

  /** A pod for `svc` on a random node with room, as its endpoint. */
  endpoint(ns: string, svc: string, ready: boolean, terminating: boolean): Endpoint {
    const nodes = this.nodeAllocs.length;
    let n = this.placeRng.int(0, nodes);
    for (let tries = 0; this.nodeAllocs[n].full; tries++) {
      if (tries >= nodes) {
        const cap = this.nodeAllocs[0].capacity;
        throw new InputError(
          `no room for more pods: ${nodes} nodes x ${cap} pods each are all used; add nodes or lower endpointsPerService`,
          this.s.file,
          'nodes',
          this.s.nodes,
        );
      }
      n = (n + 1) % nodes;
    }
    const ip = formatIPv4(this.nodeAllocs[n].allocate());
    const podName = this.suffixedName(svc, 10, 5);
    return {
      addresses: [ip],
      conditions: CONDITIONS[(+ready << 1) | +terminating],
      nodeName: this.nodeNames[n],
      targetRef: { kind: 'Pod', name: podName, namespace: ns },
      zone: ZONE_NAMES[n % this.s.zones],
    };
  }

  pushSlices(ns: string, svc: string, endpoints: Endpoint[], ports: ServicePort[], slices: EndpointSlice[]): void {
    const slicePorts = ports.map((p) => ({
      name: p.name,
      port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
      protocol: p.protocol ?? 'TCP',
    }));
    // The EndpointSlice controller writes a slice even for a Service with no endpoints.
    for (let start = 0; start === 0 || start < endpoints.length; start += MAX_ENDPOINTS_PER_SLICE) {
      slices.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: this.suffixedName(svc, 5),
          namespace: ns,
          labels: { [SERVICE_NAME_LABEL]: svc, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        },
        addressType: 'IPv4',
        endpoints: endpoints.slice(start, start + MAX_ENDPOINTS_PER_SLICE),
        ports: slicePorts,
      });
    }
  }

  /**
   * `${prefix}-${random}-...`, a random generateName-style suffix of each length, as one flat
   * string: a string built by concatenation keeps its parts (~100 B more per pod at 10^6 pods).
   */
  suffixedName(prefix: string, ...lens: number[]): string {
    nameCodes.length = 0;
    for (let i = 0; i < prefix.length; i++) nameCodes.push(prefix.charCodeAt(i));
    for (const len of lens) {
      nameCodes.push(45); // '-'
      for (let i = 0; i < len; i++) nameCodes.push(NAME_ALPHABET.charCodeAt(this.nameRng.int(0, NAME_ALPHABET.length)));
    }
    return String.fromCharCode(...nameCodes);
  }
}

const nameCodes: number[] = [];

function service(namespace: string, name: string, spec: Service['spec'], labels: Record<string, string>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels }, spec };
}
