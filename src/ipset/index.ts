// A model of Linux IP sets (the types kube-proxy uses), independent of Kubernetes.
export * from './types.ts';
export { formatEntry, parseEntry } from './entry.ts';
export { IpSet, type IpSetOptions } from './set.ts';
export { setLookup, setMatches, type SetPacket } from './match.ts';
export { formatIpsetList, estimateMemory } from './list.ts';
export * from './kube-sets.ts';
