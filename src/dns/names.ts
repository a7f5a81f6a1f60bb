// Domain-name helpers. DNS names compare case-insensitively (RFC 4343), so the model keeps them
// lowercase, without the trailing dot, and adds the dot only when showing a name.
import { tryParseIPv4 } from '../util/ipv4.ts';

/** Lowercase, without one trailing dot: "Svc.NS.svc.cluster.local." → "svc.ns.svc.cluster.local". */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** A canonical name as shown to users: with the trailing dot. */
export function displayName(name: string): string {
  return name === '' ? '.' : name.endsWith('.') ? name : `${name}.`;
}

/** Dots in the name as glibc counts them for ndots (a trailing dot counts, but makes the name absolute anyway). */
export function countDots(name: string): number {
  let n = 0;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 46) n++;
  return n;
}

/** Whether `name` is `zone` or below it (both canonical). */
export function isUnder(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/**
 * Whether `name` (with or without the trailing dot) is a syntactically valid query name: labels of
 * 1-63 letters, digits, hyphens or underscores (SRV names use `_port._proto`), at most 253 characters.
 */
export function isValidQueryName(name: string): boolean {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '' || n.length > 253) return false;
  return n.split('.').every((l) => LABEL.test(l));
}

/** Whether `name` is a valid search domain (a DNS domain such as cluster.local or corp.example). */
export function isValidDomain(name: string): boolean {
  return isValidQueryName(name) && !name.includes('_');
}

/** Reverse-mapping name for an IPv4 address: 10.96.0.10 → "10.0.96.10.in-addr.arpa". */
export function reverseNameIPv4(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** The IPv4 address a canonical in-addr.arpa name maps, or null when it is not a full one. */
export function ipv4FromReverseName(name: string): string | null {
  if (!name.endsWith('.in-addr.arpa')) return null;
  const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
  if (octets.length !== 4) return null;
  const ip = octets.reverse().join('.');
  return tryParseIPv4(ip) === null ? null : ip;
}

/** CoreDNS's name for an endpoint without a hostname: its IP with dots (or colons) as dashes. */
export function dashedIP(ip: string): string {
  return ip.includes(':') ? ip.replaceAll(':', '-') : ip.replaceAll('.', '-');
}

export function isIPv4(text: string): boolean {
  return tryParseIPv4(text) !== null;
}

export function isIPv6(text: string): boolean {
  return text.includes(':');
}

// Kubernetes object names (apimachinery's validation: IsDNS1123Label, IsDNS1035Label,
// IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue). Every name that reaches a DNS record,
// an iptables comment or a chain hash is one of these, so nothing else can be injected there.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Namespaces, port names, endpoint hostnames: lowercase letters, digits and '-', at most 63. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** Service names: a DNS-1123 label that starts with a letter. */
export function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS1035_LABEL.test(s);
}

/** Node and EndpointSlice names, cluster domains: dot-separated labels, at most 253. */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63. */
export function isLabelKey(s: string): boolean {
  const slash = s.lastIndexOf('/');
  const name = slash < 0 ? s : s.slice(slash + 1);
  if (slash >= 0 && !isDns1123Subdomain(s.slice(0, slash))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** A label value: empty, or at most 63 letters, digits, '-', '_' and '.', alphanumeric at both ends. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && QUALIFIED_NAME.test(s));
}

/** What a name must look like, for error messages. */
export const NAME_RULES = {
  dns1123Label: 'a DNS-1123 label: at most 63 lowercase letters, digits and -, starting and ending with a letter or digit',
  dns1035Label: 'a DNS-1035 label: at most 63 lowercase letters, digits and -, starting with a letter and ending with a letter or digit',
  dns1123Subdomain:
    'a DNS-1123 subdomain: at most 253 lowercase letters, digits, - and ., each part starting and ending with a letter or digit',
  labelKey: 'a label key: [prefix/]name, the name at most 63 letters, digits, -, _ and .',
  labelValue: 'a label value: at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit',
} as const;
