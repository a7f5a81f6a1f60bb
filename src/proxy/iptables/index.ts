// The iptables proxy mode (kube-proxy --proxy-mode=iptables).
import type { ProxyMode } from '../types.ts';
import { IptablesDataPlane } from './dataplane.ts';

export const iptablesMode: ProxyMode = {
  name: 'iptables',
  build: (cluster, config) => new IptablesDataPlane(cluster, config),
};

export { IptablesDataPlane } from './dataplane.ts';
export { IptablesDumpPlane } from './dump-plane.ts';
export type { DetailedTrace } from './ruleset-plane.ts';
export type { HookTrace } from './hook-walk.ts';
