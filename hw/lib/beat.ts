// hw/lib/beat.ts — shared shapes for the library: the AXI-Stream-like beat (data, keep, last)
// and small helpers the blocks share.
//
// Byte order in a beat: byte j of the packet's beat sits in data[8j+7:8j] and keep bit j says
// it is present (the first byte on the wire is the least significant, as in AXI-Stream).
// Only the last beat of a packet may have keep bits clear, and then only at the top.

import { bool, lit, mux, record, u, type RecordLayout, type UIntLayout, type BoolLayout, type UInt } from '../hdl/index.ts';

export type BeatLayout = RecordLayout<{ data: UIntLayout; keep: UIntLayout; last: BoolLayout }>;

/** A beat of `bytes` bytes: data, keep (one bit per byte), last. */
export function beat(bytes: number): BeatLayout {
  return record({ data: u(8 * bytes), keep: u(bytes), last: bool }) as BeatLayout;
}

/** The pointer after `p` in a ring of `depth` entries. */
export function nextIndex(p: UInt<number>, depth: number): UInt<number> {
  if ((depth & (depth - 1)) === 0) return p.add(1);
  return mux(p.eq(depth - 1), lit(p.width, 0), p.add(1));
}

/** True when `n` is a power of two. */
export function isPow2(n: number): boolean { return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0; }

/** Throws a plain message for a bad generator parameter. */
export function requireParam(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}
