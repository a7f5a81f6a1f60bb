// The API state the churn acts on, as counts: every proxied Service with its endpoints by
// condition (ready, not ready, terminating), in typed arrays so 50,000 services and their
// changes cost little. Each service has a shape: what kube-proxy builds per service port
// that does not depend on the endpoints (ports, virtual IPs, NodePorts, traffic policies),
// with a template service of the cluster that work-model.ts programs into real data planes.
import type { Cluster } from '../cluster/model.ts';
import { buildServiceMap, nodeView, type ServicePortInfo } from '../proxy/service-map.ts';

export interface ServiceShape {
  /** Everything of a service but its endpoints that changes what a proxy mode programs for it. */
  key: string;
  /** Service ports kube-proxy proxies. */
  ports: number;
  /** Index in the initial cluster's services of the service this shape was first seen on (its template). */
  template: number;
}

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system']);

/** Per-port shape key: the fields of ServicePortInfo that shape a port's rules (endpoints excluded). */
export function portShapeKey(sp: ServicePortInfo): string {
  return [
    sp.protocol,
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
    let id = this.shapeIds.get(shape.key);
    if (id === undefined) {
      id = this.shapes.length;
      this.shapes.push(shape);
      this.shapeIds.set(shape.key, id);
    }
    return id;
  }

  ensureCapacity(n: number): void {
    if (n <= this.shape.length) return;
    const grow = <T extends Int32Array | Uint8Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as { new (n: number): T })(n);
      b.fill(fill);
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
    t.keys.push(...this.keys);
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
  const index = new Map(cluster.services.map((svc, i) => [`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`, i]));
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
    const shapeId = table.shapeId({ key: list.map(portShapeKey).join('|'), ports: list.length, template: index.get(key)! });
    table.add(key, shapeId, ready, notReady, terminating, pickable);
    if (pickable) table.templates.push(shapeId);
    ports.push(list);
  }
  return { table, ports, nodeName: view.name };
}
