// Scheduler modules by name, as register_ip_vs_scheduler makes them known.
import { InputError } from '../../util/errors.ts';
import { SCHEDULER_NAMES, type Scheduler, type SchedulerName } from '../types.ts';
import { dh, sh } from './hashing.ts';
import { lc, nq, sed, wlc } from './least-conn.ts';
import { rr } from './rr.ts';
import { wrr } from './wrr.ts';

const SCHEDULERS: Record<SchedulerName, Scheduler> = { rr, wrr, lc, wlc, sh, dh, sed, nq };

export function getScheduler(name: string): Scheduler {
  const s = SCHEDULERS[name as SchedulerName];
  if (!s) throw new InputError(`unknown IPVS scheduler "${name}" (known: ${SCHEDULER_NAMES.join(', ')})`);
  return s;
}
