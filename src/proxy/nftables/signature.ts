// Which services changed since the last sync: kube-proxy learns it from its change trackers
// (ServiceChangeTracker, EndpointsChangeTracker -> UpdatedServices); kpsim is handed the whole
// cluster each sync, so it compares, per Service, everything its rules are built from.
import type { ServicePortInfo } from '../service-port.ts';

/** "namespace/name" -> a string that changes whenever any port of the Service or its endpoints does. */
export function serviceSignatures(services: readonly ServicePortInfo[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of services) {
    const key = `${s.namespace}/${s.serviceName}`;
    let sig =
      `${s.portName}|${s.protocol}|${s.clusterIP}|${s.port}|${s.nodePort}|${s.sessionAffinity}|${s.stickyMaxAgeSeconds}|` +
      `${s.externalIPs.join(',')}|${s.loadBalancerVIPs.join(',')}|` +
      `${s.loadBalancerSourceRanges.map((c) => `${c.addr}/${c.prefix}`).join(',')}|` +
      `${s.externalPolicyLocal}|${s.internalPolicyLocal}|${s.externallyAccessible}|`;
    for (const e of s.endpoints)
      sig += `${e.key}/${+e.ready}${+e.serving}${+e.terminating}${+e.isLocal}${e.zoneHints.length > 0 ? e.zoneHints.join('+') : ''};`;
    const prev = out.get(key);
    out.set(key, prev === undefined ? sig : `${prev}\n${sig}`);
  }
  return out;
}
