// Reads and writes clusters as Kubernetes `List` objects, the way `kubectl get -o json` prints them
// (keys sorted, four-space indent), so real dumps load and our dumps load into kubectl tooling.
import { stringify as stringifyYaml } from 'yaml';
import { type ClusterConfig, DEFAULT_CONFIG, parsePortRange } from './config.ts';
import type { ConfigMap, EndpointSlice, Namespace, Node, Service } from './k8s-types.ts';
import { type Cluster, type Pod, emptyCluster, podsFromSlices } from './model.ts';
import { InputError, schemaError } from '../util/errors.ts';
import { KIND_SCHEMAS } from './schema.ts';
import { parseDataDocuments } from '../util/data-text.ts';
import { ioName, readInput, writeText } from '../util/stdio.ts';

/** kpsim keeps the cluster-wide settings a dump cannot show in this ConfigMap. */
export const CONFIG_MAP_NAME = 'kpsim-cluster-config';
export const CONFIG_MAP_NAMESPACE = 'kube-system';

export interface LoadResult {
  cluster: Cluster;
  /** Kinds present in the file that kpsim does not model, with counts. */
  skipped: Record<string, number>;
  /** Where the cluster settings came from: kpsim's ConfigMap, or defaults. */
  configFromFile: boolean;
  /** IPv4 CIDRs of the file's ServiceCIDR objects (networking.k8s.io/v1), with where each is. */
  serviceCidrs: { cidr: string; field: string }[];
}

export function readClusterFile(path: string): LoadResult {
  const text = readInput(path, 'file');
  return parseClusterText(text, ioName(path));
}

export function parseClusterText(text: string, path: string): LoadResult {
  return clusterFromObjects(parseDataDocuments(text, path), path);
}

function flattenItems(docs: unknown[], path: string): { obj: Record<string, unknown>; where: string }[] {
  const out: { obj: Record<string, unknown>; where: string }[] = [];
  docs.forEach((doc, d) => {
    const docWhere = docs.length > 1 ? `document ${d + 1}` : '';
    if (!isObject(doc)) throw new InputError('expected a Kubernetes object or List', path, docWhere || '(top level)', doc);
    if (
      doc.kind === 'List' ||
      (doc.kind === undefined && Array.isArray(doc.items)) ||
      (typeof doc.kind === 'string' && doc.kind.endsWith('List'))
    ) {
      if (!Array.isArray(doc.items))
        throw new InputError('a List must have an items array', path, `${docWhere ? docWhere + '.' : ''}items`, doc.items);
      doc.items.forEach((item, i) => {
        const where = `${docWhere ? docWhere + '.' : ''}items[${i}]`;
        if (!isObject(item)) throw new InputError('expected an object', path, where, item);
        out.push({ obj: item, where });
      });
    } else {
      out.push({ obj: doc, where: docWhere || '(top level)' });
    }
  });
  return out;
}

/** The objects as a cluster: each modelled kind's shape is checked (validate.ts checks the values). */
export function clusterFromObjects(docs: unknown[], path: string): LoadResult {
  const cluster = emptyCluster();
  const skipped: Record<string, number> = {};
  const podObjects: Pod[] = [];
  const serviceCidrs: LoadResult['serviceCidrs'] = [];
  let configFromFile = false;
  for (const { obj, where } of flattenItems(docs, path)) {
    const kind = obj.kind;
    if (typeof kind !== 'string') throw new InputError('object has no kind', path, `${where}.kind`, kind);
    const meta = obj.metadata;
    if (!isObject(meta) || typeof meta.name !== 'string' || meta.name === '') {
      throw new InputError('object has no metadata.name', path, `${where}.metadata.name`, isObject(meta) ? meta.name : meta);
    }
    const ours = kind === 'ConfigMap' && meta.name === CONFIG_MAP_NAME && meta.namespace === CONFIG_MAP_NAMESPACE;
    const shape = KIND_SCHEMAS[kind];
    if (shape && (kind !== 'ConfigMap' || ours)) {
      const r = shape.safeParse(obj, { reportInput: true });
      if (!r.success) throw schemaError(r.error, path, `${where} (${kind} ${objectName(meta)})`);
    }
    switch (kind) {
      case 'Node':
        cluster.nodes.push(withDefaults(obj, { spec: {}, status: {} }) as unknown as Node);
        break;
      case 'Service':
        if (!isObject(obj.spec)) throw new InputError('Service has no spec', path, `${where}.spec`, obj.spec);
        cluster.services.push(obj as unknown as Service);
        break;
      case 'EndpointSlice':
        cluster.endpointSlices.push(obj as unknown as EndpointSlice);
        break;
      case 'Namespace':
        cluster.namespaces.push(obj as unknown as Namespace);
        break;
      case 'ConfigMap':
        if (ours) {
          cluster.config = configFromData((obj as unknown as ConfigMap).data ?? {}, path, where);
          configFromFile = true;
        } else skipped.ConfigMap = (skipped.ConfigMap ?? 0) + 1;
        break;
      case 'ServiceCIDR':
        // kpsim models IPv4: a dual-stack ServiceCIDR's IPv6 range is left aside.
        (obj.spec as { cidrs: string[] }).cidrs.forEach((cidr, i) => {
          if (!cidr.includes(':')) serviceCidrs.push({ cidr, field: `${where} (ServiceCIDR ${meta.name}).spec.cidrs[${i}]` });
        });
        break;
      case 'Pod': {
        const spec = isObject(obj.spec) ? obj.spec : {};
        const status = isObject(obj.status) ? obj.status : {};
        if (typeof status.podIP === 'string') {
          podObjects.push({
            namespace: (meta.namespace as string) ?? 'default',
            name: meta.name,
            ip: status.podIP,
            nodeName: spec.nodeName as string | undefined,
            hostname: spec.hostname as string | undefined,
          });
        }
        break;
      }
      default:
        skipped[kind] = (skipped[kind] ?? 0) + 1;
    }
  }
  cluster.pods = podObjects.length > 0 ? podObjects : podsFromSlices(cluster.endpointSlices);
  return { cluster, skipped, configFromFile, serviceCidrs };
}

