// hw/homa/engine/dma_write_mux.ts — several writers onto the one DMA write port, keeping each
// write whole and in order.
//
// A write is a request plus its data beats (up to `last`) on separate streams, as AXI's write
// address and data channels. Requests are granted round robin; each grant queues the writer's
// index, and data beats are taken from the writer at the head of that queue until its last
// beat. So requests and data overlap (the next write's request goes out while this one's data
// streams), a writer's writes keep their order, and a write requested after another write was
// granted is never seen before it (the completion after its payload, spec §2.2).

import { bool, clog2, module, mux, output, stream, u, when } from '../../hdl/index.ts';
import { regFifo } from '../../lib/fifo.ts';
import type { EngineConfig } from './config.ts';
import { engineLayouts } from './types.ts';

export function dmaWriteMux(c: EngineConfig, writers: 2) {
  const L = engineLayouts(c);
  return module(`dma_write_mux_${c.name}`, {
    req0: stream.sink(L.dmaWrReq),
    data0: stream.sink(L.dmaWrData),
    req1: stream.sink(L.dmaWrReq),
    data1: stream.sink(L.dmaWrData),
    req: stream.source(L.dmaWrReq),
    data: stream.source(L.dmaWrData),
    idle: output(bool),
  }, (m, io) => {
    // Round robin between the two writers' requests; an offered request stays until taken.
    const owners = m.instance('owners', regFifo(u(clog2(writers)), 4));
    const r = m.regs({ locked: bool, lockIdx: bool, last: bool });
    const both = m.let('both_ask', io.req0.valid.and(io.req1.valid));
    const pick = m.let('pick', mux(r.locked, r.lockIdx, mux(both, r.last.not(), io.req1.valid)));
    const asking = m.let('asking', io.req0.valid.or(io.req1.valid));
    io.req.valid.set(asking.and(owners.in.ready));
    io.req.payload.addr.set(mux(pick, io.req1.payload.addr, io.req0.payload.addr));
    io.req.payload.len.set(mux(pick, io.req1.payload.len, io.req0.payload.len));
    io.req.payload.qp.set(mux(pick, io.req1.payload.qp, io.req0.payload.qp));
    io.req.payload.lane.set(mux(pick, io.req1.payload.lane, io.req0.payload.lane));
    io.req0.ready.set(io.req.ready.and(owners.in.ready).and(pick.not()));
    io.req1.ready.set(io.req.ready.and(owners.in.ready).and(pick));
    owners.in.valid.set(io.req.fire());
    owners.in.payload.set(pick.asUInt());
    m.seq(() => {
      r.locked.set(io.req.valid.and(io.req.ready.not()));
      r.lockIdx.set(pick);
      when(io.req.fire(), () => r.last.set(pick));
    });

    const head = owners.out.payload;
    const fromOne = head.eq(1);
    io.data.valid.set(owners.out.valid.and(mux(fromOne, io.data1.valid, io.data0.valid)));
    io.data.payload.data.set(mux(fromOne, io.data1.payload.data, io.data0.payload.data));
    io.data.payload.last.set(mux(fromOne, io.data1.payload.last, io.data0.payload.last));
    io.data0.ready.set(io.data.ready.and(owners.out.valid).and(fromOne.not()));
    io.data1.ready.set(io.data.ready.and(owners.out.valid).and(fromOne));
    owners.out.ready.set(io.data.fire().and(io.data.payload.last));
    io.idle.set(owners.count.eq(0));
  }, { config: c.name, writers });
}
