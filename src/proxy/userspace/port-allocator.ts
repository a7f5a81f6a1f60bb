// Proxy ports, allocated as the userspace proxier's rangeAllocator does (port_allocator.go,
// nextFreePort): a random port of the range, or, when it is taken, the next free one scanning
// upwards and wrapping around.
import type { Rng } from '../../engine/rng.ts';
import { InputError } from '../../util/errors.ts';

/**
 * kube-proxy's --proxy-port-range was empty by default, letting the kernel pick an ephemeral
 * port; Linux's default ip_local_port_range is 32768-60999.
 */
export const DEFAULT_PROXY_PORT_RANGE = { base: 32768, size: 60999 - 32768 + 1 };

export class PortAllocator {
  private readonly used: Uint8Array;
  private count = 0;

  constructor(
    readonly base: number,
    readonly size: number,
    private readonly rng: Rng,
  ) {
    if (base < 1 || size < 1 || base + size > 65536) throw new InputError(`invalid proxy port range ${base}+${size}`);
    this.used = new Uint8Array(size);
  }

  get inUse(): number {
    return this.count;
  }

  /** AllocateNext; InputError when the range is exhausted. */
  allocate(): number {
    const j = this.rng.int(0, this.size);
    for (let k = 0; k < this.size; k++) {
      const i = (j + k) % this.size;
      if (!this.used[i]) {
        this.used[i] = 1;
        this.count++;
        return this.base + i;
      }
    }
    throw new InputError('port allocation failed; there are no remaining ports left to allocate in the accepted range');
  }

  release(port: number): void {
    const i = port - this.base;
    if (i < 0 || i >= this.size || !this.used[i]) return;
    this.used[i] = 0;
    this.count--;
  }
}
