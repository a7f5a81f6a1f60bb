// Which service ports changed since the last sync: kube-proxy learns it from its change
// trackers (ServiceChangeTracker, EndpointsChangeTracker -> UpdatedServices); kpsim is handed
// the whole cluster each sync, so it compares a 53-bit hash of everything a port's rules are
// built from (two independent 32-bit lanes: a missed change needs a 2^-53 collision).
import type { ServicePortInfo } from './service-port.ts';

let h1 = 0;
let h2 = 0;

function mix(v: number): void {
  h1 = Math.imul(h1 ^ v, 0x85ebca6b) ^ (h1 >>> 13);
  h2 = Math.imul(h2 ^ v, 0xc2b2ae35) ^ (h2 >>> 16);
  h1 = (h1 << 5) | (h1 >>> 27);
  h2 = (h2 << 7) | (h2 >>> 25);
}

function mixString(s: string): void {
  mix(s.length);
  for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
}

function mixList(xs: readonly number[]): void {
  mix(xs.length);
  for (const x of xs) mix(x);
}

/** Two 32-bit lanes in one exact integer: 21 bits of the second above 32 of the first. */
function digest(): number {
  return (h2 & 0x1fffff) * 2 ** 32 + (h1 >>> 0);
}

/** A number that changes whenever anything of the port or its endpoints does (its name included). */
export function portSignature(s: ServicePortInfo): number {
  h1 = 0x9747b28c;
  h2 = 0x2545f491;
  mixString(s.name);
  mix(s.protoNumber);
  mix(s.clusterIP);
  mix(s.port);
  mix(s.nodePort);
  mix(s.healthCheckNodePort);
  mix(s.stickyMaxAgeSeconds);
  mixList(s.externalIPs);
  mixList(s.loadBalancerVIPs);
  mix(s.loadBalancerSourceRanges.length);
  for (const c of s.loadBalancerSourceRanges) {
    mix(c.addr);
    mix(c.prefix);
  }
  mix(
    (+s.usesClusterEndpoints << 4) |
      (+s.usesLocalEndpoints << 3) |
      (+s.externalPolicyLocal << 2) |
      (+s.internalPolicyLocal << 1) |
      +s.externallyAccessible,
  );
  mix(s.endpoints.length);
  for (const e of s.endpoints) {
    mix(e.ip);
    mix(e.port);
    mix((+e.ready << 3) | (+e.serving << 2) | (+e.terminating << 1) | +e.isLocal);
    mix(e.zoneHints.length);
    for (const z of e.zoneHints) mixString(z);
  }
  return digest();
}

/** "namespace/name" -> a number that changes whenever any port of the Service or its endpoints does. */
export function serviceSignatures(services: readonly ServicePortInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of services) {
    const key = `${s.namespace}/${s.serviceName}`;
    const port = portSignature(s);
    const prev = out.get(key);
    h1 = prev === undefined ? 0x9747b28c : prev >>> 0;
    h2 = prev === undefined ? 0x2545f491 : Math.floor(prev / 2 ** 32);
    mix(port >>> 0);
    mix(Math.floor(port / 2 ** 32));
    out.set(key, digest());
  }
  return out;
}
