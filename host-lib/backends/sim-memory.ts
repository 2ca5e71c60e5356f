// host-lib/backends/sim-memory.ts — simulated host memory: DMA buffers are ArrayBuffers with
// made-up bus addresses, and the simulated NIC resolves an address range back to bytes the
// way its DMA port would. An address outside every live buffer is an error, as a DMA to
// unmapped memory is (IOMMU fault).

import type { DmaBuffer } from '../device.ts';

/** What freed memory reads as. */
export const FREED_BYTE = 0xdb;

/** Bus addresses start here so that 0 is never valid. */
const FIRST_ADDRESS = 0x1_0000_0000;

export class SimMemory {
  private next = FIRST_ADDRESS;
  /** Live buffers by start address, kept in increasing address order (bump allocation). */
  private starts: number[] = [];
  private readonly buffers = new Map<number, Uint8Array>();

  allocate(bytes: number, align = 4096): DmaBuffer {
    if (!Number.isInteger(bytes) || bytes <= 0) throw new RangeError(`DMA allocation of ${bytes} bytes: must be a positive integer`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) throw new RangeError(`DMA alignment ${align}: must be a power of two`);
    const start = Math.ceil(this.next / align) * align;
    this.next = start + bytes;
    const mem = new Uint8Array(bytes);
    this.starts.push(start);
    this.buffers.set(start, mem);
    return { address: BigInt(start), bytes: mem };
  }

  free(buf: DmaBuffer): void {
    const start = Number(buf.address);
    if (this.buffers.get(start) !== buf.bytes) throw new RangeError(`freeDma of 0x${start.toString(16)}: not a live DMA buffer (double free?)`);
    // Poisoned, as memory reused by someone else would be: a NIC still reading it sends junk
    // and a test sees it, instead of the stale bytes hiding the bug.
    buf.bytes.fill(FREED_BYTE);
    this.buffers.delete(start);
    const i = this.indexOf(start);
    this.starts.splice(i, 1);
  }

  /** The bytes at [address, address + length), which must lie inside one live buffer. */
  resolve(address: bigint | number, length: number): Uint8Array {
    const a = Number(address);
    const i = this.indexAtOrBefore(a);
    const start = i >= 0 ? this.starts[i]! : -1;
    const mem = this.buffers.get(start);
    if (!mem || a + length > start + mem.length || length < 0) {
      throw new RangeError(`DMA to 0x${a.toString(16)}+${length}: outside every buffer the host registered`);
    }
    return mem.subarray(a - start, a - start + length);
  }

  get liveBuffers(): number { return this.buffers.size; }

  private indexOf(start: number): number {
    const i = this.indexAtOrBefore(start);
    return this.starts[i] === start ? i : -1;
  }

  private indexAtOrBefore(a: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= a) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }
}
