// hw/hdl/sim/fuzz/random.ts — a small seeded generator (splitmix32), so design N from seed S
// is the same design on every machine and every run.

export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    let z = (this.state = (this.state + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor((this.next() / 4294967296) * n); }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.next() / 4294967296 < p; }
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('internal: pick from an empty list');
    return list[this.int(list.length)]!;
  }
  /** Uniform bits of `width`, sometimes biased to the edges (0, all ones, top bit only). */
  bits(width: number): bigint {
    const all = (1n << BigInt(width)) - 1n;
    const r = this.int(16);
    if (r === 0) return 0n;
    if (r === 1) return all;
    if (r === 2) return 1n << BigInt(width - 1);
    if (r === 3) return BigInt(this.int(4)) & all;
    let v = 0n;
    for (let i = 0; i < width; i += 32) v = (v << 32n) | BigInt(this.next());
    return v & all;
  }
  /** A seed for a derived stream (design i of a run, its stimulus...). */
  fork(salt: number): Rng { return new Rng((this.next() ^ Math.imul(salt + 1, 0x27d4eb2d)) >>> 0); }
}

/** A width from 1..max, weighted towards the boundaries where bugs live (1, 31-33, 63-65). */
export function randomWidth(rng: Rng, max = 200): number {
  const r = rng.int(20);
  let w: number;
  if (r < 8) w = rng.range(1, 8);
  else if (r < 13) w = rng.range(9, 32);
  else if (r < 16) w = rng.pick([1, 31, 32, 33, 63, 64, 65, 96, 128]);
  else w = rng.range(33, 200);
  return Math.min(w, max);
}
