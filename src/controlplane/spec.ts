// The scenario's `churn` section: what changes in the API over time and how each node's
// kube-proxy loop is configured. Validated here (the scenario schema leaves it free-form).
import { z } from 'zod';
import { IPTABLES_PROFILES } from '../netfilter/costs.ts';
import { parseDuration } from '../engine/simulator.ts';
import { schemaError } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';

/** Kinds of churn event. Rolling updates and scale-ups expand into several API changes. */
export const CHURN_KINDS = [
  'serviceCreate',
  'serviceDelete',
  'endpointAdd',
  'endpointRemove',
  'endpointReady',
  'endpointNotReady',
  'endpointTerminating',
  'rollingUpdate',
  'scaleUp',
] as const;
export type ChurnKind = (typeof CHURN_KINDS)[number];

/** Relative mix used when only a total `rate` is given (events of each kind per event). */
export const DEFAULT_MIX: Readonly<Record<ChurnKind, number>> = {
  serviceCreate: 0.05,
  serviceDelete: 0.05,
  endpointAdd: 0.2,
  endpointRemove: 0.2,
  endpointReady: 0.15,
  endpointNotReady: 0.15,
  endpointTerminating: 0.1,
  rollingUpdate: 0.05,
  scaleUp: 0.05,
};

/** A Go-style duration ("10s", "1m30s") or a number of seconds, as integer ns. */
const duration = z.union([
  z
    .number()
    .min(0)
    .transform((s) => Math.round(s * 1e9)),
  z.string().transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
]);

const rate = z.number().min(0);

const timelineEntry = z
  .object({
    at: duration,
    kind: z.enum(CHURN_KINDS),
    count: z.number().int().min(1).default(1),
    /** "namespace/name" of the target; a random service when omitted. */
    service: z
      .string()
      .regex(/^[^/\s]+\/[^/\s]+$/, 'must be "namespace/name"')
      .optional(),
  })
  .strict();

export const churnSchema = z
  .object({
    /** Simulated time during which changes arrive (the loops then drain what is pending). */
    duration: duration.default(300e9),
    /** Simulated kube-proxy instances (nodes), each with its own loop phase. */
    nodes: z.number().int().min(1).max(1_000_000).default(10),
    /** Width of the time windows latency is reported in. */
    window: duration.default(30e9),
    /** Interval at which the pending-change queue is sampled. */
    sampleInterval: duration.default(1e9),
    /** Poisson rates per kind, events per second. */
    rates: z.partialRecord(z.enum(CHURN_KINDS), rate).default({}),
    /** Total event rate: scales `rates` (or DEFAULT_MIX when none) so their sum is this. */
    rate: rate.optional(),
    timeline: z.array(timelineEntry).default([]),
    /** Pod start to ready, in rolling updates and scale-ups. */
    readyDelay: duration.default(5e9),
    /** Terminating endpoint to its removal (terminationGracePeriodSeconds). */
    terminationGracePeriod: duration.default(30e9),
    /** Endpoints added by one scaleUp event. */
    scaleUpCount: z.number().int().min(1).default(3),
    /** BoundedFrequencyRunner minInterval; default: the scenario's proxy config (1s). */
    minSyncPeriod: duration.optional(),
    /** BoundedFrequencyRunner maxInterval (a sync at least this often); default: proxy config (30s). */
    syncPeriod: duration.optional(),
    /** A sync is a full one when the last full sync started at least this long ago; default syncPeriod. */
    fullSyncPeriod: duration.optional(),
    burstSyncs: z.number().int().min(1).default(2),
    /** KEP-3453 partial iptables-restore (MinimizeIPTablesRestore). */
    minimizeIPTablesRestore: z.boolean().default(false),
    profile: z.enum(IPTABLES_PROFILES).default('modern'),
    /** Loop phase of every node: 'random' (uniform in [0, syncPeriod)) or a fixed offset. */
    phase: z.union([z.literal('random'), duration]).default('random'),
    /** Latency samples kept exactly; beyond, a 0.1%-resolution log histogram. */
    exactSamples: z.number().int().min(0).default(4_000_000),
    /** Reference node whose ruleset is measured; default the first node. */
    node: z.string().min(1).optional(),
  })
  .strict();

export type ChurnSpec = z.output<typeof churnSchema>;

/** Validates the scenario's `churn` section (absent means all defaults). */
export function parseChurnSpec(raw: unknown, file = '(scenario)'): ChurnSpec {
  const parsed = churnSchema.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) throw schemaError(parsed.error, file, 'churn');
  return parsed.data;
}

export function scenarioChurn(s: Scenario): ChurnSpec {
  return parseChurnSpec(s.churn, s.file ?? '(scenario)');
}

/** Poisson rates per kind after applying a total `rate`. */
export function effectiveRates(spec: ChurnSpec): Record<ChurnKind, number> {
  const out = Object.fromEntries(CHURN_KINDS.map((k) => [k, spec.rates[k] ?? 0])) as Record<ChurnKind, number>;
  if (spec.rate === undefined) return out;
  const given = CHURN_KINDS.reduce((sum, k) => sum + out[k], 0);
  const mix = given > 0 ? out : { ...DEFAULT_MIX };
  const total = CHURN_KINDS.reduce((sum, k) => sum + mix[k], 0);
  for (const k of CHURN_KINDS) out[k] = (mix[k] / total) * spec.rate;
  return out;
}
