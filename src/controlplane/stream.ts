// The cluster's stream of API changes, generated once per run from the seed: Poisson processes
// per kind and explicit timeline entries, expanded into the Service/EndpointSlice updates
// kube-proxy watches. It depends only on the scenario and seed, never on the proxy mode or the
// nodes, so every mode and setting sees the same churn.
import { exponential, makeIntSampler } from '../engine/distributions.ts';
import type { Rng } from '../engine/rng.ts';
import { Simulator } from '../engine/simulator.ts';
import type { DistributionSpecInput } from '../scenario/schema.ts';
import { InputError } from '../util/errors.ts';
import type { ServiceTable } from './services.ts';
import { CHURN_KINDS, type ChurnKind, type ChurnSpec, effectiveRates } from './spec.ts';

export const OP_UPDATE = 0;
export const OP_CREATE = 1;
export const OP_DELETE = 2;

/** One API change: a Service created or deleted, or its EndpointSlice updated. */
export interface ChangeStream {
  count: number;
  /** Arrival time, integer ns, non-decreasing. */
  time: Float64Array;
  service: Int32Array;
  op: Uint8Array;
  dReady: Int32Array;
  dNotReady: Int32Array;
  dTerminating: Int32Array;
  /** For OP_CREATE: the new service's shape id. */
  shape: Int32Array;
  /** Churn events generated per kind (a rolling update is one event, many changes). */
  events: Record<ChurnKind, number>;
  /** Events dropped because no service qualified (e.g. endpointReady with no not-ready endpoint). */
  skipped: number;
  /** Services that exist at some point (initial plus created): the state arrays' size. */
  servicesTotal: number;
}

interface Step {
  type: 'apply' | 'roll' | 'rollReady';
  svc: number;
  dReady: number;
  dNotReady: number;
  dTerminating: number;
  remaining: number;
}

const EV_POISSON = 0;
const EV_TIMELINE = 1;
const EV_STEP = 2;

