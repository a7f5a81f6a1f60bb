// Semantic checks on a cluster: the rules the API server and controllers would enforce,
// reported with the object and field path so a user can find the bad value in their dump.
import { type Cidr, cidrContains, cidrsOverlap, tryParseCidr, tryParseIPv4 } from '../util/ipv4.ts';
import { InputError } from '../util/errors.ts';
import { checkConfig } from './config.ts';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelKey, isLabelValue, NAME_RULES } from '../dns/names.ts';
import { type ObjectMeta, PROTOCOLS, SERVICE_NAME_LABEL, SERVICE_TYPES, type Service } from './k8s-types.ts';
import { type Cluster, serviceKey, slicesByService } from './model.ts';

export interface Problem {
  level: 'error' | 'warning';
  /** What to do about it, shown after the value. */
  hint?: string;
  field: string;
  message: string;
  value?: unknown;
}

const IANA_SVC_NAME = /^(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface ValidateOptions {
  /** Ranges that are kpsim's defaults, not the cluster's own: a value outside one says how to give it. */
  defaulted?: { serviceCIDR?: boolean; clusterCIDR?: boolean };
}

export function validateCluster(cluster: Cluster, file?: string, opts: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const error = (field: string, message: string, value?: unknown, hint?: string) =>
    problems.push({ level: 'error', field, message, value, ...(hint ? { hint } : {}) });
  const warn = (field: string, message: string, value?: unknown) => problems.push({ level: 'warning', field, message, value });

  const cidrs = checkConfig(cluster.config, file);
  checkNames(cluster, error);
  const hint = (range: 'serviceCIDR' | 'clusterCIDR', flag: string) =>
    opts.defaulted?.[range] ? `that range is kpsim's default: give the cluster's own with ${flag}` : undefined;
  checkNodes(cluster, cidrs.cluster, hint('clusterCIDR', '--cluster-cidr'), error, warn);
  checkServices(cluster, cidrs.service, hint('serviceCIDR', '--service-cidr'), error, warn);
  checkSlices(cluster, error, warn);
  return problems;
}

/** Throws the first error (with a count of the rest); returns the warnings. */
export function assertValidCluster(cluster: Cluster, file?: string, opts: ValidateOptions = {}): Problem[] {
  const problems = validateCluster(cluster, file, opts);
  const errors = problems.filter((p) => p.level === 'error');
  if (errors.length > 0) {
    const first = errors[0];
    const more = errors.length > 1 ? ` [and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''}]` : '';
    throw new InputError(first.message + more, file, first.field, first.value, first.hint);
  }
  return problems;
}

type Report = (field: string, message: string, value?: unknown, hint?: string) => void;

/**
 * Names as the API server checks them (Service: DNS-1035 label; namespaces, port names and
 * hostnames: DNS-1123 labels; Nodes and EndpointSlices: DNS-1123 subdomains; labels). They end up
 * in iptables comments, chain hashes and DNS records, so a name that passes cannot inject anything.
 */
function checkNames(cluster: Cluster, error: Report): void {
  const name = (field: string, value: string, ok: (s: string) => boolean, rule: keyof typeof NAME_RULES) => {
    if (!ok(value)) error(field, `not a valid name: must be ${NAME_RULES[rule]}`, value);
  };
  const meta = (kind: string, m: ObjectMeta, nameRule: 'dns1123Label' | 'dns1035Label' | 'dns1123Subdomain', namespaced: boolean) => {
    const where = `${kind} ${namespaced ? `${m.namespace ?? 'default'}/` : ''}${m.name}`;
    const check = { dns1123Label: isDns1123Label, dns1035Label: isDns1035Label, dns1123Subdomain: isDns1123Subdomain }[nameRule];
    name(`${where}.metadata.name`, m.name, check, nameRule);
    if (namespaced && m.namespace !== undefined) name(`${where}.metadata.namespace`, m.namespace, isDns1123Label, 'dns1123Label');
    for (const [k, v] of Object.entries(m.labels ?? {})) {
      if (!isLabelKey(k)) error(`${where}.metadata.labels`, `not a valid label key: must be ${NAME_RULES.labelKey}`, k);
      else if (!isLabelValue(v)) error(`${where}.metadata.labels.${k}`, `not a valid label value: must be ${NAME_RULES.labelValue}`, v);
    }
    return where;
  };
  for (const ns of cluster.namespaces) meta('Namespace', ns.metadata, 'dns1123Label', false);
  for (const node of cluster.nodes) meta('Node', node.metadata, 'dns1123Subdomain', false);
  for (const svc of cluster.services) {
    const where = meta('Service', svc.metadata, 'dns1035Label', true);
    (svc.spec.ports ?? []).forEach((p, j) => {
      if (p.name !== undefined && p.name !== '') name(`${where}.spec.ports[${j}].name`, p.name, isDns1123Label, 'dns1123Label');
    });
  }
  for (const slice of cluster.endpointSlices) {
    const where = meta('EndpointSlice', slice.metadata, 'dns1123Subdomain', true);
    (slice.ports ?? []).forEach((p, j) => {
      if (p.name !== undefined && p.name !== '') name(`${where}.ports[${j}].name`, p.name, isDns1123Label, 'dns1123Label');
    });
    (slice.endpoints ?? []).forEach((ep, j) => {
      if (ep.hostname !== undefined) name(`${where}.endpoints[${j}].hostname`, ep.hostname, isDns1123Label, 'dns1123Label');
      if (ep.nodeName !== undefined) name(`${where}.endpoints[${j}].nodeName`, ep.nodeName, isDns1123Subdomain, 'dns1123Subdomain');
    });
  }
  for (const pod of cluster.pods) {
    if (pod.hostname !== undefined) name(`Pod ${pod.namespace}/${pod.name}.spec.hostname`, pod.hostname, isDns1123Label, 'dns1123Label');
  }
}

function checkNodes(cluster: Cluster, clusterCidr: Cidr, hint: string | undefined, error: Report, warn: Report): void {
  const names = new Set<string>();
  const podCidrs: { cidr: Cidr; where: string; text: string }[] = [];
  cluster.nodes.forEach((node, i) => {
    const where = `Node ${node.metadata.name}`;
    if (names.has(node.metadata.name)) error(`${where}.metadata.name`, 'duplicate Node name', node.metadata.name);
    names.add(node.metadata.name);
    for (const [j, a] of (node.status.addresses ?? []).entries()) {
      if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && tryParseIPv4(a.address) === null) {
        error(`${where}.status.addresses[${j}].address`, 'not a valid IPv4 address', a.address);
      }
    }
    const texts = node.spec.podCIDRs ?? (node.spec.podCIDR ? [node.spec.podCIDR] : []);
    texts.forEach((text, j) => {
      const field = node.spec.podCIDRs ? `${where}.spec.podCIDRs[${j}]` : `${where}.spec.podCIDR`;
      const cidr = tryParseCidr(text);
      if (!cidr) return void error(field, 'not a valid IPv4 CIDR', text);
      if (!cidrContains(clusterCidr, cidr.addr) || cidr.prefix < clusterCidr.prefix) {
        error(field, `pod CIDR is outside the cluster CIDR ${cluster.config.clusterCIDR}`, text, hint);
      }
      podCidrs.push({ cidr, where: field, text });
    });
    void i;
  });
  // Sorted by address, any overlap shows up between neighbours.
  podCidrs.sort((a, b) => a.cidr.addr - b.cidr.addr || a.cidr.prefix - b.cidr.prefix);
  for (let k = 1; k < podCidrs.length; k++) {
    if (cidrsOverlap(podCidrs[k - 1].cidr, podCidrs[k].cidr)) {
      error(podCidrs[k].where, `pod CIDR overlaps ${podCidrs[k - 1].where} (${podCidrs[k - 1].text})`, podCidrs[k].text);
    }
  }
  void warn;
}

