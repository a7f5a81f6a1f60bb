// SNAT / MASQUERADE: source-port selection against the conntrack table, and the experiment.
export * from './port-select.ts';
export * from './masquerade.ts';
export * from './experiment.ts';
