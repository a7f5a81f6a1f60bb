// The API state the churn acts on, as counts: every proxied Service with its endpoints by
// condition (ready, not ready, terminating), in typed arrays so 50,000 services and their
// changes cost little. Each service has a shape: what kube-proxy builds per service port
// that does not depend on the endpoints (ports, virtual IPs, NodePorts, traffic policies).
import type { Cluster } from '../cluster/model.ts';
import { buildServiceMap, nodeView, type ServicePortInfo } from '../proxy/service-map.ts';

export interface ServiceShape {
  /** Key of the iptables line table: everything but the endpoints that changes the rules of a port. */
  key: string;
  /** Service ports kube-proxy proxies. */
  ports: number;
  /** IPVS virtual servers over all ports: cluster IP, external IPs, LB IPs, a NodePort per node IP. */
  virtualServers: number;
  /** IPVS ipset members that do not depend on endpoints (cluster IP, NodePort, LB, external IP sets). */
  ipsetEntries: number;
  /** Userspace proxy: sockets opened (a proxy port per service port, plus each NodePort held open). */
  proxyPorts: number;
  /**
   * Userspace proxy: portal rules (a KUBE-PORTALS-CONTAINER and a KUBE-PORTALS-HOST rule per
   * cluster or LB IP, three per external IP, KUBE-NODEPORT-CONTAINER/HOST and
   * KUBE-NODEPORT-NON-LOCAL per NodePort), as src/proxy/userspace/rules.ts writes them.
   */
  portalRules: number;
}

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system']);

/** Per-port shape key: type-defining fields of ServicePortInfo (endpoints excluded). */
export function portShapeKey(sp: ServicePortInfo): string {
  return [
    sp.nodePort !== 0 ? 'np' : '-',
    sp.sessionAffinity === 'ClientIP' ? 'aff' : '-',
    sp.externalPolicyLocal ? 'el' : '-',
    sp.internalPolicyLocal ? 'il' : '-',
    sp.externalIPs.length,
    sp.loadBalancerVIPs.length,
    sp.loadBalancerSourceRanges.length,
    sp.healthCheckNodePort !== 0 ? 'hc' : '-',
  ].join(':');
}

export function shapeOf(ports: ServicePortInfo[], nodeIPs: number): ServiceShape {
  let virtualServers = 0;
  let ipsetEntries = 0;
  let proxyPorts = 0;
  let portalRules = 0;
  for (const sp of ports) {
    const vips = 1 + sp.externalIPs.length + sp.loadBalancerVIPs.length;
    virtualServers += vips + (sp.nodePort !== 0 ? nodeIPs : 0);
    ipsetEntries += vips + (sp.nodePort !== 0 ? 1 : 0);
    proxyPorts += 1 + (sp.nodePort !== 0 ? 1 : 0);
    portalRules += 2 * (1 + sp.loadBalancerVIPs.length) + 3 * sp.externalIPs.length + (sp.nodePort !== 0 ? 3 : 0);
  }
  return {
    key: ports.length > 0 ? portShapeKey(ports[0]) : '',
    ports: ports.length,
    virtualServers,
    ipsetEntries,
    proxyPorts,
    portalRules,
  };
}

export class ServiceTable {
  readonly keys: string[] = [];
  readonly byKey = new Map<string, number>();
  readonly shapes: ServiceShape[] = [];
  private readonly shapeIds = new Map<string, number>();
  shape: Int32Array;
  ready: Int32Array;
  notReady: Int32Array;
  terminating: Int32Array;
  alive: Uint8Array;
  /** Random churn may pick it (user services; not default/ or kube-system/). */
  pickable: Uint8Array;
  count = 0;
  /** Alive pickable services, densely, for O(1) uniform picks and removals. */
  private list: Int32Array;
  private pos: Int32Array;
  pickableCount = 0;
  /** Shapes of the initial user services, one entry per service: new services copy one. */
  readonly templates: number[] = [];

  constructor(capacity: number) {
    this.shape = new Int32Array(capacity);
    this.ready = new Int32Array(capacity);
    this.notReady = new Int32Array(capacity);
    this.terminating = new Int32Array(capacity);
    this.alive = new Uint8Array(capacity);
    this.pickable = new Uint8Array(capacity);
    this.list = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
  }

