// lookup() must not allocate: 100,000 lookups (hits, NodePorts, misses, both origins) in a
// child process whose young generation holds everything they could allocate, measured as
// heap growth between two points with no collection in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CHILD_FLAGS } from './heap-growth.ts';

test('nftables lookup: heap growth over 100,000 lookups is ~0', () => {
  const child = new URL('./nftables-alloc-child.ts', import.meta.url).pathname;
  const out = execFileSync(process.execPath, [...CHILD_FLAGS, child], { encoding: 'utf8' });
  const { delta } = JSON.parse(out.trim().split('\n').pop()!) as { delta: number };
  // Under one byte per lookup (what remains is the runtime's own bookkeeping, 10-30 kB here);
  // one boxed number per lookup would be 1.6 MB, one string or object several MB.
  assert.ok(delta < 100_000, `heap grew ${delta} bytes over 100,000 lookups`);
});
