// What each sync writes, priced from what the mode's own data plane does: no formula per mode.
// A sync's work is split into
//   - the state part: what a sync with nothing changed writes (iptables rewrites every chain
//     on a full restore, the fixed chains on a KEP-3453 partial one; IPVS restores its fixed
//     ruleset; userspace re-checks every portal rule). It is a base (an empty cluster) plus one
//     contribution per service, so it is kept as running totals updated per change;
//   - the change part: for each service that changed since the node's last sync, what syncing
//     its old state to its new one writes beyond the state part (own chains rewritten, stale
//     chains deleted, netlink operations, proxy sockets).
// Every number comes from the registered mode's data plane itself, synced on small clusters
// of copies of the service's template (synth.ts) and cached by shape and endpoint counts.
// Fields a mode declares `aggregate: 'set'` do not add up per service (IPVS installs a fixed
// rule once some service needs it): they are read off a cluster holding one service per shape.
// test/controlplane/work-model.test.ts holds the totals equal to the real data plane.
import type { EndpointSlice, Service } from '../cluster/k8s-types.ts';
import type { Cluster } from '../cluster/model.ts';
import { slicesByService } from '../cluster/model.ts';
import type { KubeProxyConfiguration } from '../proxy/config.ts';
import type { ProxyModeDescriptor, QuantitySpec } from '../proxy/mode.ts';
import type { SyncWork } from '../proxy/types.ts';
import type { ServiceTable } from './services.ts';
import { type SynthService, synthCluster } from './synth.ts';

/** A service's state: alive, and its endpoints by condition. */
export interface ServiceState {
  alive: boolean;
  ready: number;
  notReady: number;
  terminating: number;
}

/** Probes shared by every run on one cluster, node and mode (a churn sweep's points of one scale). */
export class ProbeCache {
  readonly entries = new Map<string, Float64Array>();
  probes = 0;
}

export interface WorkModelInput {
  mode: ProxyModeDescriptor;
  variant?: string;
  /** The initial cluster: its nodes, settings and the template services of every shape. */
  cluster: Cluster;
  /** The node under test's configuration (hostnameOverride set). */
  config: KubeProxyConfiguration;
  table: ServiceTable;
  cache?: ProbeCache;
}

export class WorkModel {
  /** The SyncWork fields (descriptor.syncWork), then the stats (descriptor.stats): one vector layout. */
  readonly fields: readonly string[];
  readonly stats: readonly string[];
  /** Syncs write only what changed, except periodic full resyncs. */
  readonly partial: boolean;
  private readonly n: number;
  private readonly setField: Uint8Array;
  private readonly mode: ProxyModeDescriptor;
  private readonly variant: string | undefined;
  private readonly base: Cluster;
  private readonly config: KubeProxyConfiguration;
  private readonly table: ServiceTable;
  private readonly cache: ProbeCache;
  private readonly templates: { service: Service; slices: readonly EndpointSlice[] }[] = [];
  /** Running totals of the state part: noop sync, full noop sync; stats. */
  private readonly totalNoop: Float64Array;
  private readonly totalFull: Float64Array;
  /** Alive services per shape, and the 'set' fields' values for the shapes alive now. */
  private readonly aliveByShape: Int32Array;
  private setValues: Float64Array | null = null;
  /** Service states interned as small integers (the simulation stores one per change). */
  private readonly stateIds = new Map<string, number>();
  private readonly states: ServiceState[] = [];
  private curId: Int32Array;
  private readonly terms = new Map<number, Float64Array>();

  constructor(inp: WorkModelInput) {
    this.mode = inp.mode;
    this.variant = inp.variant;
    this.base = { ...inp.cluster, services: [], endpointSlices: [], pods: [] };
    this.config = inp.config;
    this.table = inp.table;
    this.cache = inp.cache ?? new ProbeCache();
    const specs: QuantitySpec[] = [...inp.mode.syncWork, ...inp.mode.stats];
    this.fields = inp.mode.syncWork.map((q) => q.name);
    this.stats = inp.mode.stats.map((q) => q.name);
    this.n = specs.length;
    this.setField = Uint8Array.from(specs, (q) => (q.aggregate === 'set' ? 1 : 0));
    this.partial = inp.mode.capabilities.incrementalSync || inp.variant === 'partial';
    const slices = slicesByService(inp.cluster);
    for (const shape of inp.table.shapes) {
      const service = inp.cluster.services[shape.template];
      const key = `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`;
      this.templates.push({ service, slices: slices.get(key) ?? [] });
    }
    this.totalNoop = this.probe(null, null, 'noop').slice();
    this.totalFull = this.probe(null, null, 'full').slice();
    this.aliveByShape = new Int32Array(inp.table.shapes.length + 64);
    this.curId = new Int32Array(Math.max(16, inp.table.shape.length));
    this.intern({ alive: false, ready: 0, notReady: 0, terminating: 0 }); // id 0: no service
    for (let s = 0; s < inp.table.count; s++) {
      if (inp.table.alive[s]) this.add(s, 1);
      this.curId[s] = this.intern(this.stateOf(s, { alive: false, ready: 0, notReady: 0, terminating: 0 }));
    }
  }

