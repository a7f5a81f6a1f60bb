// Cilium's load-balancer BPF maps (bpf/lib/lb.h) and how cilium-agent writes them:
//   cilium_lb4_services_v2   key (VIP, dport, backend_slot, proto, scope) -> slot 0: the
//                            service (count = backend slots, rev_nat_index, flags); slot s:
//                            backend_id of the s-th backend
//   cilium_lb4_backends_v3   backend_id -> (address, port, proto, flags)
//   cilium_lb4_reverse_nat   rev_nat_index (one per frontend) -> (VIP, port)
//   cilium_lb_affinity_match (backend_id, rev_nat_index): backends of ClientIP-affinity services
//   cilium_lb4_maglev        rev_nat_index -> the frontend's Maglev table of M backend IDs
// A changed frontend is rewritten whole (its master entry and every slot, stale slots deleted),
// backends are added and removed by reference count, Maglev tables rebuilt when the external
// scope's backends change. bpf.lbMapMax bounds every one of these maps: a frontend that does
// not fit is not programmed and reported (limits()).
import type { LimitReport } from '../types.ts';
import { BpfHashMap } from './bpf-map.ts';
import type { CiliumSettings } from './config.ts';
import { type BackendRef, type DesiredState, type Frontend, FE_LOAD_BALANCER, frontendEntries } from './frontends.ts';
import { populateMaglev } from './maglev.ts';

export const SCOPE_EXT = 0;
export const SCOPE_INT = 1;
/** Service value flags (lb4_service.flags). */
export const SVC_TWO_SCOPES = 1;
export const SVC_AFFINITY = 2;
export const SVC_SOURCE_RANGE = 4;

/** Service map value words. */
export const V_BACKEND_OR_TIMEOUT = 0;
export const V_COUNT = 1;
export const V_REVNAT = 2;
/** flags | type << 8 */
export const V_FLAGS = 3;

interface Installed {
  fe: Frontend;
  id: number;
  ext: number[];
  int: number[] | null;
  /** Index into LbMaps.tables, -1 without a Maglev table. */
  maglev: number;
}

export interface LbSyncWork {
  written: number;
  maglevEntries: number;
  checked: number;
}

export class LbMaps {
  readonly services: BpfHashMap;
  readonly backends: BpfHashMap;
  readonly revNat: BpfHashMap;
  readonly affinityMatch: BpfHashMap;
  readonly maglevOuter: BpfHashMap;
  /** Maglev inner tables (backend IDs), by the index the outer map holds. */
  readonly tables: (Int32Array | null)[] = [];
  private readonly freeTables: number[] = [];
  /** Source ranges by rev_nat_index: [addr, mask, addr, mask, ...] (cilium_lb4_source_range, an LPM trie). */
  readonly ranges = new Map<number, Int32Array>();
  readonly installed = new Map<string, Installed>();
  private readonly backendIds = new Map<string, { id: number; refs: number; ref: BackendRef }>();
  readonly backendById = new Map<number, BackendRef>();
  private nextFrontendId = 1;
  private nextBackendId = 1;
  healthCheckPorts = new Uint8Array(65536);
  limit: LimitReport | null = null;

  constructor(readonly settings: CiliumSettings) {
    const max = settings.lbMapMax;
    this.services = new BpfHashMap('cilium_lb4_services_v2', 4, max);
    this.backends = new BpfHashMap('cilium_lb4_backends_v3', 4, max);
    this.revNat = new BpfHashMap('cilium_lb4_reverse_nat', 2, max);
    this.affinityMatch = new BpfHashMap('cilium_lb_affinity_match', 1, max);
    this.maglevOuter = new BpfHashMap('cilium_lb4_maglev', 1, max);
  }

  /** Entries of the LB maps the agent manages (what a full reconciliation walks). */
  get totalEntries(): number {
    return this.services.size + this.backends.size + this.revNat.size + this.affinityMatch.size + this.maglevOuter.size;
  }

  /** Brings the maps to the desired state; counts entries written and Maglev slots computed. */
  apply(want: DesiredState, full: boolean): LbSyncWork {
    const work: LbSyncWork = { written: 0, maglevEntries: 0, checked: 0 };
    const fit = this.fitting(want.frontends);
    const keep = new Set(fit.map((f) => f.key));
    for (const [key, inst] of [...this.installed])
      if (!keep.has(key)) {
        this.removeFrontend(inst, work);
        this.installed.delete(key);
      }
    for (const fe of fit) {
      const inst = this.installed.get(fe.key);
      if (!inst) this.installed.set(fe.key, this.createFrontend(fe, work));
      else if (inst.fe.sig !== fe.sig) this.writeFrontend(inst, fe, work);
    }
    this.healthCheckPorts.fill(0);
    for (const p of want.healthCheckPorts) this.healthCheckPorts[p] = 1;
    // A periodic full reconciliation walks every entry and rewrites only what differs.
    if (full) work.checked = this.totalEntries;
    return work;
  }

