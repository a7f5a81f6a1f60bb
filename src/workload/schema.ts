// The scenario's `workload` and `sweep` sections: what traffic a sweep point drives through the
// data plane, and which points a sweep runs.
import { z } from 'zod';
import { IPTABLES_PROFILES } from '../netfilter/costs.ts';
import { modeNames } from '../proxy/modes.ts';
import { schemaError } from '../scenario/load.ts';
import { InputError } from '../util/errors.ts';
import { parseDuration } from '../engine/simulator.ts';

const duration = z.union([z.number().int().min(0), z.string()]);

export const workloadSchema = z
  .object({
    /** Node whose data plane is measured (the clients' node). */
    node: z.string().default('node-1'),
    /** New connections simulated per point. */
    connections: z.number().int().min(1).default(2000),
    /** Poisson arrival rate of new connections per simulated second. */
    connectionRate: z.number().positive().default(1000),
    /** Packets each connection sends (the first walks the rules, the rest hit conntrack). */
    packetsPerConnection: z.number().int().min(1).default(10),
    /** Mean gap between a connection's packets (exponential), a duration such as "1ms". */
    packetInterval: duration.default('1ms'),
    /** Which services clients pick: uniform, or Zipf with exponent s (rank 1 most popular). */
    popularity: z
      .union([z.object({ kind: z.literal('uniform') }).strict(), z.object({ kind: z.literal('zipf'), s: z.number().min(0) }).strict()])
      .default({ kind: 'uniform' }),
    /**
     * Share of pod connections that first look the service up by name (`<svc>.<ns>`) through the
     * pod resolver (search list, ndots, A+AAAA as getaddrinfo): every query is a UDP packet to
     * kube-dns through the same data plane and conntrack.
     */
    byName: z.number().min(0).max(1).default(0),
    /** Namespace of the client pods (their resolv.conf search list starts with it). */
    clientNamespace: z.string().default('default'),
    /** Share of connections from external clients to NodePorts instead of pods to ClusterIPs. */
    external: z.number().min(0).max(1).default(0),
    /** First packets per tinybench task in the wall-clock lookup benchmark. */
    lookupBatch: z.number().int().min(1).default(64),
    /** Time tinybench spends on each wall-clock benchmark, in ms. */
    benchTimeMs: z.number().int().min(1).default(200),
  })
  .strict();

export const sweepSchema = z
  .object({
    modes: z
      .array(z.enum(modeNames() as [string, ...string[]]))
      .min(1)
      .default(modeNames()),
    repetitions: z.number().int().min(1).default(1),
    /** iptables-restore profile for simulated sync time: a modern (nft) or legacy kernel. */
    iptablesProfile: z.enum(IPTABLES_PROFILES).default('modern'),
  })
  .strict();

export type Workload = z.output<typeof workloadSchema> & { packetIntervalNs: number };
export type SweepSpec = z.output<typeof sweepSchema>;

export function parseWorkload(raw: unknown, file = '(scenario)'): Workload {
  const r = workloadSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!r.success) throw schemaError(r.error, file, 'workload');
  const w = r.data;
  let packetIntervalNs: number;
  try {
    packetIntervalNs = typeof w.packetInterval === 'number' ? w.packetInterval : parseDuration(w.packetInterval);
  } catch (err) {
    throw new InputError((err as Error).message, file, 'workload.packetInterval', w.packetInterval);
  }
  return { ...w, packetIntervalNs };
}

export function parseSweep(raw: unknown, file = '(scenario)'): SweepSpec {
  const r = sweepSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!r.success) throw schemaError(r.error, file, 'sweep');
  return r.data;
}
