// Connection tracking: the per-node table of flows with their NAT mappings.
export * from './table.ts';
export * from './timeouts.ts';
export { hashTuple, hash3, packPorts } from './hash.ts';
