// hw/hdl/sim/rng.ts — the project's one seeded random generator, so every random choice (a
// fuzzed design, a testbench's back-pressure, a network's faults and arrivals, the model's
// stress traffic) repeats exactly from its seed on every machine.
//
// xoshiro128** (Blackman and Vigna), its 128-bit state expanded from (seed, stream) by
// splitmix32: distinct streams give independent sequences, so adding a consumer does not
// perturb the others. It lives at the bottom layer (hw/hdl/sim) because the DSL's fuzzer and
// testbenches need it; sim/net/rng.ts and sim/model/rng.ts re-export it.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    let s = (Math.imul(seed | 0, 0x9e3779b9) ^ Math.imul(stream | 0, 0x85ebca6b) ^ 0x6a09e667) >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix() | 1;
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform 32-bit unsigned integer (the name sim/net's callers use). */
  nextU32(): number { return this.next(); }

  /** Uniform in [0, 1) with 53 bits. */
  float(): number {
    const hi = this.next() >>> 5;
    const lo = this.next() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.float() * n); }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }

  /** True with probability p. */
  chance(p: number): boolean { return this.float() < p; }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('Rng.pick: the list is empty');
    return list[this.int(list.length)]!;
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number { return -Math.log(1 - this.float()) * mean; }

  /** Uniform bits of `width`. */
  uniformBits(width: number): bigint {
    let v = 0n;
    for (let i = 0; i < width; i += 32) v = (v << 32n) | BigInt(this.next());
    return v & ((1n << BigInt(width)) - 1n);
  }

  /** Bits of `width`, one time in four at the edges where bugs live (0, all ones, top bit only, tiny). */
  bits(width: number): bigint {
    const all = (1n << BigInt(width)) - 1n;
    const r = this.int(16);
    if (r === 0) return 0n;
    if (r === 1) return all;
    if (r === 2) return 1n << BigInt(width - 1);
    if (r === 3) return BigInt(this.int(4)) & all;
    return this.uniformBits(width);
  }

  /** An independent generator derived from this one (design i of a run, its stimulus...). */
  fork(salt: number): Rng { return new Rng(this.next(), salt + 1); }
}

/** A generator as a function returning uniform floats in [0, 1) (the model's habit). */
export function seededRng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.float();
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