  /** The interned id of service s's state now (0: no such service, or deleted). */
  idOf(s: number): number {
    return s < this.table.count ? this.curId[s] : 0;
  }

  /** The state of service s in the table now. */
  stateOf(s: number, out: ServiceState): ServiceState {
    const t = this.table;
    out.alive = s < t.count && t.alive[s] === 1;
    out.ready = out.alive ? t.ready[s] : 0;
    out.notReady = out.alive ? t.notReady[s] : 0;
    out.terminating = out.alive ? t.terminating[s] : 0;
    return out;
  }

  /** Before the table applies a change to s: take its contribution out. */
  before(s: number): void {
    if (s < this.table.count && this.table.alive[s]) this.add(s, -1);
  }

  /** After the change: put the new contribution in. */
  after(s: number): void {
    if (this.table.alive[s]) this.add(s, 1);
    if (s >= this.curId.length) {
      const grown = new Int32Array(Math.max(s + 1, 2 * this.curId.length));
      grown.set(this.curId);
      this.curId = grown;
    }
    this.curId[s] = this.intern(this.stateOf(s, { alive: false, ready: 0, notReady: 0, terminating: 0 }));
  }

  /** A sync begins: its work so far is the state part (of a full sync, or of one with nothing changed). */
  begin(full: boolean, into: Float64Array): Float64Array {
    into.set(full ? this.totalFull : this.totalNoop);
    return into;
  }

  /** Adds what syncing service s from its state at the node's last sync (`wasId`) to now writes. */
  addChange(acc: Float64Array, s: number, wasId: number, full: boolean): void {
    const nowId = this.idOf(s);
    const shape = this.table.shape[s];
    const key = ((shape * 1048576 + wasId) * 1048576 + nowId) * 2 + (full ? 1 : 0);
    let d = this.terms.get(key);
    if (!d) this.terms.set(key, (d = this.changeTerm(shape, this.states[wasId], this.states[nowId], full)));
    for (let f = 0; f < this.fields.length; f++) if (!this.setField[f]) acc[f] += d[f];
  }

  /** The sync's work as the mode names it. */
  end(acc: Float64Array): SyncWork {
    this.applySet(acc);
    const out: Record<string, number> = {};
    this.fields.forEach((name, f) => {
      out[name] = acc[f];
    });
    return out;
  }

  /** A vector for begin/addChange/end. */
  newAccumulator(): Float64Array {
    return new Float64Array(this.n);
  }

  /** syncWork for one call (tests): the state part plus the given services' changes since `was`. */
  syncWork(full: boolean, changed: Iterable<[number, ServiceState]>): SyncWork {
    const acc = this.begin(full, this.newAccumulator());
    for (const [s, was] of changed) this.addChange(acc, s, this.intern(was), full);
    return this.end(acc);
  }

  private intern(st: ServiceState): number {
    const key = stateKey(st);
    let id = this.stateIds.get(key);
    if (id === undefined) {
      id = this.states.length;
      this.states.push({ ...st });
      this.stateIds.set(key, id);
    }
    return id;
  }

  /** The mode's stats and full-sync work for the state now (what a full restore would write). */
  size(): Record<string, number> {
    const w = Float64Array.from(this.totalFull);
    this.applySet(w);
    const out: Record<string, number> = {};
    [...this.fields, ...this.stats].forEach((name, f) => {
      out[name] = w[f];
    });
    return out;
  }

  /** Probes run so far (data planes built on small clusters), for tests and progress. */
  get probes(): number {
    return this.cache.probes;
  }

  private add(s: number, sign: 1 | -1): void {
    const t = this.table;
    const shape = t.shape[s];
    const st = { alive: true, ready: t.ready[s], notReady: t.notReady[s], terminating: t.terminating[s] };
    const noop = this.contribution(shape, st, 'noop');
    const full = this.contribution(shape, st, 'full');
    for (let f = 0; f < this.n; f++) {
      this.totalNoop[f] += sign * noop[f];
      this.totalFull[f] += sign * full[f];
    }
    const before = this.aliveByShape[shape];
    this.aliveByShape[shape] += sign;
    if ((before === 0) !== (this.aliveByShape[shape] === 0)) this.setValues = null;
  }

