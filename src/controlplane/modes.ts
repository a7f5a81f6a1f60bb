// What one sync writes, per proxy mode, as a function of the API state and of the changes it
// covers. Each model keeps running totals (updated per change, O(1)) so a sync is priced without
// re-rendering anything; syncCostNs (src/metrics/pricing.ts) turns the SyncWork into time.
import type { ProxyModeName, SyncWork } from '../proxy/types.ts';
import type { IptablesMeasurement } from './iptables-lines.ts';
import type { PortLines } from './iptables-attribution.ts';
import type { ServiceTable } from './services.ts';
import { OP_CREATE, OP_DELETE } from './stream.ts';

/** Work a single change adds to the next sync (summed over the changes a sync covers). */
export interface ChangeWork {
  netlinkOps: number;
  ipsetOps: number;
  portOps: number;
  iptablesInvocations: number;
  /** iptables: `:CHAIN` + `-X CHAIN` lines deleting chains that went away. */
  staleLines: number;
}

export const emptyChangeWork = (): ChangeWork => ({ netlinkOps: 0, ipsetOps: 0, portOps: 0, iptablesInvocations: 0, staleLines: 0 });

export interface ModeModel {
  readonly mode: ProxyModeName;
  /** Whether a sync can write less than everything (then syncs are partial unless a full one is due). */
  readonly partial: boolean;
  /** Whether partial syncs rewrite the changed services' own lines (iptables KEP-3453). */
  readonly perServiceLines: boolean;
  /** Before change of service s is applied to the table. */
  before(s: number): void;
  /** After it: update totals, write the change's own work into `out`. */
  after(s: number, op: number, out: ChangeWork): void;
  /** Lines a partial sync rewrites for a changed service (iptables); 0 elsewhere. */
  ownLines(s: number): number;
  /** What a sync writes: everything (full) or the fixed part plus `changedLines` and the covered changes' work. */
  syncWork(full: boolean, covered: ChangeWork, changedLines: number): SyncWork;
  /** Size of the node's rules now, for reports. */
  size(): { restoreLines: number; totalRules: number; virtualServers: number; proxyPorts: number };
}

/**
 * iptables: a full sync restores every line of the ruleset; a partial one (KEP-3453) the fixed
 * chains whole (every service's KUBE-SERVICES/KUBE-NODEPORTS/... rules included) plus the own
 * chains of the services that changed. Lines per service come from the measured line table;
 * services rendered in the measurement keep their exact counts plus table deltas.
 */
export class IptablesModel implements ModeModel {
  readonly mode = 'iptables' as const;
  readonly perServiceLines = true;
  private readonly baseP: Int32Array;
  private readonly base: Float64Array; // 4 fields per service
  private readonly cache: PortLines[][] = [];
  private fixedChain = 0;
  private own = 0;
  private rules = 0;
  private chainsBefore = 0;
  private readonly tmp: PortLines = { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 };

  constructor(
    private readonly table: ServiceTable,
    private readonly m: IptablesMeasurement,
    capacity: number,
    readonly partial: boolean,
  ) {
    this.baseP = new Int32Array(capacity);
    this.base = new Float64Array(capacity * 4);
    for (let s = 0; s < table.count; s++) {
      const exact = m.measured.get(table.keys[s]);
      if (exact) this.setBase(s, exact.endpoints, exact.lines);
      else this.setBase(s, table.programmed(s), this.perPort(table.shape[s], table.programmed(s)), table.shapes[table.shape[s]].ports);
      if (table.alive[s]) this.add(s, 1);
    }
  }

  private setBase(s: number, p: number, l: PortLines, mult = 1): void {
    this.baseP[s] = p;
    const b = s * 4;
    this.base[b] = l.fixedChainLines * mult;
    this.base[b + 1] = l.ownLines * mult;
    this.base[b + 2] = l.ownChains * mult;
    this.base[b + 3] = l.rules * mult;
  }

  private perPort(shape: number, p: number): PortLines {
    let byP = this.cache[shape];
    if (!byP) this.cache[shape] = byP = [];
    let l = byP[p];
    if (!l) byP[p] = l = this.m.table.get(this.table.shapes[shape].key, p);
    return l;
  }

  /** Current lines of service s (into this.tmp). */
  private lines(s: number): PortLines {
    const t = this.table;
    const shape = t.shape[s];
    const ports = t.shapes[shape].ports;
    const now = this.perPort(shape, t.programmed(s));
    const then = this.perPort(shape, this.baseP[s]);
    const b = s * 4;
    const o = this.tmp;
    o.fixedChainLines = this.base[b] + ports * (now.fixedChainLines - then.fixedChainLines);
    o.ownLines = this.base[b + 1] + ports * (now.ownLines - then.ownLines);
    o.ownChains = this.base[b + 2] + ports * (now.ownChains - then.ownChains);
    o.rules = this.base[b + 3] + ports * (now.rules - then.rules);
    return o;
  }

  private add(s: number, sign: number): void {
    const l = this.lines(s);
    this.fixedChain += sign * l.fixedChainLines;
    this.own += sign * l.ownLines;
    this.rules += sign * l.rules;
  }

  before(s: number): void {
    this.chainsBefore = 0;
    if (s < this.table.count && this.table.alive[s]) {
      this.chainsBefore = this.lines(s).ownChains;
      this.add(s, -1);
    }
  }

  after(s: number, op: number, out: ChangeWork): void {
    if (op === OP_CREATE) {
      const shape = this.table.shape[s];
      this.setBase(s, this.table.programmed(s), this.perPort(shape, this.table.programmed(s)), this.table.shapes[shape].ports);
    }
    let chainsAfter = 0;
    if (this.table.alive[s]) {
      chainsAfter = this.lines(s).ownChains;
      this.add(s, 1);
    }
    out.staleLines = 2 * Math.max(0, this.chainsBefore - chainsAfter);
  }

