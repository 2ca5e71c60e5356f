// hw/examples/fifo.ts — a small synchronous FIFO in block RAM, with a count.
//
// The RAM's registered read port is the output register: a word is fetched into it as soon
// as the previous one leaves, so a steady stream flows at one beat per cycle.

import { assign, clog2, lit, module, mux, output, stream, u, when, type AnyValue, type Layout, type UInt } from '../hdl/index.ts';

export const smallFifo = <L extends Layout>(payload: L, depth: number) => module('small_fifo', {
  in: stream.sink(payload),
  out: stream.source(payload),
  count: output(u(clog2(depth + 1))),
}, (m, io) => {
  const cw = clog2(depth + 1);
  const ram = m.memory('ram', { layout: payload, depth, ports: ['w', 'r'] });
  const [wr, rd] = [ram.ports[0]!, ram.ports[1]!];
  const r = m.regs({ wptr: u(clog2(depth)), rptr: u(clog2(depth)), used: u(cw), headValid: u(1) });
  const push = m.let('push', io.in.fire());
  const pop = m.let('pop', io.out.fire());
  // Words still in the RAM, not yet in the output register.
  const inRam = m.let('in_ram', r.used.sub(r.headValid.zext(cw)));
  const fetch = m.let('fetch', inRam.ne(0).and(r.headValid.asBool().not().or(pop)));
  io.in.ready.set(r.used.lt(depth));
  io.out.valid.set(r.headValid.asBool());
  assign(io.out.payload as AnyValue, rd.data as AnyValue);
  io.count.set(r.used);
  m.seq(() => {
    when(push, () => {
      wr.write(r.wptr, io.in.payload as never);
      r.wptr.set(next(r.wptr, depth));
    });
    when(fetch, () => {
      rd.read(r.rptr);
      r.rptr.set(next(r.rptr, depth));
      r.headValid.set(1);
    }).elsewhen(pop, () => r.headValid.set(0));
    when(push.and(pop.not()), () => r.used.set(r.used.add(1)))
      .elsewhen(pop.and(push.not()), () => r.used.set(r.used.sub(1)));
  });
}, { width: payload.width, depth });

/** The pointer after `p` in a ring of `depth` entries. */
function next(p: UInt<number>, depth: number): UInt<number> {
  if ((depth & (depth - 1)) === 0) return p.add(1);
  return mux(p.eq(depth - 1), lit(p.width, 0), p.add(1));
}