  /** The frontends that fit in bpf.lbMapMax, in the cluster's order; records what did not. */
  private fitting(frontends: Frontend[]): Frontend[] {
    const max = this.settings.lbMapMax;
    let entries = 0;
    let wanted = 0;
    const backends = new Set<string>();
    const out: Frontend[] = [];
    const dropped: string[] = [];
    for (const fe of frontends) {
      const n = frontendEntries(fe);
      wanted += n;
      let extra = 0;
      for (const b of fe.ext) if (!backends.has(b.key)) extra++;
      if (entries + n > max || backends.size + extra > max || out.length + 1 > max) {
        dropped.push(`${fe.service} ${fe.key}`);
        continue;
      }
      entries += n;
      for (const b of fe.ext) backends.add(b.key);
      for (const b of fe.int ?? []) backends.add(b.key);
      out.push(fe);
    }
    this.limit =
      dropped.length === 0
        ? null
        : {
            name: 'bpf-lb-map-max',
            capacity: max,
            wanted,
            droppedCount: dropped.length,
            dropped: dropped.slice(0, 5),
            consequence:
              'cilium_lb4_services_v2 is full: cilium-agent cannot upsert these frontends (the map update fails with E2BIG) and they stay unprogrammed until bpf.lbMapMax is raised (Cilium docs, kubeproxy-free.rst "Configuring BPF Map Sizes")',
          };
    return out;
  }

  private createFrontend(fe: Frontend, work: LbSyncWork): Installed {
    const inst: Installed = { fe, id: this.nextFrontendId++, ext: [], int: null, maglev: -1 };
    const k = this.revNat.key;
    k.fill(0);
    k[0] = inst.id;
    const e = this.revNat.update();
    this.revNat.vals[e * 2] = fe.addr | 0;
    this.revNat.vals[e * 2 + 1] = fe.port;
    work.written++;
    this.writeFrontend(inst, fe, work, true);
    return inst;
  }

