// Endpoints of each service port from EndpointSlices, as kube-proxy's EndpointSliceCache
// computes them (pkg/proxy/endpointslicecache.go, endpointInfoByServicePort / addEndpoints).
import type { EndpointSlice, Protocol } from '../cluster/k8s-types.ts';
import { SERVICE_NAME_LABEL } from '../cluster/k8s-types.ts';
import { tryParseIPv4 } from '../util/ipv4.ts';
import type { EndpointInfo } from './service-port.ts';

/** Key of a service port: "ns/service" + port name + protocol (ServicePortName with Protocol). */
export function portKey(namespace: string, service: string, portName: string, protocol: Protocol): string {
  return `${namespace}/${service}\u0000${portName}\u0000${protocol}`;
}

/**
 * Every IPv4 slice's endpoints grouped by service port. Per port: endpoints without addresses
 * are skipped, the first address is used, duplicates ("ip:port") keep a non-terminating one,
 * and the list is sorted by "ip:port" string (kube-proxy's byEndpoint).
 */
export function endpointsByServicePort(slices: EndpointSlice[], nodeName: string): Map<string, EndpointInfo[]> {
  // One list per port, sorted and deduplicated at the end: a map per port would be ~1 KB of
  // garbage each, 100 MB at 10^5 ports.
  const out = new Map<string, EndpointInfo[]>();
  for (const slice of slices) {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc || slice.addressType !== 'IPv4') continue;
    const ns = slice.metadata.namespace ?? 'default';
    for (const p of slice.ports ?? []) {
      // kube-proxy ignores a port with a nil name; a dump may omit `name: ""`, so treat it as "".
      if (p.port === undefined || p.port === 0) continue;
      const key = portKey(ns, svc, p.name ?? '', p.protocol ?? 'TCP');
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      for (const ep of slice.endpoints ?? []) {
        const info = endpointInfo(ep, p.port, nodeName);
        if (info) list.push(info);
      }
    }
  }
  for (const list of out.values()) {
    // Stable: duplicates stay in the order they came.
    list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    dedupe(list);
  }
  return out;
}

/** Of each run of one "ip:port", the last non-terminating endpoint, else the first. */
function dedupe(list: EndpointInfo[]): void {
  let n = 0;
  for (let i = 0; i < list.length; ) {
    let j = i + 1;
    let keep = list[i];
    for (; j < list.length && list[j].key === keep.key; j++) if (!list[j].terminating) keep = list[j];
    list[n++] = keep;
    i = j;
  }
  list.length = n;
}

const NO_CONDITIONS = {} as { ready?: boolean; serving?: boolean; terminating?: boolean };
const NO_ZONES: string[] = [];

function endpointInfo(ep: NonNullable<EndpointSlice['endpoints']>[number], port: number, nodeName: string): EndpointInfo | null {
  if (!Array.isArray(ep.addresses) || ep.addresses.length === 0) return null;
  const ip = tryParseIPv4(ep.addresses[0]);
  if (ip === null) return null;
  const c = ep.conditions ?? NO_CONDITIONS;
  // tryParseIPv4 accepts only canonical dotted quads (no leading zeros, no spaces).
  const ipText = ep.addresses[0];
  const hints = (ep as { hints?: { forZones?: { name?: string }[] } }).hints;
  const zones = hints?.forZones;
  return {
    ip,
    ipText,
    port,
    key: `${ipText}:${port}`,
    // A nil condition means ready/serving (API defaults), not terminating.
    ready: c.ready ?? true,
    serving: c.serving ?? true,
    terminating: c.terminating ?? false,
    nodeName: ep.nodeName,
    isLocal: nodeName !== '' && ep.nodeName === nodeName,
    zoneHints: zones && zones.length > 0 ? zones.map((z) => z.name ?? '').filter((z) => z !== '') : NO_ZONES,
  };
}
