// hw/homa/engine/dma_read_mux.ts — two readers onto the one DMA read port.
//
// A read is a request {addr, len, tag, qp} and later its data beats {data, last, tag}. Tag bit
// `bit` (3 unless given) names the reader: with bit 3, reader 0 uses tags 0..7 and reader 1
// tags 8..15 (the mux sets the bit on the way out whatever the reader gave; the bits above it
// pass through, so two muxes cascade: the engine puts the payload reads and the descriptor
// reads behind a bit-2 mux, and that behind the bpage returns' bit-3 one), and each beat goes
// back to the reader its tag names, so
// responses may interleave as the host returns them. Requests are granted round robin; an
// offered request stays until taken (a request is never changed while the port holds it).

import { bool, module, mux, output, stream, when } from '../../hdl/index.ts';
import type { EngineConfig } from './config.ts';
import { DMA_TAG_BITS, engineLayouts } from './types.ts';

export function dmaReadMux(c: EngineConfig, bit = DMA_TAG_BITS - 1) {
  const L = engineLayouts(c);
  return module(`dma_read_mux_${c.name}${bit === DMA_TAG_BITS - 1 ? '' : `_b${bit}`}`, {
    req0: stream.sink(L.dmaRdReq),
    data0: stream.source(L.dmaRdData),
    req1: stream.sink(L.dmaRdReq),
    data1: stream.source(L.dmaRdData),
    req: stream.source(L.dmaRdReq),
    data: stream.sink(L.dmaRdData),
    idle: output(bool),
  }, (m, io) => {
    const r = m.regs({ locked: bool, lockIdx: bool, last: bool });
    const both = m.let('both_ask', io.req0.valid.and(io.req1.valid));
    const pick = m.let('pick', mux(r.locked, r.lockIdx, mux(both, r.last.not(), io.req1.valid)));
    const p0 = io.req0.payload, p1 = io.req1.payload;
    io.req.valid.set(io.req0.valid.or(io.req1.valid));
    io.req.payload.addr.set(mux(pick, p1.addr, p0.addr));
    io.req.payload.len.set(mux(pick, p1.len, p0.len));
    io.req.payload.qp.set(mux(pick, p1.qp, p0.qp));
    const tagIn = mux(pick, p1.tag, p0.tag);
    const above = bit === DMA_TAG_BITS - 1 ? pick.asUInt() : tagIn.bits(DMA_TAG_BITS - 1, bit + 1).cat(pick.asUInt());
    io.req.payload.tag.set((bit === 0 ? above : above.cat(tagIn.bits(bit - 1, 0))).as(DMA_TAG_BITS));
    io.req0.ready.set(io.req.ready.and(pick.not()));
    io.req1.ready.set(io.req.ready.and(pick));
    m.seq(() => {
      r.locked.set(io.req.valid.and(io.req.ready.not()));
      r.lockIdx.set(pick);
      when(io.req.fire(), () => r.last.set(pick));
    });

    const toOne = io.data.payload.tag.bit(bit);
    for (const [out, mine] of [[io.data0, toOne.not()], [io.data1, toOne]] as const) {
      out.valid.set(io.data.valid.and(mine));
      out.payload.data.set(io.data.payload.data);
      out.payload.last.set(io.data.payload.last);
      out.payload.tag.set(io.data.payload.tag);
    }
    io.data.ready.set(mux(toOne, io.data1.ready, io.data0.ready));
    io.idle.set(io.req0.valid.not().and(io.req1.valid.not()).and(io.data.valid.not()));
  }, { config: c.name, bit });
}