function objectName(meta: Record<string, unknown>): string {
  return typeof meta.namespace === 'string' ? `${meta.namespace}/${String(meta.name)}` : String(meta.name);
}

function configFromData(data: Record<string, string>, path: string, where: string): ClusterConfig {
  const c: ClusterConfig = { ...DEFAULT_CONFIG, nodePortRange: { ...DEFAULT_CONFIG.nodePortRange } };
  const str = (k: keyof ClusterConfig) => {
    if (data[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = String(data[k]);
  };
  str('clusterCIDR');
  str('serviceCIDR');
  str('clusterDomain');
  str('nodeNetworkCIDR');
  str('loadBalancerCIDR');
  for (const k of ['nodeCIDRMaskSize', 'maxPodsPerNode'] as const) {
    if (data[k] === undefined) continue;
    const n = Number(data[k]);
    if (!Number.isInteger(n)) throw new InputError('must be an integer', path, `${where}.data.${k}`, data[k]);
    c[k] = n;
  }
  if (data.nodePortRange !== undefined) c.nodePortRange = parsePortRange(String(data.nodePortRange), path, `${where}.data.nodePortRange`);
  return c;
}

export function configMapFor(config: ClusterConfig): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CONFIG_MAP_NAME, namespace: CONFIG_MAP_NAMESPACE },
    data: {
      clusterCIDR: config.clusterCIDR,
      clusterDomain: config.clusterDomain,
      loadBalancerCIDR: config.loadBalancerCIDR,
      maxPodsPerNode: String(config.maxPodsPerNode),
      nodeCIDRMaskSize: String(config.nodeCIDRMaskSize),
      nodeNetworkCIDR: config.nodeNetworkCIDR,
      nodePortRange: `${config.nodePortRange.min}-${config.nodePortRange.max}`,
      serviceCIDR: config.serviceCIDR,
    },
  };
}

/** The List's items in kubectl's order (nodes, services, endpointslices), then kpsim's config. */
export function clusterItems(cluster: Cluster): object[] {
  return [...cluster.namespaces, ...cluster.nodes, ...cluster.services, ...cluster.endpointSlices, configMapFor(cluster.config)];
}

/** Items stringified per native JSON.stringify call: large enough to amortise, small enough for V8's string limit. */
const ITEMS_PER_CHUNK = 500;

/** Streams the List as kubectl prints it: sorted keys, four-space indent, trailing newline. */
export function* clusterJsonChunks(cluster: Cluster): Generator<string> {
  const items = clusterItems(cluster);
  const head = '{\n    "items": [\n';
  const tail = '\n    ]\n}';
  yield '{\n    "apiVersion": "v1",\n    "items": [';
  for (let i = 0; i < items.length; i += ITEMS_PER_CHUNK) {
    // Wrapping the batch in {"items": [...]} makes JSON.stringify indent each item at depth 2,
    // exactly where it sits in the List.
    const text = JSON.stringify({ items: items.slice(i, i + ITEMS_PER_CHUNK).map(sortKeys) }, null, 4);
    yield (i === 0 ? '\n' : ',\n') + text.slice(head.length, text.length - tail.length);
  }
  yield `${items.length ? '\n    ' : ''}],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n`;
}

export function clusterToJson(cluster: Cluster): string {
  return [...clusterJsonChunks(cluster)].join('');
}

/** A .yaml/.yml path gets multi-document YAML, anything else (and "-", standard output) JSON. */
export function writeClusterFile(cluster: Cluster, path: string): void {
  if (/\.ya?ml$/i.test(path)) {
    writeText(path, clusterToYaml(cluster));
  } else {
    writeText(path, clusterJsonChunks(cluster));
  }
}

export function clusterToYaml(cluster: Cluster): string {
  // Multi-document YAML, one object per document, as `kubectl get -o yaml` users often keep them.
  return clusterItems(cluster)
    .map((item) => yamlDoc(sortKeys(item)))
    .join('');
}

function yamlDoc(obj: unknown): string {
  return '---\n' + stringifyYaml(obj, { lineWidth: 0 });
}

/** Recursively sorts object keys, as kubectl's unstructured JSON printer does. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    if (value[k] !== undefined) out[k] = sortKeys(value[k]);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withDefaults(obj: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(defaults)) if (obj[k] === undefined) obj[k] = v;
  return obj;
}
