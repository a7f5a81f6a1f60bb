// How many queries CoreDNS answers and how long they take under load.
//
// Calibration (published-figures.json, entry `coredns-scaling`, from coredns/deployment
// kubernetes/Scaling_CoreDNS.md): one CoreDNS instance on a 2-vCPU node answers 33,669 queries/s
// for internal names, CPU bound (both vCPUs pegged). External names with ndots:5 and a 4-domain
// search list reach 6,733 lookups/s because each lookup is 5 queries (6,733 × 5 = 33,665: the
// same server-side rate). With autopath they reach 31,428 lookups/s: one client query plus
// server-side search steps that cost a little each.
//
// Queueing model: each replica is an M/M/c queue with c = its vCPUs and per-core service rate
// μ = qpsPerReplica / c (mean service time 1/μ = 2 / 33,669 s ≈ 59.4 µs). kube-proxy spreads
// queries over the replicas at random, so each replica sees λ = offered / replicas (a random
// split of a Poisson stream is Poisson). With a = λ/μ and ρ = a/c:
//   Erlang B:  B(0) = 1,  B(k) = a·B(k-1) / (k + a·B(k-1))
//   Erlang C:  P(wait) = c·B(c) / (c − a·(1 − B(c)))
//   mean wait  Wq = P(wait) / (c·μ − λ);  mean response time  W = 1/μ + Wq
// For ρ ≥ 1 the queue grows without bound: Wq = Infinity (a simulator should then model drops and
// the client's 5 s retry timeout itself). Service times of a DNS server are closer to constant
// than exponential, so M/M/c overstates the wait (M/D/c waits about half as long near
// saturation); it is the conservative choice.

/** coredns-scaling: max queries/s of one CoreDNS instance (2 vCPU), internal names. */
export const COREDNS_QPS_PER_REPLICA = 33669;
/** coredns-scaling: the instance had 2 vCPUs (GCE n1-standard-2). */
export const COREDNS_VCPUS_PER_REPLICA = 2;
/** coredns-scaling: external-name lookups/s with ndots:5 and 4 search domains (5 queries each). */
export const COREDNS_EXTERNAL_LOOKUPS_PER_S = 6733;
/** coredns-scaling: external-name lookups/s with autopath. */
export const COREDNS_AUTOPATH_EXTERNAL_LOOKUPS_PER_S = 31428;
/**
 * Cost of one server-side autopath step, in queries (derived from coredns-scaling): an autopath
 * lookup costs 33,669 / 31,428 ≈ 1.071 queries of CPU, spread over the 4 extra search-path steps
 * the external lookup walks, so ≈ 0.0178 per step.
 */
export const AUTOPATH_STEP_COST = (COREDNS_QPS_PER_REPLICA / COREDNS_AUTOPATH_EXTERNAL_LOOKUPS_PER_S - 1) / 4;
/** The CoreDNS Deployment's default replica count. */
export const COREDNS_DEFAULT_REPLICAS = 2;

const NS_PER_S = 1e9;

/** Erlang C: probability that an arrival waits in an M/M/c queue with `a` Erlangs offered. */
export function erlangC(servers: number, offeredErlangs: number): number {
  if (!Number.isInteger(servers) || servers < 1) throw new Error(`erlangC: servers must be a positive integer, got ${servers}`);
  const a = offeredErlangs;
  if (!(a >= 0)) throw new Error(`erlangC: offered load must be >= 0, got ${a}`);
  if (a === 0) return 0;
  if (a >= servers) return 1;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (a * b) / (k + a * b);
  return (servers * b) / (servers - a * (1 - b));
}

export interface QueueInput {
  /** Offered queries/s to the whole service. */
  offeredQps: number;
  replicas: number;
  /** Servers (cores) per replica. */
  serversPerReplica: number;
  /** Mean service time of one query on one core, ns. */
  serviceTimeNs: number;
}

/** Mean queueing delay (before service), ns; Infinity when a replica is at or over capacity. */
export function queueingDelayNs(q: QueueInput): number {
  const lambda = q.offeredQps / q.replicas;
  const mu = NS_PER_S / q.serviceTimeNs;
  const c = q.serversPerReplica;
  if (lambda <= 0) return 0;
  if (lambda >= c * mu) return Infinity;
  return (erlangC(c, lambda / mu) / (c * mu - lambda)) * NS_PER_S;
}

export interface DnsServerModelOptions {
  replicas?: number;
  /** Max queries/s of one replica (CPU bound). Default 33,669 (coredns-scaling). */
  qpsPerReplica?: number;
  /** Cores (servers of the M/M/c queue) per replica. Default 2 (coredns-scaling). */
  coresPerReplica?: number;
}

/** The CoreDNS Deployment as a queueing system. */
export class DnsServerModel {
  readonly replicas: number;
  readonly qpsPerReplica: number;
  readonly coresPerReplica: number;

  constructor(opts: DnsServerModelOptions = {}) {
    this.replicas = opts.replicas ?? COREDNS_DEFAULT_REPLICAS;
    this.qpsPerReplica = opts.qpsPerReplica ?? COREDNS_QPS_PER_REPLICA;
    this.coresPerReplica = opts.coresPerReplica ?? COREDNS_VCPUS_PER_REPLICA;
    if (!Number.isInteger(this.replicas) || this.replicas < 1)
      throw new Error(`DnsServerModel: replicas must be a positive integer, got ${this.replicas}`);
    if (!Number.isInteger(this.coresPerReplica) || this.coresPerReplica < 1)
      throw new Error(`DnsServerModel: coresPerReplica must be a positive integer, got ${this.coresPerReplica}`);
    if (!(this.qpsPerReplica > 0)) throw new Error(`DnsServerModel: qpsPerReplica must be > 0, got ${this.qpsPerReplica}`);
  }

  /** Queries/s the whole Deployment can answer. */
  get capacityQps(): number {
    return this.replicas * this.qpsPerReplica;
  }

  /** Mean CPU time of one query on one core, ns (2 / 33,669 s ≈ 59,402 ns by default). */
  get meanServiceNs(): number {
    return (this.coresPerReplica / this.qpsPerReplica) * NS_PER_S;
  }

  /** Offered load over capacity. */
  utilization(offeredQps: number): number {
    return offeredQps / this.capacityQps;
  }

  /** Mean wait in queue at an offered query rate, ns (Infinity at or over capacity). */
  waitNs(offeredQps: number): number {
    return queueingDelayNs({
      offeredQps,
      replicas: this.replicas,
      serversPerReplica: this.coresPerReplica,
      serviceTimeNs: this.meanServiceNs,
    });
  }

  /** Mean time a query spends in CoreDNS (queueing + service), ns, at an offered query rate. */
  serviceTimeNs(offeredQps: number): number {
    return this.meanServiceNs + this.waitNs(offeredQps);
  }

  /** Queries/s offered by `lookupsPerS` lookups that each cost `queriesPerLookup` queries. */
  static offeredQps(lookupsPerS: number, queriesPerLookup: number): number {
    return lookupsPerS * queriesPerLookup;
  }
}
