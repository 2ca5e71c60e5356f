// hw/homa/engine/rx_parser_sum.ts — the receive parser's running checksum: the ones'
// complement sum (RFC 1071, not folded, not inverted) of a frame's 16-bit words as its beats
// pass, with a fixed latency so the parser's verdict can line up with it.
//
// The parser masks the bytes outside the checksum window and places each byte high or low
// in its word before it gets here, so this block only adds. Each beat's words go through an
// adder tree registered every two levels (as hw/lib/checksum.ts does, to keep each stage
// within two carry chains at 250 MHz), then into a 32-bit accumulator that restarts at a
// frame's first beat. Exactly three edges after a beat enters, `sum` includes it:
//   cycle 0 (the beat arrives): up to two tree levels  -> stage1
//   cycle 1:                    up to two tree levels  -> stage2
//   cycle 2:                    the remaining levels + the accumulator  -> sum
// (64-byte beats: 32 words, five levels, 2 + 2 + 1.) The MAC cannot be stopped, so nothing
// here stalls. Frames up to 128 KiB cannot overflow the 32-bit sum.

import { bool, input, lit, module, mux, output, record, u, vec, when, type Bool, type UInt } from '../../hdl/index.ts';
import { isPow2, requireParam } from '../../lib/beat.ts';

/**
 * a + b == k for a constant k, without a carry chain (a + b must not overflow the width):
 * the sum is k exactly when the carry into every bit that k implies (a ^ b ^ k) is the carry
 * out of the bit below, given that carry: (a & b) | ((a | b) & ~k). A few LUT levels instead
 * of an adder and a comparator, for the checksum verdicts.
 */
export function sumEquals(a: UInt<number>, b: UInt<number>, k: number): Bool {
  const K = lit(a.width, k);
  const carryIn = a.xor(b).xor(K);
  const carryOut = a.and(b).or(a.or(b).and(K.not()));
  return carryIn.eq(carryOut.shl(1));
}

/** One level of an adder tree: neighbours added with their carry (an odd last term widened). */
export function addLevel(terms: readonly UInt<number>[]): UInt<number>[] {
  const next: UInt<number>[] = [];
  for (let j = 0; j < terms.length; j += 2) {
    const a = terms[j]!, b = terms[j + 1];
    next.push(b ? a.addW(b) as UInt<number> : a.zext(a.width + 1) as UInt<number>);
  }
  return next;
}

export function rxParserSum(words: number) {
  requireParam(isPow2(words), `rxParserSum: words must be a power of two (got ${words})`);
  return module(`rx_parser_sum_${words}w`, {
    valid: input(bool),
    /** The beat is its frame's first: the sum restarts. */
    first: input(bool),
    /** Word i in bits [16i+15:16i], already masked. */
    words: input(u(16 * words)),
    sum: output(u(32)),
  }, (m, io) => {
    const levels = Math.log2(words);
    let terms: UInt<number>[] = Array.from({ length: words }, (_, i) => io.words.bits(16 * i + 15, 16 * i) as UInt<number>);
    const addLevels = (n: number) => {
      for (let l = 0; l < n && terms.length > 1; l++) terms = addLevel(terms);
    };
    // Two registered stages, each with up to two adder levels in front of it.
    let valid = io.valid, first = io.first;
    for (const stage of [1, 2]) {
      addLevels(Math.min(2, levels - 2 * (stage - 1)));
      const width = terms[0]!.width;
      const r = m.reg(`stage${stage}`, record({ valid: bool, first: bool, terms: vec(u(width), terms.length) }));
      const [v, f, ts] = [valid, first, terms];
      m.seq(() => {
        r.valid.set(v);
        when(v, () => {
          r.first.set(f);
          r.terms.items.forEach((t, j) => t.set(ts[j]!));
        });
      });
      valid = r.valid; first = r.first;
      terms = [...r.terms.items];
    }
    addLevels(levels);
    const beatSum = terms[0]!.zext(32);
    const acc = m.reg('acc', u(32));
    const v = valid, f = first;
    m.seq(() => when(v, () => acc.set(mux(f, lit(32, 0), acc).add(beatSum))));
    io.sum.set(acc);
  }, { words });
}
