// Object names as kube-proxy's nftables proxier derives them (pkg/proxy/nftables/proxier.go,
// hashAndTruncate, servicePortChainNameBase, servicePortEndpointChainNameBase): the first 8
// characters of base32(sha256(name)), a hyphen, then the readable name
// "namespace/service/protocol/port[__endpointIP/endpointPort]", cut to 240 characters with
// "..." (knftables.NameLengthMax 256 minus a 16-character prefix budget). The SHA-256 and the
// base32 encoding are the iptables mode's (the same Go functions underneath).
import { base32 } from '../iptables/chain-names.ts';
import { sha256 } from '../iptables/sha256.ts';

const NAME_LENGTH_MAX = 256;
const PREFIX_LENGTH_MAX = 16;
const BASE_LENGTH_MAX = NAME_LENGTH_MAX - PREFIX_LENGTH_MAX;

export const SERVICE_PREFIX = 'service-';
export const LOCAL_PREFIX = 'local-';
export const EXTERNAL_PREFIX = 'external-';
export const FIREWALL_PREFIX = 'firewall-';
export const ENDPOINT_PREFIX = 'endpoint-';
export const AFFINITY_PREFIX = 'affinity-';

// kube-proxy computes these once per ServicePort/Endpoint object and keeps them across syncs;
// this cache does the same, bounded so a long sweep does not keep every name it ever saw.
const cache = new Map<string, string>();
const CACHE_LIMIT = 1 << 20;

/** hashAndTruncate: "HASH8-name", truncated to 240 characters ending in "...". */
export function hashAndTruncate(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let out = base32(sha256(name)).slice(0, 8) + '-' + name;
  if (out.length > BASE_LENGTH_MAX) out = out.slice(0, BASE_LENGTH_MAX - 3) + '...';
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(name, out);
  return out;
}

/** "HASH-ns/name/proto/port" for a service port (protocol lower-case, portName may be ""). */
export function servicePortChainNameBase(namespace: string, service: string, protocol: string, portName: string): string {
  return hashAndTruncate(`${namespace}/${service}/${protocol}/${portName}`);
}

/** "HASH-ns/name/proto/port__ip/port" for one endpoint ("ip:port", IPv4). */
export function endpointChainNameBase(namespace: string, service: string, protocol: string, portName: string, endpoint: string): string {
  const colon = endpoint.lastIndexOf(':');
  return hashAndTruncate(`${namespace}/${service}/${protocol}/${portName}__${endpoint.slice(0, colon)}/${endpoint.slice(colon + 1)}`);
}

/** The proxier's stock chains have no "/"; service and endpoint chains always do (isServiceChainName). */
export function isServiceChainName(name: string): boolean {
  return name.includes('/');
}

export function isAffinitySetName(name: string): boolean {
  return name.startsWith(AFFINITY_PREFIX);
}
