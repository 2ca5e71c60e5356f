// hw/lib/frame_arbiter.ts — n frame streams (beats with `last`) to one, whole frames at a time:
// at a frame's first beat the lowest-numbered input offering one wins, and the output stays
// with it until that frame's last beat has left, so frames never interleave. Control traffic
// on input 0 thus overtakes bulk data on input 1 at the next frame boundary.
//
// Latency 0, one beat per cycle; an offered first beat is locked in until taken (the stream
// rule), so a higher-priority arrival waits for the next boundary.

import { assign, bool, clog2, lit, module, mux, stream, u, when, type UInt } from '../hdl/index.ts';
import { requireParam, type BeatLayout } from './beat.ts';

export function frameArbiter(layout: BeatLayout, n: number) {
  requireParam(Number.isInteger(n) && n >= 2, `frameArbiter: n must be an integer >= 2 (got ${n})`);
  return module('frame_arbiter', { in: stream.sinks(layout, n), out: stream.source(layout) }, (m, io) => {
    const k = clog2(n);
    // `busy`: a frame is under way (or its first beat offered and not yet taken) from input `owner`.
    const r = m.regs({ busy: bool, owner: u(k) });
    let first: UInt<number> = lit(k, n - 1);
    for (let i = n - 2; i >= 0; i--) first = mux(io.in[i]!.valid, lit(k, i), first);
    const sel = m.let('sel', mux(r.busy, r.owner, first));
    const anyValid = io.in.reduce((a, s) => a.or(s.valid), lit(1, 0).asBool());
    let valid = io.in[0]!.valid;
    let payload = io.in[0]!.payload;
    for (let i = 1; i < n; i++) {
      valid = mux(sel.eq(i), io.in[i]!.valid, valid);
      payload = mux(sel.eq(i), io.in[i]!.payload, payload);
    }
    io.out.valid.set(valid.and(r.busy.or(anyValid)));
    assign(io.out.payload, payload);
    io.in.forEach((s, i) => s.ready.set(io.out.ready.and(sel.eq(i))));
    m.seq(() => {
      when(io.out.valid, () => {
        r.owner.set(sel);
        r.busy.set(io.out.fire().and(io.out.payload.last).not());
      });
    });
  });
}
