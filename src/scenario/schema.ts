// The scenario file format, validated on load. Unknown keys are errors, so a typo never
// silently falls back to a default.
import { z } from 'zod';

const fraction = z.number().min(0).max(1);
const count = z.number().int().min(0);

/** A distribution of non-negative integers; a bare number means "always this many". */
export const distributionSchema = z.union([
  count.transform((value) => ({ kind: 'fixed' as const, value })),
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('fixed'), value: count }).strict(),
    z
      .object({ kind: z.literal('uniform'), min: count, max: count })
      .strict()
      .refine((d) => d.min <= d.max, { message: 'min must not exceed max', path: ['max'] }),
    z.object({ kind: z.literal('zipf'), n: z.number().int().min(1), s: z.number().min(0) }).strict(),
    z.object({ kind: z.literal('lognormal'), mu: z.number(), sigma: z.number().min(0) }).strict(),
    z.object({ kind: z.literal('poisson'), mean: z.number().min(0) }).strict(),
  ]),
]);

const weights = <K extends string>(keys: readonly [K, ...K[]]) =>
  z
    .partialRecord(z.enum(keys), z.number().min(0))
    .refine((w) => Object.values(w).some((v) => (v as number) > 0), { message: 'at least one weight must be positive' });

export const SERVICE_KINDS = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'Headless'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

const scales = z.union([
  z.number().int().min(0),
  z
    .array(z.number().int().min(0))
    .min(1)
    .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]), { message: 'scales must be strictly increasing' }),
]);

export const clusterOverridesSchema = z
  .object({
    clusterCIDR: z.string(),
    serviceCIDR: z.string(),
    nodeCIDRMaskSize: z.number().int(),
    nodePortRange: z.string(),
    clusterDomain: z.string(),
    nodeNetworkCIDR: z.string(),
    loadBalancerCIDR: z.string(),
    maxPodsPerNode: z.number().int(),
  })
  .partial()
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    seed: z.union([z.number().int(), z.string().min(1)]).default(1),
    cluster: clusterOverridesSchema.default({}),
    nodes: z.number().int().min(1).default(3),
    zones: z.number().int().min(1).max(26).default(3),
    namespaces: z.number().int().min(1).default(1),
    services: scales,
    endpointsPerService: distributionSchema.default({ kind: 'fixed', value: 3 }),
    portsPerService: distributionSchema.default({ kind: 'fixed', value: 1 }),
    serviceTypes: weights(SERVICE_KINDS).default({ ClusterIP: 1 }),
    protocols: weights(['TCP', 'UDP', 'SCTP'] as const).default({ TCP: 1 }),
    sessionAffinity: fraction.default(0),
    externalTrafficPolicyLocal: fraction.default(0),
    internalTrafficPolicyLocal: fraction.default(0),
    endpointConditions: z
      .object({ notReady: fraction.default(0), terminating: fraction.default(0) })
      .strict()
      .default({ notReady: 0, terminating: 0 }),
    systemServices: z.boolean().default(true),
    // Sections read by later stages (proxy modes, workload, sweeps, cost model, churn); each
    // stage validates its own section with its own schema.
    proxy: z.record(z.string(), z.unknown()).optional(),
    workload: z.record(z.string(), z.unknown()).optional(),
    sweep: z.record(z.string(), z.unknown()).optional(),
    costModel: z.record(z.string(), z.unknown()).optional(),
    /** A cost-model file (e.g. from `kpsim calibrate`), relative to the scenario; `costModel` goes on top. */
    costModelFile: z.string().min(1).optional(),
    churn: z.record(z.string(), z.unknown()).optional(),
    dns: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema> & { name: string; file?: string };
export type DistributionSpecInput = z.output<typeof distributionSchema>;
