// hw/lib/fifo.ts — synchronous FIFOs with an occupancy count.
//
// regFifo: storage in flip-flops, read through a multiplexer; a beat written in one cycle can
//   leave the next (latency 1), one beat per cycle in and out, ready and valid registered.
//   For small depths (the read mux grows with the depth).
// ramFifo: storage in block RAM; the RAM's registered read port is the output register, so a
//   beat leaves at the earliest 2 cycles after it entered; one beat per cycle in steady state.
// queue(payload, n): the cheaper of the two for n entries.

import { assign, clog2, lit, module, output, stream, u, vec, when, type Layout } from '../hdl/index.ts';
import { nextIndex, requireParam } from './beat.ts';

export function regFifo<L extends Layout>(payload: L, depth: number) {
  requireParam(Number.isInteger(depth) && depth >= 2, `regFifo: depth must be an integer >= 2 (got ${depth})`);
  const cw = clog2(depth + 1);
  return module('reg_fifo', {
    in: stream.sink(payload),
    out: stream.source(payload),
    count: output(u(cw)),
  }, (m, io) => {
    const aw = clog2(depth);
    const slots = m.reg('slot', vec(payload, depth));
    const r = m.regs({ wptr: u(aw), rptr: u(aw), used: u(cw) });
    const push = m.let('push', io.in.fire());
    const pop = m.let('pop', io.out.fire());
    io.in.ready.set(r.used.ne(depth));
    io.out.valid.set(r.used.ne(0));
    assign(io.out.payload, slots.get(r.rptr));
    io.count.set(r.used);
    m.seq(() => {
      when(push, () => {
        for (let i = 0; i < depth; i++) when(r.wptr.eq(i), () => assign(slots.at(i), io.in.payload));
        r.wptr.set(nextIndex(r.wptr, depth));
      });
      when(pop, () => r.rptr.set(nextIndex(r.rptr, depth)));
      when(push.and(pop.not()), () => r.used.set(r.used.add(1)))
        .elsewhen(pop.and(push.not()), () => r.used.set(r.used.sub(1)));
    });
  }, { width: payload.width, depth });
}

export function ramFifo<L extends Layout>(payload: L, depth: number) {
  requireParam(Number.isInteger(depth) && depth >= 2, `ramFifo: depth must be an integer >= 2 (got ${depth})`);
  const cw = clog2(depth + 1);
  return module('ram_fifo', {
    in: stream.sink(payload),
    out: stream.source(payload),
    count: output(u(cw)),
  }, (m, io) => {
    const aw = clog2(depth);
    const ram = m.memory('ram', { layout: payload, depth, ports: ['w', 'r'] });
    const [wr, rd] = [ram.ports[0]!, ram.ports[1]!];
    // `used` counts every beat held, including the one in the read register (`headValid`).
    const r = m.regs({ wptr: u(aw), rptr: u(aw), used: u(cw), headValid: u(1) });
    const push = m.let('push', io.in.fire());
    const pop = m.let('pop', io.out.fire());
    const inRam = m.let('in_ram', r.used.sub(r.headValid.zext(cw)));
    const fetch = m.let('fetch', inRam.ne(0).and(r.headValid.asBool().not().or(pop)));
    io.in.ready.set(r.used.ne(depth));
    io.out.valid.set(r.headValid.asBool());
    assign(io.out.payload, rd.data);
    io.count.set(r.used);
    m.seq(() => {
      when(push, () => {
        wr.write(r.wptr, io.in.payload);
        r.wptr.set(nextIndex(r.wptr, depth));
      });
      when(fetch, () => {
        rd.read(r.rptr);
        r.rptr.set(nextIndex(r.rptr, depth));
        r.headValid.set(1);
      }).elsewhen(pop, () => r.headValid.set(lit(1, 0)));
      when(push.and(pop.not()), () => r.used.set(r.used.add(1)))
        .elsewhen(pop.and(push.not()), () => r.used.set(r.used.sub(1)));
    });
  }, { width: payload.width, depth });
}

/** A FIFO of `n` entries: registers up to 16 entries, block RAM beyond. */
export function queue<L extends Layout>(payload: L, n: number) {
  return n <= 16 ? regFifo(payload, n) : ramFifo(payload, n);
}
