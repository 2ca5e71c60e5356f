// sim/cosim/host-memory.ts — the host memory an RTL NIC reaches by DMA: buffers with made-up
// bus addresses, resolved back to bytes the way an IOMMU would map them.
//
// Same contract as host-lib's SimMemory (host-lib/backends/sim-memory.ts), written here
// because sim/ must not import host-lib; host-lib can use this one later. Bus addresses are
// handed out by a bump pointer and never reused, so a freed buffer's range stays known: an
// access to it is reported as "freed" (a use-after-free), not merely "unmapped".

/** A block of host memory the NIC can reach (host-lib's DmaBuffer has the same shape). */
export interface HostBuffer {
  /** The bus address the NIC uses (ring bases, bpage regions, send regions). */
  readonly address: bigint;
  /** The host's view of the same bytes. */
  readonly bytes: Uint8Array;
}

/** Bus addresses start here so that 0, and any small number, is never valid. */
export const FIRST_BUS_ADDRESS = 0x1_0000_0000;

/** A buffer ever allocated; a freed one keeps its range (for messages) but not its bytes. */
interface Region { readonly start: number; readonly length: number; bytes: Uint8Array | null }

export class HostMemory {
  private next = FIRST_BUS_ADDRESS;
  /** Every buffer ever allocated, in increasing address order (bump allocation keeps it sorted). */
  private readonly regions: Region[] = [];
  private live = 0;

  /** `bytes` of zeroed memory aligned to `align` (a power of two, default 4096). */
  allocate(bytes: number, align = 4096): HostBuffer {
    if (!Number.isInteger(bytes) || bytes <= 0) throw new RangeError(`host memory allocation of ${bytes} bytes: must be a positive integer`);
    if (!Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) throw new RangeError(`host memory alignment ${align}: must be a power of two`);
    const start = Math.ceil(this.next / align) * align;
    this.next = start + bytes;
    const mem = new Uint8Array(bytes);
    this.regions.push({ start, length: bytes, bytes: mem });
    this.live++;
    return { address: BigInt(start), bytes: mem };
  }

  /** Gives a buffer back; the NIC touching it afterwards is an error the DMA watchdog reports. */
  free(buffer: HostBuffer): void {
    const start = Number(buffer.address);
    const r = this.regions[this.indexAtOrBefore(start)];
    if (!r || r.start !== start || r.bytes === null || r.bytes !== buffer.bytes) {
      throw new RangeError(`free of host memory at 0x${start.toString(16)}: not a live buffer from allocate() (freed twice?)`);
    }
    r.bytes = null;
    this.live--;
  }

  /** The bytes at [address, address + length) when they lie inside one live buffer, else null. */
  resolve(address: number, length: number): Uint8Array | null {
    const r = this.regions[this.indexAtOrBefore(address)];
    if (!r || r.bytes === null || length < 0 || address + length > r.start + r.length) return null;
    return r.bytes.subarray(address - r.start, address - r.start + length);
  }

  /** What lies at [address, address + length), for error messages. */
  describe(address: number, length: number): string {
    const end = address + length;
    const hit = this.regions.filter((r) => r.start < end && address < r.start + r.length);
    if (hit.length === 0) return 'no host buffer was ever allocated there';
    return hit.map((r) => `${r.bytes === null ? 'a FREED' : 'a live'} buffer 0x${r.start.toString(16)}+${r.length}`).join(' and ')
      + (hit.length === 1 && hit[0]!.start <= address && end <= hit[0]!.start + hit[0]!.length ? '' : ' (the access does not fit in one buffer)');
  }

  /** True when any byte of [address, address + length) is in a freed buffer. */
  touchesFreed(address: number, length: number): boolean {
    const end = address + length;
    for (let i = this.indexAtOrBefore(end - 1); i >= 0; i--) {
      const r = this.regions[i]!;
      if (r.start + r.length <= address) break;
      if (r.bytes === null) return true;
    }
    return false;
  }

  get liveBuffers(): number { return this.live; }

  private indexAtOrBefore(a: number): number {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rs[mid]!.start <= a) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }
}
