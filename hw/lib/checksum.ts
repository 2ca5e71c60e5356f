// hw/lib/checksum.ts — the Internet checksum (RFC 1071: the ones' complement of the ones'
// complement sum of 16-bit big-endian words) of each packet, `bytes` bytes per beat.
//
// Beats are masked by keep (a missing byte counts as zero, which is also how an odd final
// byte is padded), each beat's words are added in a tree, the beat sums accumulate into a
// 32-bit register, and at the packet's last beat the sum is folded to 16 bits and inverted.
// One beat per cycle; the checksum leaves `latency` cycles after the last beat (the tree is
// registered every `levelsPerStage` adder levels). Packets up to 128 KiB (the 32-bit sum
// cannot overflow below that). All stages stall together when `sum` is not taken.

import { bool, clog2, lit, module, mux, record, stream, u, when, type Bool, type UInt } from '../hdl/index.ts';
import { beat, requireParam } from './beat.ts';

export interface ChecksumOptions {
  /** Bytes per beat: an even number >= 2. */
  readonly bytes: number;
  /** Adder-tree levels between registers (default 2). */
  readonly levelsPerStage?: number;
}

export function internetChecksum(o: ChecksumOptions) {
  const B = o.bytes, lps = o.levelsPerStage ?? 2;
  requireParam(Number.isInteger(B) && B >= 2 && B % 2 === 0, `internetChecksum: bytes must be an even number >= 2 (got ${B})`);
  return module(`inet_checksum_${B}B`, {
    in: stream.sink(beat(B)),
    sum: stream.source(u(16)),
  }, (m, io) => {
    const out = m.reg('out', record({ valid: bool, sum: u(16) }));
    const advance = m.let('advance', out.valid.not().or(io.sum.ready));
    io.in.ready.set(advance);
    io.sum.valid.set(out.valid);
    io.sum.payload.set(out.sum);
    const p = io.in.payload;
    let terms: UInt<number>[] = [];
    for (let w = 0; w < B / 2; w++) {
      const byte = (j: number) => mux(p.keep.bit(j), p.data.bits(8 * j + 7, 8 * j) as UInt<number>, lit(8, 0));
      terms.push(byte(2 * w).cat(byte(2 * w + 1)) as UInt<number>);
    }
    let valid: Bool = io.in.valid, last: Bool = p.last;
    let level = 0, stage = 0;
    const levels = clog2(B / 2);
    while (terms.length > 1) {
      const next: UInt<number>[] = [];
      for (let j = 0; j < terms.length; j += 2) {
        const a = terms[j]!, b = terms[j + 1];
        next.push(b ? a.addW(b) as UInt<number> : a.zext(a.width + 1) as UInt<number>);
      }
      terms = next;
      level++;
      if (level % lps === 0 && level < levels) {
        // A pipeline register across the tree: valid, last and the partial sums move together.
        const st = m.reg(`tree${++stage}`, record({ valid: bool, last: bool }));
        const sums = terms.map((t, j) => m.reg(`tree${stage}_sum${j}`, u(t.width)) as UInt<number>);
        const [v, l, ts] = [valid, last, terms];
        m.seq(() => when(advance, () => {
          st.valid.set(v);
          st.last.set(l);
          sums.forEach((s, j) => s.set(ts[j]!));
        }));
        valid = st.valid; last = st.last; terms = sums;
      }
    }
    const beatSum = terms[0]!.zext(32);
    const acc = m.reg('acc', u(32));
    const first = m.reg('first', bool, 1);
    const done = m.reg('done', record({ valid: bool, total: u(32) }));
    const sum = m.let('acc_next', mux(first, lit(32, 0), acc).add(beatSum));
    const f1 = m.let('fold1', done.total.bits(15, 0).zext(17).add(done.total.bits(31, 16).zext(17)));
    const f2 = m.let('fold2', f1.bits(15, 0).add(f1.bits(16, 16).zext(16)));
    m.seq(() => when(advance, () => {
      when(valid, () => {
        acc.set(sum);
        first.set(last);
      });
      done.valid.set(valid.and(last));
      done.total.set(sum);
      // End-around carry: two folds bring any 32-bit sum to 16 bits.
      out.valid.set(done.valid);
      out.sum.set(f2.not());
    }));
  }, { bytes: B, levelsPerStage: lps });
}
