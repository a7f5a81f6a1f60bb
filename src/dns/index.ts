// Cluster DNS: records (zone.ts), CoreDNS (server.ts), the pod resolver (resolver.ts), caches
// (cache.ts, nodelocal.ts) and the capacity model (capacity.ts). See docs/dns.md.
export * from './types.ts';
export * from './names.ts';
export * from './zone.ts';
export * from './upstream.ts';
export * from './server.ts';
export * from './resolver.ts';
export * from './cache.ts';
export * from './nodelocal.ts';
export * from './capacity.ts';
