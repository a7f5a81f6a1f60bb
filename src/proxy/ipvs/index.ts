// kube-proxy's IPVS mode as a ProxyMode.
import type { ProxyMode } from '../types.ts';
import { IpvsDataPlane } from './data-plane.ts';
import type { IpvsModeOptions } from './options.ts';

export { IpvsDataPlane, type IpvsSyncDetail } from './data-plane.ts';
export type { IpvsModeOptions } from './options.ts';

/** An IPVS mode with non-default kernel parameters (e.g. a bigger service hash table). */
export function createIpvsMode(options: IpvsModeOptions = {}): ProxyMode {
  return { name: 'ipvs', build: (cluster, config) => new IpvsDataPlane(cluster, config, options) };
}

/** IPVS mode with the kernel's defaults (256-bucket service table). */
export const ipvsMode: ProxyMode = createIpvsMode();
