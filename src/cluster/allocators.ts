// Address and port allocators, with the reservations the real controllers make.
import type { Rng } from '../engine/rng.ts';
import { type Cidr, cidrSize, formatCidr, formatIPv4, prefixToMask } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';

/**
 * ClusterIPs from the service CIDR. Like the apiserver's bitmap allocator it never hands out the
 * network or broadcast address, and it keeps the first address for kubernetes.default
 * (pkg/controlplane: the "kubernetes" Service gets the first IP of the range).
 */
export class ClusterIPAllocator {
  private readonly used = new Set<number>();
  readonly first: number;
  readonly last: number;

  constructor(
    readonly cidr: Cidr,
    private readonly rng: Rng,
  ) {
    this.first = cidr.addr + 1;
    this.last = cidr.addr + cidrSize(cidr) - 2;
    if (this.last < this.first + 1) throw new InputError(`service CIDR ${formatCidr(cidr)} is too small`, undefined, 'cluster.serviceCIDR');
  }

  /** The address reserved for kubernetes.default. */
  kubernetesIP(): number {
    return this.first;
  }

  reserve(ip: number, owner: string): void {
    if (ip < this.first || ip > this.last)
      throw new InputError(
        `${formatIPv4(ip)} is outside the service CIDR ${formatCidr(this.cidr)}`,
        undefined,
        `${owner}.spec.clusterIP`,
        formatIPv4(ip),
      );
    if (this.used.has(ip)) throw new InputError('clusterIP already allocated', undefined, `${owner}.spec.clusterIP`, formatIPv4(ip));
    this.used.add(ip);
  }

  /** A random free address (the apiserver also allocates at random), never the kubernetes.default one. */
  allocate(): number {
    const capacity = this.last - this.first; // excludes kubernetes.default
    if (this.used.size - (this.used.has(this.first) ? 1 : 0) >= capacity) {
      throw new InputError(`service CIDR ${formatCidr(this.cidr)} is exhausted (${capacity} addresses)`, undefined, 'services');
    }
    for (;;) {
      const ip = this.rng.int(this.first + 1, this.last + 1);
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
  }
}

/** NodePorts from --service-node-port-range, random and never twice. */
export class NodePortAllocator {
  private readonly used = new Set<number>();

  constructor(
    readonly min: number,
    readonly max: number,
    private readonly rng: Rng,
  ) {}

  get capacity(): number {
    return this.max - this.min + 1;
  }

  allocate(): number {
    if (this.used.size >= this.capacity) {
      throw new InputError(
        `NodePort range ${this.min}-${this.max} is exhausted (${this.capacity} ports): lower the NodePort/LoadBalancer share or ports per service`,
        undefined,
        'serviceTypes',
      );
    }
    for (;;) {
      const p = this.rng.int(this.min, this.max + 1);
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
  }
}

/** Carves node pod CIDRs out of the cluster CIDR, in order, as the node IPAM controller does. */
export function podCIDRFor(cluster: Cidr, maskSize: number, index: number): Cidr {
  const count = 2 ** (maskSize - cluster.prefix);
  if (index >= count) {
    throw new InputError(
      `cluster CIDR ${formatCidr(cluster)} has room for ${count} node pod CIDRs of /${maskSize}; node ${index + 1} does not fit`,
      undefined,
      'nodes',
      index + 1,
    );
  }
  const addr = (cluster.addr + index * 2 ** (32 - maskSize)) >>> 0;
  return { addr, mask: prefixToMask(maskSize), prefix: maskSize };
}

/**
 * Pod IPs inside one node's pod CIDR: host-local IPAM skips the network address and the
 * bridge gateway (.1) and never uses the broadcast address; kubelet's maxPods caps the count.
 */
export class PodIPAllocator {
  private next = 2;
  readonly capacity: number;

  constructor(
    readonly podCidr: Cidr,
    maxPods: number,
  ) {
    this.capacity = Math.min(maxPods, cidrSize(podCidr) - 3);
  }

  get used(): number {
    return this.next - 2;
  }

  get full(): boolean {
    return this.used >= this.capacity;
  }

  allocate(): number {
    if (this.full) throw new Error(`pod CIDR ${formatCidr(this.podCidr)} is full`);
    return (this.podCidr.addr + this.next++) >>> 0;
  }
}
