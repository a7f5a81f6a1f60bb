// `ipset list` text (ipset 6.x/7.x "plain" format), one block per set, blocks separated by
// a blank line:
//   Name: KUBE-CLUSTER-IP
//   Type: hash:ip,port
//   Revision: 5
//   Header: family inet hashsize 1024 maxelem 65536
//   Size in memory: 8696
//   References: 2
//   Number of entries: 1
//   Members:
//   10.96.0.1,tcp:443
import type { IpSet } from './set.ts';
import { TYPE_REVISIONS } from './types.ts';

/**
 * Kernel memory of a set, an estimate: the bitmap is a fixed 8 KiB bit array; hash sets
 * grow with their members (roughly fitted to `ipset list` outputs of kube-proxy's sets).
 */
export function estimateMemory(set: IpSet): number {
  if (set.type === 'bitmap:port') return 8264;
  return 200 + 60 * set.size;
}

export function formatIpsetList(sets: readonly IpSet[], references: ReadonlyMap<string, number> = new Map()): string {
  return sets.map((s) => formatOne(s, references.get(s.name) ?? 0)).join('\n');
}

function formatOne(set: IpSet, refs: number): string {
  const header =
    set.type === 'bitmap:port' ? `range ${set.rangeLo}-${set.rangeHi}` : `family inet hashsize ${set.hashsize} maxelem ${set.maxelem}`;
  const lines = [
    `Name: ${set.name}`,
    `Type: ${set.type}`,
    `Revision: ${TYPE_REVISIONS[set.type]}`,
    `Header: ${header}`,
    `Size in memory: ${estimateMemory(set)}`,
    `References: ${refs}`,
    `Number of entries: ${set.size}`,
    'Members:',
    ...set.entries(),
  ];
  return lines.join('\n') + '\n';
}