function checkServices(cluster: Cluster, serviceCidr: Cidr, hint: string | undefined, error: Report, warn: Report): void {
  const { min, max } = cluster.config.nodePortRange;
  const seenKeys = new Set<string>();
  const clusterIPs = new Map<number, string>();
  const nodePorts = new Map<number, string>();
  const slices = slicesByService(cluster);
  for (const svc of cluster.services) {
    const key = serviceKey(svc.metadata.namespace, svc.metadata.name);
    const where = `Service ${key}`;
    if (seenKeys.has(key)) error(`${where}.metadata.name`, 'duplicate Service', key);
    seenKeys.add(key);
    const spec = svc.spec;
    const type = spec.type ?? 'ClusterIP';
    if (!SERVICE_TYPES.includes(type))
      error(`${where}.spec.type`, `unknown service type (expected one of ${SERVICE_TYPES.join(', ')})`, type);
    checkClusterIP(svc, type, where, serviceCidr, cluster.config.serviceCIDR, hint, clusterIPs, error);
    const portNames = new Set<string>();
    (spec.ports ?? []).forEach((p, j) => {
      const pw = `${where}.spec.ports[${j}]`;
      const proto = p.protocol ?? 'TCP';
      if (!PROTOCOLS.includes(proto)) error(`${pw}.protocol`, `unknown protocol (expected ${PROTOCOLS.join(', ')})`, p.protocol);
      if (!isPort(p.port)) error(`${pw}.port`, 'port must be an integer in 1-65535', p.port);
      if (typeof p.targetPort === 'number' ? !isPort(p.targetPort) : p.targetPort !== undefined && !IANA_SVC_NAME.test(p.targetPort)) {
        error(`${pw}.targetPort`, 'targetPort must be a port number or a container port name', p.targetPort);
      }
      if ((spec.ports?.length ?? 0) > 1) {
        if (!p.name) error(`${pw}.name`, 'ports must be named when a Service has more than one', p.name);
        else if (portNames.has(p.name)) error(`${pw}.name`, 'duplicate port name', p.name);
        portNames.add(p.name ?? '');
      }
      if (p.nodePort !== undefined) {
        if (type !== 'NodePort' && type !== 'LoadBalancer')
          error(`${pw}.nodePort`, `nodePort is only allowed for NodePort and LoadBalancer services, not ${type}`, p.nodePort);
        else claimNodePort(p.nodePort, `${pw}.nodePort`, key, min, max, nodePorts, error);
      }
    });
    if (spec.healthCheckNodePort !== undefined) {
      // The API server refuses it; kube-proxy ignores it (its own tests set it so), so a warning.
      if (type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local')
        warn(
          `${where}.spec.healthCheckNodePort`,
          'healthCheckNodePort needs type LoadBalancer with externalTrafficPolicy Local; kube-proxy ignores it here',
          spec.healthCheckNodePort,
        );
      else claimNodePort(spec.healthCheckNodePort, `${where}.spec.healthCheckNodePort`, key, min, max, nodePorts, error);
    }
    for (const [field, allowed] of [
      ['externalTrafficPolicy', ['Cluster', 'Local']],
      ['internalTrafficPolicy', ['Cluster', 'Local']],
      ['sessionAffinity', ['None', 'ClientIP']],
    ] as const) {
      const v = spec[field];
      if (v !== undefined && !(allowed as readonly string[]).includes(v))
        error(`${where}.spec.${field}`, `must be one of ${allowed.join(', ')}`, v);
    }
    const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 86400)) {
      error(`${where}.spec.sessionAffinityConfig.clientIP.timeoutSeconds`, 'must be an integer in 1-86400', timeout);
    }
    (spec.externalIPs ?? []).forEach((ip, j) => {
      if (tryParseIPv4(ip) === null) error(`${where}.spec.externalIPs[${j}]`, 'not a valid IPv4 address', ip);
    });
    (spec.loadBalancerSourceRanges ?? []).forEach((r, j) => {
      if (!tryParseCidr(r.trim(), false)) error(`${where}.spec.loadBalancerSourceRanges[${j}]`, 'not a valid IPv4 CIDR', r);
    });
    (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, j) => {
      if (ing.ip !== undefined && tryParseIPv4(ing.ip) === null)
        error(`${where}.status.loadBalancer.ingress[${j}].ip`, 'not a valid IPv4 address', ing.ip);
    });
    if (type !== 'ExternalName' && spec.selector && Object.keys(spec.selector).length > 0) {
      const hasEndpoint = (slices.get(key) ?? []).some((s) => (s.endpoints ?? []).length > 0);
      if (!hasEndpoint)
        warn(`${where}.spec.selector`, 'selector matches no pods: the Service has no endpoints and rejects traffic', spec.selector);
    }
  }
}

