// Object names as kube-proxy's nftables proxier derives them (pkg/proxy/nftables/proxier.go,
// hashAndTruncate, servicePortChainNameBase, servicePortEndpointChainNameBase): the first 8
// characters of base32(sha256(name)), a hyphen, then the readable name
// "namespace/service/protocol/port[__endpointIP/endpointPort]", cut to 240 characters with
// "..." (knftables.NameLengthMax 256 minus a 16-character prefix budget). The SHA-256 and the
// base32 encoding are the iptables mode's (the same Go functions underneath).
import { sha256Words } from '../iptables/sha256.ts';

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

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const words = new Uint32Array(8);

/** base32(sha256(name)) cut to 8 characters: the digest's first 40 bits, 5 bits a character. */
function hash8(name: string): string {
  sha256Words(name, words);
  const hi = words[0];
  const lo = words[1] >>> 24; // the 8 bits after the first word
  let out = '';
  for (let k = 0; k < 6; k++) out += BASE32[(hi >>> (27 - 5 * k)) & 31];
  out += BASE32[((hi & 3) << 3) | (lo >>> 5)];
  return out + BASE32[lo & 31];
}

/** hashAndTruncate: "HASH8-name", truncated to 240 characters ending in "...". */
export function hashAndTruncate(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let out = hash8(name) + '-' + name;
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
