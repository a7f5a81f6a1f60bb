// Heap growth of a loop, for the lookup-allocation tests (contract's lookup-alloc.ts,
// nftables-alloc-child.ts). The child runs with CHILD_FLAGS: gc exposed, optimizing compiles
// on the main thread (a background compile landing after the warm-up would leave the measured
// loop in unoptimized code that boxes every non-Smi number), and a young generation big enough
// that no scavenge runs during the loop, so whatever it allocates is still in heapUsed.
export const CHILD_FLAGS = ['--expose-gc', '--no-concurrent-recompilation', '--max-semi-space-size=64', '--import', 'tsx'];

/**
 * Bytes heapUsed grows by over `loop()`, the least of three rounds: a compile that lands
 * mid-round (a busy machine delays it) puts its code and feedback on the heap once, hundreds of
 * KB; an allocation per iteration shows in every round.
 */
export function leastHeapGrowth(loop: () => void): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  let least = Infinity;
  for (let round = 0; round < 3; round++) {
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    loop();
    least = Math.min(least, process.memoryUsage().heapUsed - before);
  }
  return least;
}