function checkClusterIP(
  svc: Service,
  type: string,
  where: string,
  cidr: Cidr,
  cidrText: string,
  hint: string | undefined,
  seen: Map<number, string>,
  error: Report,
): void {
  const ip = svc.spec.clusterIP;
  if (type === 'ExternalName') {
    if (!svc.spec.externalName) error(`${where}.spec.externalName`, 'ExternalName services need spec.externalName', svc.spec.externalName);
    return;
  }
  if (ip === undefined || ip === '') return void error(`${where}.spec.clusterIP`, 'Service has no clusterIP', ip);
  if (ip === 'None') {
    if (type !== 'ClusterIP')
      error(`${where}.spec.clusterIP`, `headless (clusterIP: None) is only valid for type ClusterIP, not ${type}`, ip);
    return;
  }
  const addr = tryParseIPv4(ip);
  if (addr === null) return void error(`${where}.spec.clusterIP`, 'not a valid IPv4 address', ip);
  if (!cidrContains(cidr, addr))
    return void error(`${where}.spec.clusterIP`, `clusterIP is outside the service CIDR ${cidrText}`, ip, hint);
  if (addr === cidr.addr) return void error(`${where}.spec.clusterIP`, `clusterIP is the network address of ${cidrText}`, ip);
  const other = seen.get(addr);
  if (other) error(`${where}.spec.clusterIP`, `clusterIP already allocated to Service ${other}`, ip);
  else seen.set(addr, where.slice('Service '.length));
}