/** Generates the stream; `table` is left untouched (the generator works on a copy). */
export function generateStream(
  spec: ChurnSpec,
  initial: ServiceTable,
  endpointsPerService: DistributionSpecInput,
  rng: Rng,
  file?: string,
): ChangeStream {
  const table = initial.copy();
  const rates = effectiveRates(spec);
  const pickRng = rng.fork('targets');
  const newEndpoints = makeIntSampler(endpointsPerService, rng.fork('new-endpoints'));
  const kindRngs = CHURN_KINDS.map((k) => rng.fork(`poisson/${k}`));
  const sim = new Simulator({ seed: 0 });
  const steps: Step[] = [];
  const out = {
    time: [] as number[],
    service: [] as number[],
    op: [] as number[],
    dReady: [] as number[],
    dNotReady: [] as number[],
    dTerminating: [] as number[],
    shape: [] as number[],
  };
  const events = Object.fromEntries(CHURN_KINDS.map((k) => [k, 0])) as Record<ChurnKind, number>;
  let skipped = 0;
  const end = spec.duration;

  const emit = (svc: number, op: number, dR: number, dN: number, dT: number, shape = -1): void => {
    table.ready[svc] += dR;
    table.notReady[svc] += dN;
    table.terminating[svc] += dT;
    out.time.push(sim.now);
    out.service.push(svc);
    out.op.push(op);
    out.dReady.push(dR);
    out.dNotReady.push(dN);
    out.dTerminating.push(dT);
    out.shape.push(shape);
  };
  const schedule = (delay: number, step: Step): void => {
    if (sim.now + delay >= end) return; // only changes inside the run
    steps.push(step);
    sim.after(delay, EV_STEP, steps.length - 1);
  };
  const step = (svc: number, type: Step['type'], dR = 0, dN = 0, dT = 0, remaining = 0): Step => ({
    type,
    svc,
    dReady: dR,
    dNotReady: dN,
    dTerminating: dT,
    remaining,
  });

  /** A random alive user service satisfying `ok`, or -1 after a few tries. */
  const pick = (ok: (s: number) => boolean): number => {
    if (table.pickableCount === 0) return -1;
    for (let tries = 0; tries < 16; tries++) {
      const s = table.pickAt(pickRng.int(0, table.pickableCount));
      if (ok(s)) return s;
    }
    return -1;
  };

  const fire = (kind: ChurnKind, target: number | null): boolean => {
    const alive = (s: number) => table.alive[s] === 1;
    const choose = (ok: (s: number) => boolean) => (target === null ? pick(ok) : alive(target) && ok(target) ? target : -1);
    switch (kind) {
      case 'serviceCreate': {
        if (table.templates.length === 0) return false;
        const shape = table.templates[pickRng.int(0, table.templates.length)];
        const ready = Math.max(0, newEndpoints());
        const s = table.add(`churn/svc-${table.count}`, shape, 0, 0, 0, true);
        emit(s, OP_CREATE, ready, 0, 0, shape);
        return true;
      }
      case 'serviceDelete': {
        const s = choose(() => true);
        if (s < 0) return false;
        emit(s, OP_DELETE, -table.ready[s], -table.notReady[s], -table.terminating[s]);
        table.kill(s);
        return true;
      }
      case 'endpointAdd': {
        const s = choose(() => true);
        if (s < 0) return false;
        emit(s, OP_UPDATE, 1, 0, 0);
        return true;
      }
      case 'endpointRemove': {
        const s = choose((x) => table.ready[x] > 0);
        if (s < 0) return false;
        emit(s, OP_UPDATE, -1, 0, 0);
        return true;
      }
      case 'endpointReady': {
        const s = choose((x) => table.notReady[x] > 0);
        if (s < 0) return false;
        emit(s, OP_UPDATE, 1, -1, 0);
        return true;
      }
      case 'endpointNotReady': {
        const s = choose((x) => table.ready[x] > 0);
        if (s < 0) return false;
        emit(s, OP_UPDATE, -1, 1, 0);
        return true;
      }
      case 'endpointTerminating': {
        const s = choose((x) => table.ready[x] > 0);
        if (s < 0) return false;
        emit(s, OP_UPDATE, -1, 0, 1);
        schedule(spec.terminationGracePeriod, step(s, 'apply', 0, 0, -1));
        return true;
      }
      case 'scaleUp': {
        const s = choose(() => true);
        if (s < 0) return false;
        emit(s, OP_UPDATE, 0, spec.scaleUpCount, 0);
        schedule(spec.readyDelay, step(s, 'apply', spec.scaleUpCount, -spec.scaleUpCount, 0));
        return true;
      }
      case 'rollingUpdate': {
        const s = choose((x) => table.ready[x] > 0);
        if (s < 0) return false;
        runRoll(step(s, 'roll', 0, 0, 0, table.ready[s]));
        return true;
      }
    }
  };

  // Deployment rollout with maxSurge 1, maxUnavailable 0: one new pod at a time; once it is
  // ready an old one starts terminating and the next new pod is created.
  const runRoll = (st: Step): void => {
    const s = st.svc;
    if (table.alive[s] !== 1) return;
    if (st.type === 'roll') {
      emit(s, OP_UPDATE, 0, 1, 0);
      schedule(spec.readyDelay, step(s, 'rollReady', 0, 0, 0, st.remaining));
      return;
    }
    if (table.notReady[s] > 0) emit(s, OP_UPDATE, 1, -1, 0);
    if (table.ready[s] > 0) {
      emit(s, OP_UPDATE, -1, 0, 1);
      schedule(spec.terminationGracePeriod, step(s, 'apply', 0, 0, -1));
    }
    if (st.remaining > 1) runRoll(step(s, 'roll', 0, 0, 0, st.remaining - 1));
  };

  for (let k = 0; k < CHURN_KINDS.length; k++) {
    if (rates[CHURN_KINDS[k]] > 0) {
      const first = Math.round(exponential(kindRngs[k], rates[CHURN_KINDS[k]]) * 1e9);
      if (first < end) sim.at(first, EV_POISSON, k);
    }
  }
  const timeline = spec.timeline.map((e, i) => ({ ...e, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  for (const e of timeline) {
    if (e.at >= end)
      throw new InputError(
        `timeline entry at ${e.at / 1e9}s is not before the end of the run (${end / 1e9}s)`,
        file,
        `churn.timeline[${e.i}].at`,
      );
    sim.at(e.at, EV_TIMELINE, e.i);
  }

  sim.run((_sim, kind, a) => {
    if (kind === EV_POISSON) {
      const k = CHURN_KINDS[a];
      if (fire(k, null)) events[k]++;
      else skipped++;
      const next = sim.now + Math.round(exponential(kindRngs[a], rates[k]) * 1e9);
      if (next < end) sim.at(next, EV_POISSON, a);
    } else if (kind === EV_TIMELINE) {
      const e = spec.timeline[a];
      let target: number | null = null;
      if (e.service !== undefined) {
        const s = table.byKey.get(e.service);
        if (s === undefined) throw new InputError('no such service in the cluster', file, `churn.timeline[${a}].service`, e.service);
        target = s;
      }
      for (let c = 0; c < e.count; c++) {
        if (fire(e.kind, target)) events[e.kind]++;
        else skipped++;
      }
    } else {
      const st = steps[a];
      if (st.type !== 'apply') runRoll(st);
      else if (
        table.alive[st.svc] === 1 &&
        table.ready[st.svc] + st.dReady >= 0 &&
        table.notReady[st.svc] + st.dNotReady >= 0 &&
        table.terminating[st.svc] + st.dTerminating >= 0
      ) {
        emit(st.svc, OP_UPDATE, st.dReady, st.dNotReady, st.dTerminating);
      }
    }
  }, end - 1);

  return {
    count: out.time.length,
    time: Float64Array.from(out.time),
    service: Int32Array.from(out.service),
    op: Uint8Array.from(out.op),
    dReady: Int32Array.from(out.dReady),
    dNotReady: Int32Array.from(out.dNotReady),
    dTerminating: Int32Array.from(out.dTerminating),
    shape: Int32Array.from(out.shape),
    events,
    skipped,
    servicesTotal: table.count,
  };
}

/** Applies change j to the live table (the replay side of generateStream). */
export function applyChange(table: ServiceTable, stream: ChangeStream, j: number): void {
  const s = stream.service[j];
  if (stream.op[j] === OP_CREATE) {
    const got = table.add(`churn/svc-${table.count}`, stream.shape[j], 0, 0, 0, true);
    if (got !== s) throw new Error(`churn replay diverged: created service ${got}, stream says ${s}`);
  }
  table.ready[s] += stream.dReady[j];
  table.notReady[s] += stream.dNotReady[j];
  table.terminating[s] += stream.dTerminating[j];
  if (stream.op[j] === OP_DELETE) table.kill(s);
}