  /** Endpoints kube-proxy programs: the ready ones, or the serving terminating ones when none is ready. */
  programmed(s: number): number {
    return this.ready[s] > 0 ? this.ready[s] : this.terminating[s];
  }

  shapeId(shape: ServiceShape): number {
    let id = this.shapeIds.get(shape.key + '#' + shape.ports + '#' + shape.virtualServers);
    if (id === undefined) {
      id = this.shapes.length;
      this.shapes.push(shape);
      this.shapeIds.set(shape.key + '#' + shape.ports + '#' + shape.virtualServers, id);
    }
    return id;
  }

  ensureCapacity(n: number): void {
    if (n <= this.shape.length) return;
    const grow = <T extends Int32Array | Uint8Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as { new (n: number): T })(n);
      b.fill(fill as never);
      b.set(a);
      return b;
    };
    this.shape = grow(this.shape);
    this.ready = grow(this.ready);
    this.notReady = grow(this.notReady);
    this.terminating = grow(this.terminating);
    this.alive = grow(this.alive);
    this.pickable = grow(this.pickable);
    this.list = grow(this.list);
    this.pos = grow(this.pos, -1);
  }

  add(key: string, shapeId: number, ready: number, notReady: number, terminating: number, pickable: boolean): number {
    this.ensureCapacity(this.count + 1);
    const s = this.count++;
    this.keys.push(key);
    this.byKey.set(key, s);
    this.shape[s] = shapeId;
    this.ready[s] = ready;
    this.notReady[s] = notReady;
    this.terminating[s] = terminating;
    this.alive[s] = 1;
    this.pickable[s] = pickable ? 1 : 0;
    if (pickable) {
      this.pos[s] = this.pickableCount;
      this.list[this.pickableCount++] = s;
    }
    return s;
  }

  kill(s: number): void {
    this.alive[s] = 0;
    const p = this.pos[s];
    if (p >= 0) {
      const last = this.list[--this.pickableCount];
      this.list[p] = last;
      this.pos[last] = p;
      this.pos[s] = -1;
    }
  }

  pickAt(i: number): number {
    return this.list[i];
  }

  copy(): ServiceTable {
    const t = new ServiceTable(this.shape.length);
    (t.keys as string[]).push(...this.keys);
    for (const [k, v] of this.byKey) t.byKey.set(k, v);
    t.shapes.push(...this.shapes);
    for (const [k, v] of this.shapeIds) t.shapeIds.set(k, v);
    t.templates.push(...this.templates);
    t.shape.set(this.shape);
    t.ready.set(this.ready);
    t.notReady.set(this.notReady);
    t.terminating.set(this.terminating);
    t.alive.set(this.alive);
    t.pickable.set(this.pickable);
    t.list.set(this.list);
    t.pos.set(this.pos);
    t.count = this.count;
    t.pickableCount = this.pickableCount;
    return t;
  }
}

export interface InitialServices {
  table: ServiceTable;
  /** Service ports by service index, as kube-proxy's service map has them for the node. */
  ports: ServicePortInfo[][];
  nodeName: string;
}

/** The cluster's proxied services (headless and ExternalName ones get no rules and are left out). */
export function servicesFromCluster(cluster: Cluster, nodeName: string): InitialServices {
  const view = nodeView(cluster, nodeName);
  const byService = new Map<string, ServicePortInfo[]>();
  for (const sp of buildServiceMap(cluster, view)) {
    const key = `${sp.namespace}/${sp.serviceName}`;
    let list = byService.get(key);
    if (!list) byService.set(key, (list = []));
    list.push(sp);
  }
  const table = new ServiceTable(byService.size + 16);
  const ports: ServicePortInfo[][] = [];
  for (const [key, list] of byService) {
    let ready = 0;
    let notReady = 0;
    let terminating = 0;
    for (const ep of list[0].endpoints) {
      if (ep.ready) ready++;
      else if (ep.serving && ep.terminating) terminating++;
      else notReady++;
    }
    const pickable = !SYSTEM_NAMESPACES.has(list[0].namespace);
    const shapeId = table.shapeId(shapeOf(list, view.addresses.length));
    table.add(key, shapeId, ready, notReady, terminating, pickable);
    if (pickable) table.templates.push(shapeId);
    ports.push(list);
  }
  return { table, ports, nodeName: view.name };
}
