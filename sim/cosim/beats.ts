// sim/cosim/beats.ts — bytes to and from the data field of a beat, as the Simulator carries
// it: a number up to 32 bits, a bigint above. Byte j of a beat is data[8j+7:8j] (lane 0 is
// the least significant byte, hw/homa/engine/types.ts and hw/lib/beat.ts).
//
// Every beat on a wide port is a bigint the simulator allocates anyway; these conversions go
// through one scratch DataView per codec, 64 bits at a time (about twice as fast as a hex
// string here, measured on 64-byte beats), and allocate nothing else.

import type { PortValue } from '../../hw/hdl/sim/simulator.ts';

export class BeatCodec {
  /** Bytes per beat. */
  readonly bytes: number;
  /** The beat is a number (<= 4 bytes) rather than a bigint. */
  private readonly narrow: boolean;
  private readonly scratch: Uint8Array;
  private readonly view: DataView;
  private readonly shifts: bigint[];
  /** `keep` for a beat holding its first n bytes, n = 0..bytes. */
  private readonly keeps: PortValue[];

  constructor(beatBytes: number) {
    if (!Number.isInteger(beatBytes) || beatBytes < 1) throw new RangeError(`beat of ${beatBytes} bytes: must be a positive integer`);
    this.bytes = beatBytes;
    this.narrow = beatBytes <= 4;
    // Rounded up to whole 64-bit words so the DataView loop needs no tail case.
    const words = Math.ceil(beatBytes / 8);
    this.scratch = new Uint8Array(words * 8);
    this.view = new DataView(this.scratch.buffer);
    this.shifts = Array.from({ length: words }, (_, i) => BigInt(64 * i));
    this.keeps = Array.from({ length: beatBytes + 1 }, (_, n) => (beatBytes <= 32 ? 2 ** n - 1 : (1n << BigInt(n)) - 1n));
  }

  /** The `keep` value of a beat whose first `n` lanes hold bytes. */
  keep(n: number): PortValue { return this.keeps[n]!; }

  /** Bytes in a `keep` that is contiguous from lane 0, or -1 when it is not. */
  keepCount(keep: PortValue): number {
    if (keep === this.keeps[this.bytes]) return this.bytes;           // every beat but a frame's last
    if (typeof keep === 'number') {
      const n = 32 - Math.clz32(keep);
      return keep === 2 ** n - 1 ? n : -1;
    }
    const n = keep.toString(2).length;
    return keep === 0n ? 0 : keep === (1n << BigInt(n)) - 1n ? n : -1;
  }

  /**
   * A beat whose lanes `lane`..`lane+count-1` hold src[off..off+count) and whose other lanes
   * hold `fill` (0 by default).
   */
  encode(src: Uint8Array, off: number, count: number, lane = 0, fill = 0): PortValue {
    const s = this.scratch;
    s.fill(fill);
    for (let i = 0; i < count; i++) s[lane + i] = src[off + i]!;
    if (this.narrow) {
      let v = 0;
      for (let j = this.bytes - 1; j >= 0; j--) v = v * 256 + s[j]!;
      return v;
    }
    const dv = this.view;
    let v = 0n;
    for (let i = this.shifts.length - 1; i >= 0; i--) v = (v << 64n) | dv.getBigUint64(i * 8, true);
    return this.bytes % 8 === 0 ? v : BigInt.asUintN(8 * this.bytes, v);
  }

  /** Copies lanes `lane`..`lane+count-1` of beat `data` to dst[off..off+count). */
  decode(data: PortValue, dst: Uint8Array, off: number, count: number, lane = 0): void {
    const s = this.scratch;
    if (typeof data === 'number') {
      let v = data;
      for (let j = 0; j < this.bytes; j++) { s[j] = v & 0xff; v = Math.floor(v / 256); }
    } else {
      const dv = this.view;
      const sh = this.shifts;
      dv.setBigUint64(0, BigInt.asUintN(64, data), true);
      for (let i = 1; i < sh.length; i++) dv.setBigUint64(i * 8, BigInt.asUintN(64, data >> sh[i]!), true);
    }
    for (let i = 0; i < count; i++) dst[off + i] = s[lane + i]!;
  }
}
