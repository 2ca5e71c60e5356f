// hw/hdl/bitops.ts — the bit utilities every hardware library ships (Chisel's PopCount,
// PriorityEncoder, UIntToOH, Reverse; Amaranth's and SpinalHDL's equivalents), so a design
// does not write them by hand. All are combinational expressions: use them anywhere a value
// is (comb, seq, m.let). Results are UInts of the smallest width that holds every answer.
//
//   popcount(x)          ones in x                       clog2(w + 1) bits
//   leadingZeros(x)      zeros above the highest one     clog2(w + 1) bits (w when x = 0)
//   trailingZeros(x)     zeros below the lowest one      clog2(w + 1) bits (w when x = 0)
//   priorityEncode(x)    index of the lowest one         clog2(w) bits (0 when x = 0: test x.orR())
//   oneHot(i, n)         n bits, bit i set               n bits (none when i >= n)
//   oneHotIndex(x)       index of the one bit of x        clog2(w) bits (ORs the indices of every set bit)
//   rotateLeft(x, k)     k a number or a UInt (any k: taken modulo w); x's width
//
// Counts and indices have computed widths (UInt<number>): narrow them to a literal port width
// with `.as(n)`, which checks it.
//   rotateRight(x, k)
//   reverse(x)           bit i becomes bit w-1-i

import { clog2 } from './layout.ts';
import { ElaborationError, here } from './loc.ts';
import { mux } from './structs.ts';
import { cat, lit, type Bits, UInt } from './values.ts';

const bitsOf = (x: Bits): UInt<number>[] => Array.from({ length: x.width }, (_, i) => x.bit(i).asUInt());

/** The number of ones in `x`, as an adder tree. */
export function popcount(x: Bits): UInt<number> {
  const w = clog2(x.width + 1);
  let level = bitsOf(x).map((b) => b.zext(w));
  while (level.length > 1) {
    const next: UInt<number>[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? level[i]!.add(level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

/** Zeros above the highest one of `x` (x.width when x is 0). */
export function leadingZeros(x: Bits): UInt<number> {
  const w = clog2(x.width + 1);
  let r: UInt<number> = lit(w, x.width);
  for (let i = 0; i < x.width; i++) r = mux(x.bit(i), lit(w, x.width - 1 - i), r);
  return r;
}

/** Zeros below the lowest one of `x` (x.width when x is 0). */
export function trailingZeros(x: Bits): UInt<number> {
  const w = clog2(x.width + 1);
  let r: UInt<number> = lit(w, x.width);
  for (let i = x.width - 1; i >= 0; i--) r = mux(x.bit(i), lit(w, i), r);
  return r;
}

/** Index of the lowest one of `x` (0 when there is none: check `x.orR()`). */
export function priorityEncode(x: Bits): UInt<number> {
  const w = Math.max(1, clog2(x.width));
  let r: UInt<number> = lit(w, 0);
  // Lower bits are muxed last, so the lowest one wins.
  for (let i = x.width - 1; i >= 0; i--) r = mux(x.bit(i), lit(w, i), r);
  return r;
}

/** `n` bits with only bit `index` set (all clear when index >= n). */
export function oneHot(index: UInt<number>, n: number): UInt<number> {
  if (!Number.isInteger(n) || n < 1) throw new ElaborationError(`oneHot: n must be a whole number >= 1 (got ${n})`, here());
  const bits = Array.from({ length: n }, (_, i) => index.eq(i));
  return cat(...bits.reverse());
}

/** The index of the set bit of a one-hot `x` (the OR of the indices of every set bit). */
export function oneHotIndex(x: Bits): UInt<number> {
  const w = Math.max(1, clog2(x.width));
  let r: UInt<number> = lit(w, 0);
  for (let i = 1; i < x.width; i++) r = r.or(mux(x.bit(i), lit(w, i), lit(w, 0)));
  return r;
}

/** `x` with bit i moved to bit w-1-i. */
export function reverse<N extends number>(x: UInt<N>): UInt<N>;
export function reverse(x: Bits): UInt<number>;
export function reverse(x: Bits): UInt<number> {
  return cat(...Array.from({ length: x.width }, (_, i) => x.bit(i)));
}

/** `x` rotated towards its high bits by `k` (a number, or a UInt: any amount, modulo the width). */
export function rotateLeft<N extends number>(x: UInt<N>, k: number | UInt<number>): UInt<N>;
export function rotateLeft(x: Bits, k: number | UInt<number>): UInt<number>;
export function rotateLeft(x: Bits, k: number | UInt<number>): UInt<number> {
  const w = x.width;
  const by = (n: number): UInt<number> => {
    const s = ((n % w) + w) % w;
    const u = x.asUInt();
    return s === 0 ? u : cat(u.bits(w - 1 - s, 0), u.bits(w - 1, w - s));
  };
  if (typeof k === 'number') return by(k);
  let r = x.asUInt();
  for (let s = 0; s < k.width; s++) {
    const step = Number((1n << BigInt(s)) % BigInt(w));
    if (step !== 0) r = mux(k.bit(s), rotateLeft(r, step), r);
  }
  return r;
}

/** `x` rotated towards its low bits by `k` (a number, or a UInt: any amount, modulo the width). */
export function rotateRight<N extends number>(x: UInt<N>, k: number | UInt<number>): UInt<N>;
export function rotateRight(x: Bits, k: number | UInt<number>): UInt<number>;
export function rotateRight(x: Bits, k: number | UInt<number>): UInt<number> {
  const w = x.width;
  if (typeof k === 'number') return rotateLeft(x, w - (((k % w) + w) % w));
  let r = x.asUInt();
  for (let s = 0; s < k.width; s++) {
    const step = Number((1n << BigInt(s)) % BigInt(w));
    if (step !== 0) r = mux(k.bit(s), rotateLeft(r, w - step), r);
  }
  return r;
}
