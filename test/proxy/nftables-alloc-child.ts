// Child process of nftables-alloc.test.ts (run with heap-growth.ts's CHILD_FLAGS): heap growth
// over 100,000 lookups, least of three rounds.
import { Rng } from '../../src/engine/rng.ts';
import { newLookupResult, type Packet } from '../../src/proxy/types.ts';
import { makeService, makeSlice } from './kube-proxy-test-env.ts';
import { nftPlane } from './nftables-test-env.ts';
import { leastHeapGrowth } from './heap-growth.ts';

const N = 1000;
const objects: unknown[] = [];
for (let i = 0; i < N; i++) {
  const ip = `172.30.${i >> 8}.${i & 255}`;
  const type = i % 10 === 0 ? 'NodePort' : 'ClusterIP';
  objects.push(
    makeService(`ns${i}`, `svc${i}`, {
      type,
      clusterIP: ip,
      ports: [{ name: 'p', port: 80, protocol: 'TCP', ...(type === 'NodePort' ? { nodePort: 30000 + i } : {}) }],
    }),
    makeSlice(`ns${i}`, `svc${i}`, [{ ip: `10.1.${i >> 8}.${i & 255}` }, { ip: `10.2.${i >> 8}.${i & 255}` }], [{ name: 'p', port: 8080 }]),
  );
}
const plane = nftPlane(objects);
const packets: Packet[] = [];
for (let i = 0; i < 1000; i++) {
  const k = (i * 7919) % N;
  // ClusterIPs from pods, NodePorts from outside, and misses (an unallocated ClusterIP).
  if (i % 10 === 3) packets.push({ src: 0xcb007102, dst: 0xc0a80002, proto: 6, sport: 40000, dport: 30000 + (k - (k % 10)) });
  else if (i % 10 === 7) packets.push({ src: 0x0a000002, dst: 0xac1ef000 + k, proto: 6, sport: 40000, dport: 80 });
  else packets.push({ src: 0x0a000002 + (i & 63), dst: (0xac1e0000 + k) >>> 0, proto: 6, sport: 40000 + i, dport: 80 });
}
const rng = new Rng(1);
const out = newLookupResult();
const run = (n: number) => {
  for (let i = 0; i < n; i++) plane.lookup(packets[i % packets.length], i % 5 === 0 ? 'local' : 'forwarded', rng, out);
};
run(200_000); // warm up: compiled code, inline caches
const delta = leastHeapGrowth(() => run(100_000));
process.stdout.write(JSON.stringify({ delta, verdict: out.verdict }) + '\n');
