// Proxy modes by name. Each mode adds one entry to MODES.
import { InputError } from '../util/errors.ts';
import { iptablesMode } from './iptables/mode.ts';
import { ipvsMode } from './ipvs/index.ts';
import type { ProxyMode, ProxyModeName } from './types.ts';
import { userspaceMode } from './userspace/index.ts';

const MODES: Partial<Record<ProxyModeName, ProxyMode>> = {
  iptables: iptablesMode,
  ipvs: ipvsMode,
  userspace: userspaceMode,
};

/** Names of the modes that can be built. */
export function availableProxyModes(): string[] {
  return Object.keys(MODES).sort();
}

/** The mode called `name`; an InputError naming the available ones otherwise. */
export function getProxyMode(name: string, file?: string, field = 'mode'): ProxyMode {
  const mode = Object.hasOwn(MODES, name) ? MODES[name as ProxyModeName] : undefined;
  if (!mode) throw new InputError(`unknown or unavailable proxy mode (available: ${availableProxyModes().join(', ')})`, file, field, name);
  return mode;
}
