// hw/hdl/sim/js/wide.ts — values wider than 32 bits as little-endian arrays of 32-bit words
// inside the engine's one Uint32Array, and the operations too long to unroll inline.
//
// Invariant kept by every writer: the unused high bits of a value's top word are zero, so
// equality is word equality and a value's words can be OR-ed into a concatenation as they are.
// The generated code unrolls the cheap word operations (and, add, compare...) itself; it calls
// these for multiplication and shifts by a run-time amount, where unrolling would not pay.

/** Number of 32-bit words holding a value of `width` bits. */
export function wordsFor(width: number): number { return (width + 31) >>> 5; }

/** Mask of the bits of the top word that belong to a `width`-bit value. */
export function topMask(width: number): number {
  const r = width & 31;
  return r === 0 ? 0xffffffff : 2 ** r - 1;
}

/** The words of `value` (taken modulo 2^width) as numbers, least significant first. */
export function bigToWords(value: bigint, width: number): number[] {
  const n = wordsFor(width);
  let v = BigInt.asUintN(width, value);
  const out: number[] = [];
  for (let i = 0; i < n; i++) { out.push(Number(v & 0xffffffffn)); v >>= 32n; }
  return out;
}

export function readBig(s: Uint32Array, off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 32n) | BigInt(s[off + i]!);
  return v;
}

export function writeBig(s: Uint32Array, off: number, width: number, value: bigint): void {
  const w = bigToWords(value, width);
  for (let i = 0; i < w.length; i++) s[off + i] = w[i]!;
}

const limbA = new Float64Array(256);
const limbB = new Float64Array(256);
const limbR = new Float64Array(256);

/** s[d..d+n) = s[a..) * s[b..) mod 2^(32n), then the top word masked with `tm`. */
export function mulW(s: Uint32Array, d: number, a: number, b: number, n: number, tm: number): void {
  // Schoolbook over 16-bit limbs: each partial product is < 2^32 and a column sums fewer than
  // 2^21 of them, so every intermediate stays an exact double.
  const L = 2 * n;
  const A = L <= 256 ? limbA : new Float64Array(L), B = L <= 256 ? limbB : new Float64Array(L), R = L <= 256 ? limbR : new Float64Array(L);
  for (let i = 0; i < n; i++) {
    const x = s[a + i]!, y = s[b + i]!;
    A[2 * i] = x & 0xffff; A[2 * i + 1] = x >>> 16;
    B[2 * i] = y & 0xffff; B[2 * i + 1] = y >>> 16;
  }
  R.fill(0, 0, L);
  for (let i = 0; i < L; i++) {
    const ai = A[i]!;
    if (ai === 0) continue;
    for (let j = 0; i + j < L; j++) R[i + j] += ai * B[j]!;
  }
  let carry = 0;
  for (let k = 0; k < L; k++) {
    const t = R[k]! + carry;
    const lo = t % 65536;
    R[k] = lo;
    carry = (t - lo) / 65536;
  }
  for (let i = 0; i < n; i++) s[d + i] = R[2 * i]! + R[2 * i + 1]! * 65536;
  s[d + n - 1] = s[d + n - 1]! & tm;
}

/** Logical left shift of an n-word value of `width` bits by `amt` (any amount). */
export function shlW(s: Uint32Array, d: number, a: number, n: number, width: number, amt: number): void {
  if (amt >= width) { s.fill(0, d, d + n); return; }
  const k = amt >>> 5, r = amt & 31;
  for (let i = n - 1; i >= 0; i--) {
    const src = i - k;
    let v = src >= 0 ? s[a + src]! << r : 0;
    if (r !== 0 && src - 1 >= 0) v |= s[a + src - 1]! >>> (32 - r);
    s[d + i] = v;
  }
  s[d + n - 1] = s[d + n - 1]! & topMask(width);
}

/** Right shift (logical, or arithmetic when `arith`) of an n-word value by `amt`. */
export function shrW(s: Uint32Array, d: number, a: number, n: number, width: number, amt: number, arith: boolean): void {
  const tb = width - 32 * (n - 1);
  // The value's own top word, sign-extended to 32 bits when arithmetic.
  const topWord = (i: number): number => {
    const v = s[a + i]!;
    if (i !== n - 1 || !arith || tb === 32) return v;
    return (v << (32 - tb)) >> (32 - tb);
  };
  const fill = arith ? (topWord(n - 1) >> 31) : 0;
  if (amt >= width) { s.fill(fill, d, d + n); s[d + n - 1] = s[d + n - 1]! & topMask(width); return; }
  const k = amt >>> 5, r = amt & 31;
  for (let i = 0; i < n; i++) {
    const src = i + k;
    const lo = src < n ? topWord(src) : fill;
    const hi = src + 1 < n ? topWord(src + 1) : fill;
    s[d + i] = r === 0 ? lo : (lo >>> r) | (hi << (32 - r));
  }
  s[d + n - 1] = s[d + n - 1]! & topMask(width);
}

/** Parity of a 32-bit word (reduction XOR). */
export function parity(x: number): number {
  x ^= x >>> 16; x ^= x >>> 8; x ^= x >>> 4; x ^= x >>> 2; x ^= x >>> 1;
  return x & 1;
}

/** The helpers generated code receives. */
export const runtime = { mulW, shlW, shrW, parity };
export type Runtime = typeof runtime;
