// host-lib/send-space.ts — where a socket stages outgoing messages inside its queue pair's send
// region (ABI v2: a descriptor names its bytes as send_offset + length in that region). First
// fit over a free list of byte ranges. A request's bytes are held until its RPC ends, a
// reply's until its TX_DONE (hw/homa/abi/records.ts), so the engine never reads reused bytes.

/** Staged bytes: where in the send region, how many. */
export interface Staged {
  readonly offset: number;
  readonly length: number;
}

/** Staged messages start on this boundary (a cache line: the engine's DMA reads start aligned). */
export const STAGE_ALIGN = 64;

export class SendSpace {
  /** Free ranges [start, end), ascending, never touching each other. */
  private free: { start: number; end: number }[];
  private used = 0;

  constructor(readonly size: number) {
    this.free = size > 0 ? [{ start: 0, end: size }] : [];
  }

  /** Bytes staged now. */
  get usedBytes(): number { return this.used; }

  /** Room for `length` bytes, or null while the region is too full (the caller waits: back-pressure). */
  allocate(length: number): Staged | null {
    const need = Math.ceil(length / STAGE_ALIGN) * STAGE_ALIGN;
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i]!;
      if (r.end - r.start < need) continue;
      const offset = r.start;
      r.start += need;
      if (r.start === r.end) this.free.splice(i, 1);
      this.used += need;
      return { offset, length };
    }
    return null;
  }

  /** Give staged bytes back (once: a second release is a host-lib bug). */
  release(s: Staged): void {
    const start = s.offset;
    const end = start + Math.ceil(s.length / STAGE_ALIGN) * STAGE_ALIGN;
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < start) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if ((prev && prev.end > start) || (next && next.start < end) || end > this.size) {
      throw new Error(`internal: send-region bytes [${start}, ${end}) released twice or never staged`);
    }
    this.used -= end - start;
    if (prev && prev.end === start && next && next.start === end) { prev.end = next.end; this.free.splice(i, 1); }
    else if (prev && prev.end === start) prev.end = end;
    else if (next && next.start === end) next.start = start;
    else this.free.splice(i, 0, { start, end });
  }
}
