// The proxy modes kpsim knows: one line per mode, its folder's descriptor (src/proxy/mode.ts).
// Everything else (mode lists, the config enum, formats, pricing, report order, gate defaults)
// is read off these through src/proxy/modes.ts.
export { userspaceMode } from './userspace/index.ts';
export { iptablesMode } from './iptables/index.ts';
export { ipvsMode } from './ipvs/index.ts';
export { nftablesMode } from './nftables/index.ts';
export { ebpfMode } from './ebpf/index.ts';
