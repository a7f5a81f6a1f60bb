// The shapes of the Kubernetes objects kpsim reads (the fields it uses and their JSON types), checked
// before anything reads them; the rules on their values (names, ranges, uniqueness) are in
// validate.ts. Other fields are not checked (real `kubectl get -o json` dumps have many): the loader
// keeps the objects as read and only asks zod whether they fit (zod's copy drops the other fields).
import { z } from 'zod';

const str = z.string();
const int = z.number().int();
const strings = z.array(str);
const stringMap = z.record(str, str);

const metadata = z.object({
  name: str.min(1),
  namespace: str.optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

const nodeSchema = z.object({
  metadata,
  spec: z.object({ podCIDR: str.optional(), podCIDRs: strings.optional() }).optional(),
  status: z.object({ addresses: z.array(z.object({ type: str, address: str })).optional() }).optional(),
});

const servicePort = z.object({
  name: str.optional(),
  protocol: str.optional(),
  port: int,
  targetPort: z.union([int, str]).optional(),
  nodePort: int.optional(),
  appProtocol: str.optional(),
});

const serviceSchema = z.object({
  metadata,
  spec: z.object({
    type: str.optional(),
    clusterIP: str.optional(),
    clusterIPs: strings.optional(),
    ports: z.array(servicePort).optional(),
    selector: stringMap.optional(),
    sessionAffinity: str.optional(),
    sessionAffinityConfig: z.object({ clientIP: z.object({ timeoutSeconds: int.optional() }).optional() }).optional(),
    externalTrafficPolicy: str.optional(),
    internalTrafficPolicy: str.optional(),
    healthCheckNodePort: int.optional(),
    externalIPs: strings.optional(),
    externalName: str.optional(),
    loadBalancerSourceRanges: strings.optional(),
    loadBalancerIP: str.optional(),
    ipFamilies: strings.optional(),
    ipFamilyPolicy: str.optional(),
    publishNotReadyAddresses: z.boolean().optional(),
  }),
  status: z
    .looseObject({
      loadBalancer: z
        .looseObject({
          ingress: z.array(z.object({ ip: str.optional(), hostname: str.optional(), ipMode: str.optional() })).optional(),
        })
        .optional(),
    })
    .optional(),
});

const endpoint = z.object({
  addresses: strings,
  conditions: z.object({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() }).optional(),
  hostname: str.optional(),
  nodeName: str.optional(),
  zone: str.optional(),
  targetRef: z.object({ kind: str.optional(), name: str.optional(), namespace: str.optional() }).optional(),
  hints: z
    .looseObject({
      forZones: z.array(z.object({ name: str })).optional(),
      forNodes: z.array(z.object({ name: str })).optional(),
    })
    .optional(),
});

const endpointSliceSchema = z.object({
  metadata,
  addressType: str,
  // The API's JSON has `null` for a slice without endpoints or ports.
  endpoints: z.array(endpoint).nullable().optional(),
  ports: z
    .array(z.object({ name: str.optional(), port: int.optional(), protocol: str.optional(), appProtocol: str.optional() }))
    .nullable()
    .optional(),
});

const podSchema = z.object({
  metadata,
  spec: z.object({ nodeName: str.optional(), hostname: str.optional() }).optional(),
  status: z.object({ podIP: str.optional() }).optional(),
});

const configMapSchema = z.object({ metadata, data: z.record(str, z.union([str, z.number()])).optional() });

/** networking.k8s.io/v1 ServiceCIDR, as `kubectl get servicecidrs -o json` prints it. */
const serviceCidrSchema = z.object({ metadata, spec: z.object({ cidrs: strings.min(1) }) });

/** The shape each modelled kind must have; kinds not listed are counted and skipped. */
export const KIND_SCHEMAS: Record<string, z.ZodType> = {
  Node: nodeSchema,
  Service: serviceSchema,
  EndpointSlice: endpointSliceSchema,
  Namespace: z.object({ metadata }),
  Pod: podSchema,
  ConfigMap: configMapSchema,
  ServiceCIDR: serviceCidrSchema,
};
