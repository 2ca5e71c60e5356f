// hw/lib/stream_mux.ts — n streams to one, chosen beat by beat by a `select` stream.
//
// The selection is itself a stream so that it obeys the stream rules: a select beat names the
// input whose next beat goes out, and both are consumed in the same cycle. Latency 0.
// Out-of-range selects (n not a power of two) wait forever; do not send them.

import { assign, clog2, module, mux, stream, u, type Bool, type Layout } from '../hdl/index.ts';
import { requireParam } from './beat.ts';

export function streamMux<L extends Layout>(payload: L, n: number) {
  requireParam(Number.isInteger(n) && n >= 2, `streamMux: n must be an integer >= 2 (got ${n})`);
  return module('stream_mux', { in: stream.sinks(payload, n), select: stream.sink(u(clog2(n))), out: stream.source(payload) }, (m, io) => {
    const { in: ins, select: sel, out } = io;
    const pick: Bool[] = [];
    for (let i = 0; i < n; i++) pick.push(m.let(`pick${i}`, sel.valid.and(sel.payload.eq(i))));
    let valid: Bool = ins[0]!.valid.and(pick[0]!);
    let data = ins[0]!.payload;
    for (let i = 1; i < n; i++) {
      valid = valid.or(ins[i]!.valid.and(pick[i]!));
      data = mux(pick[i]!, ins[i]!.payload, data);
    }
    const outValid = m.let('chosen_valid', valid);
    out.valid.set(outValid);
    assign(out.payload, data);
    ins.forEach((s, i) => s.ready.set(pick[i]!.and(out.ready)));
    sel.ready.set(outValid.and(out.ready));
  }, { width: payload.width, n });
}

export function streamDemux<L extends Layout>(payload: L, n: number) {
  requireParam(Number.isInteger(n) && n >= 2, `streamDemux: n must be an integer >= 2 (got ${n})`);
  return module('stream_demux', { in: stream.sink(payload), select: stream.sink(u(clog2(n))), out: stream.sources(payload, n) }, (m, io) => {
    const { in: input, select: sel } = io;
    const both = m.let('both_valid', input.valid.and(sel.valid));
    let readySel: Bool | null = null;
    for (let i = 0; i < n; i++) {
      const out = io.out[i]!;
      const hit = m.let(`to${i}`, sel.payload.eq(i));
      out.valid.set(both.and(hit));
      assign(out.payload, input.payload);
      const r = hit.and(out.ready);
      readySel = readySel ? readySel.or(r) : r;
    }
    const taken = m.let('taken', readySel!);
    input.ready.set(sel.valid.and(taken));
    sel.ready.set(input.valid.and(taken));
  }, { width: payload.width, n });
}
