// xt_set: `[!] --match-set NAME FLAGS` against a packet. Each comma-separated flag says whether a
// dimension of the set comes from the packet's source or destination (the address for an IP or
// net dimension, the port, with the packet's protocol, for a port dimension). A set with more
// dimensions than flags never matches (ipset's "missing dimension").
import type { IpSet } from './set.ts';

/** The header fields a set lookup reads (as netfilter's SetProbe). */
export interface SetPacket {
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
}

export function setMatches(set: IpSet, dirs: readonly ('src' | 'dst')[], p: SetPacket): boolean {
  // No closures here: this runs for every rule with a set match on the packet path.
  const a0 = dirs[0] === 'src' ? p.src : p.dst;
  switch (set.type) {
    case 'bitmap:port':
      return set.testPort(dirs[0] === 'src' ? p.sport : p.dport);
    case 'hash:ip':
      return set.testIp(a0);
    case 'hash:ip,port':
      return dirs.length >= 2 && set.testIpPort(a0, p.proto, dirs[1] === 'src' ? p.sport : p.dport);
    case 'hash:ip,port,ip':
      return dirs.length >= 3 && set.testIpPortIp(a0, p.proto, dirs[1] === 'src' ? p.sport : p.dport, dirs[2] === 'src' ? p.src : p.dst);
    case 'hash:ip,port,net':
      return dirs.length >= 3 && set.testIpPortNet(a0, p.proto, dirs[1] === 'src' ? p.sport : p.dport, dirs[2] === 'src' ? p.src : p.dst);
  }
}

/** A netfilter WalkContext.matchSet over named sets: an unknown name never matches. */
export function setLookup(sets: ReadonlyMap<string, IpSet>): (name: string, dirs: readonly ('src' | 'dst')[], p: SetPacket) => boolean {
  return (name, dirs, p) => {
    const set = sets.get(name);
    return set !== undefined && setMatches(set, dirs, p);
  };
}