  /** Writes a frontend's entries; `fresh` when it had none before. */
  private writeFrontend(inst: Installed, fe: Frontend, work: LbSyncWork, fresh = false): void {
    const oldExt = fresh ? [] : inst.ext;
    const oldInt = fresh ? null : inst.int;
    const oldAffinity = !fresh && inst.fe.affinity > 0;
    // New references first, so a backend in both states keeps its ID.
    const ext = fe.ext.map((b) => this.acquire(b, work));
    const int = fe.int ? fe.int.map((b) => this.acquire(b, work)) : null;
    let flags = fe.int ? SVC_TWO_SCOPES : 0;
    if (fe.affinity) flags |= SVC_AFFINITY;
    if (fe.type === FE_LOAD_BALANCER && fe.ranges.length > 0) flags |= SVC_SOURCE_RANGE;
    this.writeScope(fe, SCOPE_EXT, ext, inst.id, flags, oldExt.length, work);
    if (int) this.writeScope(fe, SCOPE_INT, int, inst.id, flags, oldInt ? oldInt.length : -1, work);
    else if (oldInt) this.deleteScope(fe, SCOPE_INT, oldInt.length, work);
    const before = new Set(oldAffinity ? [...oldExt, ...(oldInt ?? [])] : []);
    const after = new Set(fe.affinity ? [...ext, ...(int ?? [])] : []);
    for (const id of after) if (!before.has(id)) this.affinityEntry(id, inst.id, true, work);
    for (const id of before) if (!after.has(id)) this.affinityEntry(id, inst.id, false, work);
    // Maglev: rebuilt when the external scope's backends change.
    const wantMaglev = this.settings.algorithm === 'maglev' && fe.northSouth;
    const extChanged = fresh || oldExt.length !== ext.length || oldExt.some((id, i) => id !== ext[i]);
    if (wantMaglev && (inst.maglev < 0 || extChanged)) this.writeMaglev(inst, fe, ext, work);
    else if (!wantMaglev && inst.maglev >= 0) this.dropMaglev(inst, work);
    this.ranges.delete(inst.id);
    if (flags & SVC_SOURCE_RANGE) {
      const r = new Int32Array(fe.ranges.length * 2);
      fe.ranges.forEach((c, i) => {
        r[2 * i] = c.addr | 0;
        r[2 * i + 1] = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) | 0;
      });
      this.ranges.set(inst.id, r);
    }
    for (const id of oldExt) this.release(id, work);
    for (const id of oldInt ?? []) this.release(id, work);
    inst.fe = fe;
    inst.ext = ext;
    inst.int = int;
  }

  /** Master entry and slots 1..n of one scope; slots beyond n that the old state had are deleted. */
  private writeScope(fe: Frontend, scope: number, ids: number[], revNat: number, flags: number, oldCount: number, work: LbSyncWork): void {
    const m = this.services;
    for (let slot = 0; slot <= ids.length; slot++) {
      this.serviceKey(fe, slot, scope);
      const e = m.update();
      const v = e * 4;
      m.vals[v + V_BACKEND_OR_TIMEOUT] = slot === 0 ? fe.affinity : ids[slot - 1];
      m.vals[v + V_COUNT] = slot === 0 ? ids.length : 0;
      m.vals[v + V_REVNAT] = revNat;
      m.vals[v + V_FLAGS] = slot === 0 ? flags | (fe.type << 8) : 0;
      work.written++;
    }
    for (let slot = ids.length + 1; slot <= oldCount; slot++) {
      this.serviceKey(fe, slot, scope);
      if (m.delete()) work.written++;
    }
  }

  private deleteScope(fe: Frontend, scope: number, count: number, work: LbSyncWork): void {
    for (let slot = 0; slot <= count; slot++) {
      this.serviceKey(fe, slot, scope);
      if (this.services.delete()) work.written++;
    }
  }

  private removeFrontend(inst: Installed, work: LbSyncWork): void {
    const fe = inst.fe;
    this.deleteScope(fe, SCOPE_EXT, inst.ext.length, work);
    if (inst.int) this.deleteScope(fe, SCOPE_INT, inst.int.length, work);
    if (fe.affinity) for (const id of new Set([...inst.ext, ...(inst.int ?? [])])) this.affinityEntry(id, inst.id, false, work);
    if (inst.maglev >= 0) this.dropMaglev(inst, work);
    this.ranges.delete(inst.id);
    const k = this.revNat.key;
    k.fill(0);
    k[0] = inst.id;
    if (this.revNat.delete()) work.written++;
    for (const id of inst.ext) this.release(id, work);
    for (const id of inst.int ?? []) this.release(id, work);
  }

  serviceKey(fe: { addr: number; port: number; proto: number }, slot: number, scope: number): void {
    const k = this.services.key;
    k[0] = fe.addr | 0;
    k[1] = fe.port | (slot << 16);
    k[2] = fe.proto | (scope << 8);
    k[3] = 0;
  }

  private acquire(b: BackendRef, work: LbSyncWork): number {
    let e = this.backendIds.get(b.key);
    if (!e) {
      e = { id: this.nextBackendId++, refs: 0, ref: b };
      this.backendIds.set(b.key, e);
      this.backendById.set(e.id, b);
      const k = this.backends.key;
      k.fill(0);
      k[0] = e.id;
      const x = this.backends.update();
      this.backends.vals[x * 4] = b.addr | 0;
      this.backends.vals[x * 4 + 1] = b.port;
      this.backends.vals[x * 4 + 2] = b.proto;
      this.backends.vals[x * 4 + 3] = b.local ? 1 : 0;
      work.written++;
    }
    e.refs++;
    return e.id;
  }

  private release(id: number, work: LbSyncWork): void {
    const b = this.backendById.get(id)!;
    const e = this.backendIds.get(b.key)!;
    if (--e.refs > 0) return;
    this.backendIds.delete(b.key);
    this.backendById.delete(id);
    const k = this.backends.key;
    k.fill(0);
    k[0] = id;
    if (this.backends.delete()) work.written++;
  }

  private affinityEntry(backendId: number, revNat: number, add: boolean, work: LbSyncWork): void {
    const k = this.affinityMatch.key;
    k.fill(0);
    k[0] = backendId;
    k[1] = revNat;
    if (add) {
      this.affinityMatch.update();
      work.written++;
    } else if (this.affinityMatch.delete()) work.written++;
  }

  private writeMaglev(inst: Installed, fe: Frontend, ids: number[], work: LbSyncWork): void {
    const m = this.settings.maglevTableSize;
    let t = inst.maglev;
    if (t < 0) {
      t = this.freeTables.length > 0 ? this.freeTables.pop()! : this.tables.length;
      this.tables[t] = null;
    }
    const table = this.tables[t] ?? new Int32Array(m);
    populateMaglev(
      table,
      fe.ext.map((b) => b.addr),
      fe.ext.map((b) => b.port),
      fe.ext.map((b) => b.proto),
      this.settings.maglevSeed,
    );
    // The table holds backend IDs, not list positions.
    for (let i = 0; i < m; i++) table[i] = table[i] < 0 ? 0 : ids[table[i]];
    this.tables[t] = table;
    inst.maglev = t;
    const k = this.maglevOuter.key;
    k.fill(0);
    k[0] = inst.id;
    const e = this.maglevOuter.update();
    this.maglevOuter.vals[e] = t;
    work.written++;
    work.maglevEntries += m;
  }

  private dropMaglev(inst: Installed, work: LbSyncWork): void {
    const k = this.maglevOuter.key;
    k.fill(0);
    k[0] = inst.id;
    if (this.maglevOuter.delete()) work.written++;
    this.tables[inst.maglev] = null;
    this.freeTables.push(inst.maglev);
    inst.maglev = -1;
  }
}
