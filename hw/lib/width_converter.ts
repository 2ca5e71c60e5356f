// hw/lib/width_converter.ts — packet beats between a narrow and a wide bus (e.g. 8 <-> 64 bytes
// per beat), keeping keep and last.
//
// beatWiden: collects `ratio` narrow beats into one wide beat, narrow beat i in lane i (bytes
//   i*n .. i*n+n-1); a packet's last narrow beat closes the wide beat early, the lanes after it
//   zero with keep clear. One narrow beat per cycle in; output registered.
// beatNarrow: splits each wide beat into `ratio` narrow beats, lane 0 first; on a packet's last
//   wide beat it stops after the highest lane that has a keep bit (lane 0 if none) and marks
//   that one last. One narrow beat per cycle out, with no bubble between wide beats.

import { bool, cat, clog2, lit, module, mux, stream, u, vec, when, type UInt } from '../hdl/index.ts';
import { beat, isPow2, requireParam } from './beat.ts';

export function beatWiden(narrowBytes: number, ratio: number) {
  requireParam(isPow2(ratio) && ratio >= 2, `beatWiden: ratio must be a power of two >= 2 (got ${ratio})`);
  return module(`beat_widen_${narrowBytes}to${narrowBytes * ratio}B`, {
    in: stream.sink(beat(narrowBytes)),
    out: stream.source(beat(narrowBytes * ratio)),
  }, (m, io) => {
    const lanes = m.reg('lane_data', vec(u(8 * narrowBytes), ratio));
    const keeps = m.reg('lane_keep', vec(u(narrowBytes), ratio));
    const r = m.regs({ lane: u(clog2(ratio)), outValid: bool, outLast: bool });
    const take = m.let('take', r.outValid.not().or(io.out.ready));
    const accept = m.let('accept', io.in.valid.and(take));
    const closes = m.let('closes', io.in.payload.last.or(r.lane.eq(ratio - 1)));
    io.in.ready.set(take);
    io.out.valid.set(r.outValid);
    io.out.payload.last.set(r.outLast);
    io.out.payload.data.set(cat(...[...lanes.items].reverse() as UInt<number>[]));
    io.out.payload.keep.set(cat(...[...keeps.items].reverse() as UInt<number>[]));
    m.seq(() => {
      for (let i = 0; i < ratio; i++) {
        const lane = lanes.at(i) as UInt<number>, keep = keeps.at(i) as UInt<number>;
        when(accept.and(r.lane.eq(i)), () => {
          lane.set(io.in.payload.data);
          keep.set(io.in.payload.keep);
        });
        // Starting a new wide beat: the lanes not yet filled hold no bytes (and read as zero).
        if (i !== 0) when(accept.and(r.lane.eq(0)), () => { keep.set(0); lane.set(0); });
      }
      when(accept, () => r.lane.set(mux(closes, lit(r.lane.width, 0), r.lane.add(1))));
      when(accept.and(closes), () => {
        r.outValid.set(true);
        r.outLast.set(io.in.payload.last);
      }).elsewhen(io.out.fire(), () => r.outValid.set(false));
    });
  }, { narrowBytes, ratio });
}

export function beatNarrow(narrowBytes: number, ratio: number) {
  requireParam(isPow2(ratio) && ratio >= 2, `beatNarrow: ratio must be a power of two >= 2 (got ${ratio})`);
  return module(`beat_narrow_${narrowBytes * ratio}to${narrowBytes}B`, {
    in: stream.sink(beat(narrowBytes * ratio)),
    out: stream.source(beat(narrowBytes)),
  }, (m, io) => {
    const k = clog2(ratio);
    const lanes = m.reg('lane_data', vec(u(8 * narrowBytes), ratio));
    const keeps = m.reg('lane_keep', vec(u(narrowBytes), ratio));
    const r = m.regs({ lane: u(k), endLane: u(k), hasBeat: bool, heldLast: bool });
    const atEnd = m.let('at_end', r.lane.eq(r.endLane));
    const take = m.let('take', r.hasBeat.not().or(io.out.ready.and(atEnd)));
    // The last lane holding a byte of the packet's final beat.
    let highest: UInt<number> = lit(k, 0);
    for (let i = 1; i < ratio; i++) {
      highest = mux(io.in.payload.keep.bits((i + 1) * narrowBytes - 1, i * narrowBytes).orR(), lit(k, i), highest);
    }
    const endLane = m.let('end_lane', mux(io.in.payload.last, highest, lit(k, ratio - 1)));
    io.in.ready.set(take);
    io.out.valid.set(r.hasBeat);
    io.out.payload.data.set(lanes.get(r.lane) as UInt<number>);
    io.out.payload.keep.set(keeps.get(r.lane) as UInt<number>);
    io.out.payload.last.set(r.heldLast.and(atEnd));
    m.seq(() => {
      when(io.in.fire(), () => {
        for (let i = 0; i < ratio; i++) {
          (lanes.at(i) as UInt<number>).set(io.in.payload.data.bits((i + 1) * 8 * narrowBytes - 1, i * 8 * narrowBytes));
          (keeps.at(i) as UInt<number>).set(io.in.payload.keep.bits((i + 1) * narrowBytes - 1, i * narrowBytes));
        }
        r.hasBeat.set(true);
        r.lane.set(0);
        r.endLane.set(endLane);
        r.heldLast.set(io.in.payload.last);
      }).elsewhen(io.out.fire(), () => {
        when(atEnd, () => r.hasBeat.set(false)).otherwise(() => r.lane.set(r.lane.add(1)));
      });
    });
  }, { narrowBytes, ratio });
}
