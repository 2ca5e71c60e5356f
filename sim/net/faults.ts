// sim/net/faults.ts — seeded per-link faults. Each faulty link draws from its own RNG stream,
// so enabling faults on one link does not change the random choices anywhere else.

import { Rng } from './rng.ts';

export interface LinkFaultConfig {
  /** Probability a frame is lost on the wire. */
  readonly drop?: number;
  /** Probability a frame is delivered twice. */
  readonly duplicate?: number;
  /** Probability a frame is held back by `reorderDelayPs` so later frames overtake it. */
  readonly reorder?: number;
  readonly reorderDelayPs?: number;
  /** Probability a frame has bits flipped; the receiving MAC's FCS check drops it. */
  readonly corrupt?: number;
  /** Bits flipped in a corrupted frame (default 1). */
  readonly corruptBits?: number;
  /**
   * The damage happens before the frame's FCS is computed (a bad buffer in a switch or NIC), so
   * the receiving MAC passes it and only the IP and Homa checksums can catch it (default false).
   */
  readonly corruptBeforeFcs?: boolean;
}

export class LinkFaults {
  readonly drop: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly reorderDelayPs: number;
  readonly corrupt: number;
  readonly corruptBits: number;
  readonly corruptBeforeFcs: boolean;
  readonly rng: Rng;

  constructor(config: LinkFaultConfig, seed: number, stream: number) {
    const p = (name: keyof LinkFaultConfig, v: number | undefined): number => {
      const x = v ?? 0;
      if (!(x >= 0 && x <= 1)) throw new RangeError(`fault ${name} = ${x}: a probability must be in [0, 1]`);
      return x;
    };
    this.drop = p('drop', config.drop);
    this.duplicate = p('duplicate', config.duplicate);
    this.reorder = p('reorder', config.reorder);
    this.corrupt = p('corrupt', config.corrupt);
    this.reorderDelayPs = config.reorderDelayPs ?? 5_000_000;
    this.corruptBits = config.corruptBits ?? 1;
    this.corruptBeforeFcs = config.corruptBeforeFcs ?? false;
    if (!Number.isInteger(this.reorderDelayPs) || this.reorderDelayPs < 0) {
      throw new RangeError(`fault reorderDelayPs = ${this.reorderDelayPs}: must be a non-negative integer (ps)`);
    }
    if (!Number.isInteger(this.corruptBits) || this.corruptBits < 1) {
      throw new RangeError(`fault corruptBits = ${this.corruptBits}: must be an integer >= 1`);
    }
    this.rng = new Rng(seed, 0x1000 + stream);
  }

  /** A copy of `frame` with `corruptBits` distinct bits flipped. */
  corruptCopy(frame: Uint8Array): Uint8Array {
    const copy = frame.slice();
    const bits = frame.length * 8;
    const flipped = new Set<number>();
    while (flipped.size < Math.min(this.corruptBits, bits)) flipped.add(this.rng.int(bits));
    for (const b of flipped) copy[b >> 3] ^= 1 << (b & 7);
    return copy;
  }
}