function claimNodePort(
  port: number,
  field: string,
  owner: string,
  min: number,
  max: number,
  seen: Map<number, string>,
  error: Report,
): void {
  if (!Number.isInteger(port) || port < min || port > max) return void error(field, `nodePort is outside the range ${min}-${max}`, port);
  const other = seen.get(port);
  // One Service may use the same nodePort for TCP and UDP (e.g. DNS); two Services may not share one.
  if (other !== undefined && other !== owner) error(field, `nodePort already allocated to Service ${other}`, port);
  else seen.set(port, owner);
}

function checkSlices(cluster: Cluster, error: Report, warn: Report): void {
  const services = new Set(cluster.services.map((s) => serviceKey(s.metadata.namespace, s.metadata.name)));
  for (const slice of cluster.endpointSlices) {
    const where = `EndpointSlice ${slice.metadata.namespace ?? 'default'}/${slice.metadata.name}`;
    const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!owner) warn(`${where}.metadata.labels`, `slice has no ${SERVICE_NAME_LABEL} label: no Service will use it`);
    else if (!services.has(serviceKey(slice.metadata.namespace, owner)))
      warn(
        `${where}.metadata.labels.${SERVICE_NAME_LABEL}`,
        `the slice's Service ${serviceKey(slice.metadata.namespace, owner)} is not in the cluster: no Service will use it`,
        owner,
      );
    if (slice.addressType !== 'IPv4') {
      warn(`${where}.addressType`, 'only IPv4 slices are modelled; this one is ignored', slice.addressType);
      continue;
    }
    (slice.ports ?? []).forEach((p, j) => {
      if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol))
        error(`${where}.ports[${j}].protocol`, `unknown protocol (expected ${PROTOCOLS.join(', ')})`, p.protocol);
      if (p.port !== undefined && !isPort(p.port)) error(`${where}.ports[${j}].port`, 'port must be an integer in 1-65535', p.port);
    });
    (slice.endpoints ?? []).forEach((ep, j) => {
      if (!Array.isArray(ep.addresses) || ep.addresses.length === 0)
        return void error(`${where}.endpoints[${j}].addresses`, 'endpoint has no addresses', ep.addresses);
      ep.addresses.forEach((a, k) => {
        if (tryParseIPv4(a) === null) error(`${where}.endpoints[${j}].addresses[${k}]`, 'not a valid IPv4 address', a);
      });
    });
  }
}

function isPort(p: unknown): boolean {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}