  /** What one service adds to the state part: a sync of a cluster with it, minus one without. */
  private contribution(shape: number, st: ServiceState, kind: 'noop' | 'full'): Float64Array {
    const key = `c|${kind}|${shape}|${st.ready},${st.notReady},${st.terminating}`;
    let v = this.cache.entries.get(key);
    if (!v) {
      const withIt = this.probe(this.synth(shape, st), this.synth(shape, st), kind);
      const without = this.probe(null, null, kind);
      v = new Float64Array(this.n);
      for (let f = 0; f < this.n; f++) v[f] = withIt[f] - without[f];
      this.cache.entries.set(key, v);
    }
    return v;
  }

  /** What syncing a service from `was` to `now` writes beyond a sync with nothing changed. */
  private changeTerm(shape: number, was: ServiceState, now: ServiceState, full: boolean): Float64Array {
    const key = `d|${full ? 'full' : 'noop'}|${shape}|${stateKey(was)}|${stateKey(now)}`;
    let v = this.cache.entries.get(key);
    if (!v) {
      const from = was.alive ? this.synth(shape, was) : null;
      const to = now.alive ? this.synth(shape, now) : null;
      const sync = this.probe(from, to, full ? 'full' : 'noop', true);
      const idle = this.probe(to, to, full ? 'full' : 'noop');
      v = new Float64Array(this.n);
      for (let f = 0; f < this.n; f++) v[f] = sync[f] - idle[f];
      this.cache.entries.set(key, v);
    }
    return v;
  }

  /** 'set' fields: from a cluster holding one service of each shape alive now. */
  private applySet(w: Float64Array): void {
    if (!this.setField.some((x) => x === 1)) return;
    if (!this.setValues) {
      const reps: SynthService[] = [];
      const seen = new Set<number>();
      for (let s = 0; s < this.table.count; s++) {
        const shape = this.table.shape[s];
        if (!this.table.alive[s] || seen.has(shape)) continue;
        seen.add(shape);
        reps.push(
          this.synth(shape, {
            alive: true,
            ready: this.table.ready[s],
            notReady: this.table.notReady[s],
            terminating: this.table.terminating[s],
          }),
        );
      }
      this.setValues = this.probeCluster(reps, 'full');
    }
    for (let f = 0; f < this.n; f++) if (this.setField[f]) w[f] = this.setValues[f];
  }

  private synth(shape: number, st: ServiceState): SynthService {
    const t = this.templates[shape];
    return { service: t.service, slices: t.slices, ready: st.ready, notReady: st.notReady, terminating: st.terminating };
  }

  /**
   * Builds the mode's data plane on a cluster holding `from` (or nothing), syncs it to `to`
   * (a partial sync, or a full one) and returns [sync work..., stats after] in field order.
   * Without `transition`, from and to are the same state and the result is cached.
   */
  private probe(from: SynthService | null, to: SynthService | null, kind: 'noop' | 'full', transition = false): Float64Array {
    if (!transition) {
      const key = `p|${kind}|${to ? this.synthKey(to) : '-'}`;
      let v = this.cache.entries.get(key);
      if (!v) this.cache.entries.set(key, (v = this.probeCluster(to ? [to] : [], kind)));
      return v;
    }
    return this.run(from ? [from] : [], to ? [to] : [], kind);
  }

  private probeCluster(services: SynthService[], kind: 'noop' | 'full'): Float64Array {
    return this.run(services, services, kind);
  }

  private run(from: SynthService[], to: SynthService[], kind: 'noop' | 'full'): Float64Array {
    this.cache.probes++;
    const dp = this.mode.build(synthCluster(this.base, from), this.config, { variant: this.variant });
    const w = dp.sync(synthCluster(this.base, to), { full: kind === 'full' });
    const st = dp.stats();
    const v = new Float64Array(this.n);
    this.fields.forEach((name, f) => {
      v[f] = w[name] ?? 0;
    });
    this.stats.forEach((name, i) => {
      v[this.fields.length + i] = st[name] ?? 0;
    });
    return v;
  }

  private synthKey(s: SynthService): string {
    return `${s.service.metadata.namespace}/${s.service.metadata.name}|${s.ready},${s.notReady},${s.terminating}`;
  }
}

function stateKey(s: ServiceState): string {
  return s.alive ? `${s.ready},${s.notReady},${s.terminating}` : 'dead';
}
