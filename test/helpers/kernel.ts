// When a test may use the real kernel: root (for `unshare --net`) and the Debian tools. Such
// tests run only in throwaway network namespaces (src/calibrate/netns.ts), never on the host's tables.
import { findPython, findTool } from '../../src/calibrate/preflight.ts';

const TOOLS = [
  ['unshare', 'util-linux'],
  ['ip', 'iproute2'],
  ['iptables-nft-restore', 'iptables'],
  ['iptables-legacy-restore', 'iptables'],
  ['iptables-nft-save', 'iptables'],
  ['iptables-legacy-save', 'iptables'],
  ['nft', 'nftables'],
] as const;

/** Why kernel tests cannot run here, or false when they can. */
export function kernelSkipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (throwaway network namespaces with unshare --net)';
  const missing = TOOLS.filter(([t]) => !findTool(t)).map(([t, pkg]) => `${t} (${pkg})`);
  if (!findPython()) missing.push('python3 (python3)');
  return missing.length ? `missing ${missing.join(', ')}` : false;
}

export function python(): string {
  const p = findPython();
  if (!p) throw new Error('python3 not found');
  return p;
}
