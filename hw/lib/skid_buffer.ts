// hw/lib/skid_buffer.ts — registered stream stages.
//
// skidBuffer: valid, payload AND ready are all registered, so it cuts every combinational path
// between its two sides; it still moves one beat per cycle (the second register, the skid,
// catches the beat that arrives in the cycle the output stalls). Latency 1 cycle.
// pipeStage: registers valid and payload only; ready passes through (one AND gate). Half the
// flip-flops of a skid buffer, for paths where only the forward direction is long.

import { assign, bool, module, stream, when, type Layout } from '../hdl/index.ts';

export function skidBuffer<L extends Layout>(payload: L) {
  return module('skid_buffer', {
    in: stream.sink(payload),
    out: stream.source(payload),
  }, (m, io) => {
    const r = m.regs({ outValid: bool, skidValid: bool });
    const held = m.reg('held', payload);
    const skid = m.reg('skid', payload);
    io.in.ready.set(r.skidValid.not());
    io.out.valid.set(r.outValid);
    assign(io.out.payload, held);
    const outFree = m.let('out_free', r.outValid.not().or(io.out.ready));
    m.seq(() => {
      when(outFree, () => {
        // The output slot empties this cycle: refill it from the skid first, then the input.
        when(r.skidValid, () => {
          assign(held, skid);
          r.outValid.set(true);
          r.skidValid.set(false);
        }).otherwise(() => {
          r.outValid.set(io.in.valid);
          when(io.in.valid, () => assign(held, io.in.payload));
        });
      }).otherwise(() => {
        when(io.in.fire(), () => {
          r.skidValid.set(true);
          assign(skid, io.in.payload);
        });
      });
    });
  }, { width: payload.width });
}

export function pipeStage<L extends Layout>(payload: L) {
  return module('pipe_stage', {
    in: stream.sink(payload),
    out: stream.source(payload),
  }, (m, io) => {
    const r = m.regs({ outValid: bool });
    const held = m.reg('held', payload);
    const advance = m.let('advance', r.outValid.not().or(io.out.ready));
    io.in.ready.set(advance);
    io.out.valid.set(r.outValid);
    assign(io.out.payload, held);
    m.seq(() => {
      when(advance, () => {
        r.outValid.set(io.in.valid);
        when(io.in.valid, () => assign(held, io.in.payload));
      });
    });
  }, { width: payload.width });
}
