// Chain names as kube-proxy derives them (pkg/proxy/iptables/proxier.go, portProtoHash and
// servicePortEndpointChainName): a prefix plus the first 16 characters of the RFC 4648
// base32 encoding of sha256(servicePortName + lower-case protocol [+ "ip:port"]). iptables
// chain names must be at most 28 characters.
import { sha256Words } from './sha256.ts';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (standard alphabet, '=' padding), as Go's base32.StdEncoding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

const words = new Uint32Array(8);
const codes: number[] = new Array(16);

// kube-proxy computes a service's chain names once, when the object is first seen, and keeps
// them across syncs; this cache does the same for the syncs of a run. It is cleared when it
// grows past a bound so a long sweep does not keep every name it ever saw. Endpoint chain
// names are not kept: a sync renders only changed ports' endpoint chains, and at 10^6
// endpoints the cache would hold ~100 MB.
const cache = new Map<string, string>();
const CACHE_LIMIT = 1 << 20;

/** First 16 base32 characters of the digest: exactly its first 80 bits. */
function hash16(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const h = hash16Uncached(text);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, h);
  return h;
}

function hash16Uncached(text: string): string {
  sha256Words(text, words);
  // 80 bits = words[0], words[1], top 16 bits of words[2]; 5 bits per character.
  for (let k = 0; k < 16; k++) {
    const bit = k * 5;
    const w = bit >>> 5;
    const off = bit & 31;
    let v = (words[w] << off) >>> 27;
    if (off > 27) v |= words[w + 1] >>> (59 - off);
    codes[k] = BASE32_ALPHABET.charCodeAt(v & 31);
  }
  return String.fromCharCode(...codes);
}

/** Chain name prefixes kube-proxy gives per-service chains. */
export const SVC_PREFIX = 'KUBE-SVC-';
export const SVL_PREFIX = 'KUBE-SVL-';
export const EXT_PREFIX = 'KUBE-EXT-';
export const FW_PREFIX = 'KUBE-FW-';
export const SEP_PREFIX = 'KUBE-SEP-';

export interface ServiceChainNames {
  /** Cluster-policy endpoints (KUBE-SVC-). */
  cluster: string;
  /** Local-policy endpoints (KUBE-SVL-). */
  local: string;
  /** External destinations (KUBE-EXT-). */
  external: string;
  /** loadBalancerSourceRanges firewall (KUBE-FW-). */
  firewall: string;
}

/** The four per-service-port chains; `protocol` as in the Service ("TCP"), lower-cased here. */
export function serviceChainNames(servicePortName: string, protocol: string): ServiceChainNames {
  const h = hash16(servicePortName + protocol.toLowerCase());
  return { cluster: SVC_PREFIX + h, local: SVL_PREFIX + h, external: EXT_PREFIX + h, firewall: FW_PREFIX + h };
}

/** KUBE-SEP- chain of one endpoint ("ip:port"). */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return SEP_PREFIX + hash16Uncached(servicePortName + protocol.toLowerCase() + endpoint);
}

export function isServiceChainName(name: string): boolean {
  return [SVC_PREFIX, SVL_PREFIX, EXT_PREFIX, FW_PREFIX, SEP_PREFIX].some((p) => name.startsWith(p));
}