  ownLines(s: number): number {
    return this.table.alive[s] ? this.lines(s).ownLines : 0;
  }

  syncWork(full: boolean, covered: ChangeWork, changedLines: number): SyncWork {
    const fixed = this.m.fixedLines + this.fixedChain + covered.staleLines;
    return {
      restoreLines: fixed + (full || !this.partial ? this.own : changedLines),
      totalRules: this.m.fixedRules + this.rules,
      netlinkOps: 0,
      ipsetOps: 0,
      portOps: 0,
    };
  }

  size() {
    return {
      restoreLines: this.m.fixedLines + this.fixedChain + this.own,
      totalRules: this.m.fixedRules + this.rules,
      virtualServers: 0,
      proxyPorts: 0,
    };
  }
}

/** Fixed iptables rules of the IPVS proxier (it restores them on every sync). */
export interface IpvsFixed {
  restoreLines: number;
  totalRules: number;
}

/**
 * IPVS: every sync restores the proxier's small fixed iptables ruleset and issues one netlink
 * operation per virtual or real server added or removed, plus the ipset members of new or
 * deleted services; nothing depends on the number of services.
 */
export class IpvsModel implements ModeModel {
  readonly mode = 'ipvs' as const;
  readonly partial = true;
  readonly perServiceLines = false;
  private pBefore = 0;
  private vs = 0;
  private rs = 0;

  constructor(
    private readonly table: ServiceTable,
    private readonly fixed: IpvsFixed,
  ) {
    for (let s = 0; s < table.count; s++)
      if (table.alive[s]) {
        const v = table.shapes[table.shape[s]].virtualServers;
        this.vs += v;
        this.rs += v * table.programmed(s);
      }
  }

  before(s: number): void {
    this.pBefore = s < this.table.count && this.table.alive[s] ? this.table.programmed(s) : 0;
  }

  after(s: number, op: number, out: ChangeWork): void {
    const shape = this.table.shapes[this.table.shape[s]];
    const v = shape.virtualServers;
    const pAfter = this.table.alive[s] ? this.table.programmed(s) : 0;
    if (op === OP_CREATE || op === OP_DELETE) {
      const sign = op === OP_CREATE ? 1 : -1;
      out.netlinkOps = v + v * (op === OP_CREATE ? pAfter : this.pBefore);
      out.ipsetOps = shape.ipsetEntries;
      this.vs += sign * v;
    } else {
      out.netlinkOps = v * Math.abs(pAfter - this.pBefore);
    }
    this.rs += v * (pAfter - this.pBefore);
  }

  ownLines(): number {
    return 0;
  }

  syncWork(_full: boolean, covered: ChangeWork): SyncWork {
    return {
      restoreLines: this.fixed.restoreLines,
      totalRules: this.fixed.totalRules,
      netlinkOps: covered.netlinkOps,
      ipsetOps: covered.ipsetOps,
      portOps: 0,
    };
  }

  size() {
    return { restoreLines: this.fixed.restoreLines, totalRules: this.fixed.totalRules, virtualServers: this.vs, proxyPorts: 0 };
  }
}

/** Jump rules iptablesInit installs (nat PREROUTING/OUTPUT, filter INPUT). */
export const USERSPACE_FIXED_RULES = 5;
/** `iptables` commands iptablesInit runs on every sync: 5 chains ensured (-N), 5 jumps checked (-C). */
export const USERSPACE_INIT_COMMANDS = 10;

/**
 * Userspace (pkg/proxy/userspace, as src/proxy/userspace models it): a new service port opens
 * its proxy socket (and holds its NodePort open) and adds its portal rules one `iptables`
 * command at a time (check, then append: two per rule); a deleted one closes them and deletes
 * its rules (one command each). Every sync then runs iptablesInit and ensurePortals, which
 * checks every portal rule of every service again: one command per rule, each copying the
 * whole table. Endpoint changes only update the in-memory load balancer. There is no partial
 * sync: every sync is a full one.
 */
export class UserspaceModel implements ModeModel {
  readonly mode = 'userspace' as const;
  readonly partial = false;
  readonly perServiceLines = false;
  private portals = 0;
  private ports = 0;

  constructor(private readonly table: ServiceTable) {
    for (let s = 0; s < table.count; s++)
      if (table.alive[s]) {
        this.portals += table.shapes[table.shape[s]].portalRules;
        this.ports += table.shapes[table.shape[s]].proxyPorts;
      }
  }

  before(): void {}

  after(s: number, op: number, out: ChangeWork): void {
    if (op !== OP_CREATE && op !== OP_DELETE) return;
    const shape = this.table.shapes[this.table.shape[s]];
    const sign = op === OP_CREATE ? 1 : -1;
    out.portOps = shape.proxyPorts;
    out.iptablesInvocations = (op === OP_CREATE ? 2 : 1) * shape.portalRules;
    this.portals += sign * shape.portalRules;
    this.ports += sign * shape.proxyPorts;
  }

  ownLines(): number {
    return 0;
  }

  syncWork(_full: boolean, covered: ChangeWork): SyncWork {
    return {
      restoreLines: 0,
      totalRules: USERSPACE_FIXED_RULES + this.portals,
      netlinkOps: 0,
      ipsetOps: 0,
      portOps: covered.portOps,
      iptablesInvocations: USERSPACE_INIT_COMMANDS + this.portals + covered.iptablesInvocations,
    };
  }

  size() {
    return { restoreLines: 0, totalRules: USERSPACE_FIXED_RULES + this.portals, virtualServers: 0, proxyPorts: this.ports };
  }
}
