// The legacy userspace proxy mode (removed in Kubernetes 1.26) as a ProxyMode.
import type { ProxyMode } from '../types.ts';
import { UserspaceDataPlane, type UserspaceModeOptions } from './data-plane.ts';

export { UserspaceDataPlane, type UserspaceModeOptions } from './data-plane.ts';

export function createUserspaceMode(options: UserspaceModeOptions = {}): ProxyMode {
  return { name: 'userspace', build: (cluster, config) => new UserspaceDataPlane(cluster, config, options) };
}

export const userspaceMode: ProxyMode = createUserspaceMode();
