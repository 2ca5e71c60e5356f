// bench/designs/lanes.ts — the simulator benchmark's mid-size design: a ring of processing
// lanes fed by an internal xorshift generator, so every engine runs the same stimulus with
// nothing but `step(n)` (no per-cycle pokes to cost the engine calls).
//
// Each lane has a mode FSM, a 4-deep delay line, a hash, a 64-bit and a 100-bit accumulator,
// flags built from comparisons, and a small history RAM: ~300 flip-flops and ~50 operators of
// widths 1 to 100, so 48 lanes give ~15 K flip-flops and a few thousand operators. Lane i
// takes lane i-1's output (a ring through registers, no combinational loop).

import { bool, cat, input, lit, module, mux, output, u, when, type UInt } from '../../hw/hdl/index.ts';

export const lane = module('lane', {
  x: input(u(32)), y: input(u(16)), go: input(bool),
  o: output(u(32)), p: output(u(16)), q: output(u(8)),
}, (m, io) => {
  const mode = m.fsm('mode', ['mix', 'hash', 'drain']);
  const r = m.regs({
    acc: u(32), hash: u(24), ctr: u(16), wide: u(64), big: u(128), flags: u(8),
    d0: u(16), d1: u(16), d2: u(16), d3: u(16), small: u(5), peak: u(12),
  }, { hash: 0x5a5a5a, big: 1 });
  const hist = m.memory('hist', { layout: u(16), depth: 16, ports: ['w', 'r'] });
  const [wr, rd] = [hist.ports[0]!, hist.ports[1]!];
  const mixed = m.let('mixed', io.x.xor(r.acc.shl(5)).add(r.hash.zext(32)));
  const over = m.let('over', r.d3.gt(r.d1).and(r.peak.lt(io.y.bits(11, 0))));
  // Next values in a combinational block, registered below: the two-process style much RTL
  // is written in (Icarus re-runs such a block whenever one of its inputs changes).
  const nx = m.wires({ acc_next: u(32), hash_next: u(24), wide_next: u(64), big_next: u(128), flags_next: u(8) });
  m.comb(() => {
    nx.hash_next.set(r.hash.shl(3).xor(io.x.trunc(24)).add(r.ctr.zext(24)));
    nx.wide_next.set(r.wide.add(mixed.zext(64)).xor(r.wide.shr(7)));
    nx.big_next.set(cat(r.big.bits(95, 0), mixed.xor(r.big.bits(127, 96))).as(128));
    nx.flags_next.set(cat(over, r.acc.asSInt().lt(0), r.hash.bit(23), r.ctr.eq(0), io.y.bits(3, 0)).as(8));
    nx.acc_next.set(r.acc);
    mode.on({
      mix: () => nx.acc_next.set(r.acc.add(mixed).xor(rd.data.zext(32))),
      hash: () => nx.acc_next.set(r.acc.mul(0x9e3779b1).xor(r.wide.bits(63, 32))),
      drain: () => nx.acc_next.set(r.acc.shr(r.small).or(r.big.bits(31, 0))),
    });
  });
  m.seq(() => {
    when(io.go, () => {
      r.ctr.set(r.ctr.add(1));
      r.d0.set(io.y); r.d1.set(r.d0); r.d2.set(r.d1.xor(r.d0)); r.d3.set(r.d2.add(r.d1));
      r.hash.set(nx.hash_next); r.wide.set(nx.wide_next); r.big.set(nx.big_next); r.flags.set(nx.flags_next); r.acc.set(nx.acc_next);
      r.small.set(mux(r.small.eq(20), lit(5, 0), r.small.add(1)));
      when(over, () => r.peak.set(io.y.bits(11, 0)));
      wr.write(r.ctr.bits(3, 0), r.d2);
      rd.read(io.x.bits(3, 0));
      mode.on({
        mix: () => when(r.ctr.bits(3, 0).eq(15), () => mode.goto('hash')),
        hash: () => when(r.flags.bit(4), () => mode.goto('drain')).otherwise(() => mode.goto('mix')),
        drain: () => when(r.small.eq(0), () => mode.goto('mix')),
      });
    });
  });
  io.o.set(r.acc.xor(r.wide.trunc(32)).xor(r.big.bits(99, 68)));
  io.p.set(r.d3.add(r.hash.bits(15, 0)));
  io.q.set(r.flags.xor(r.peak.bits(7, 0)));
});

export const lanes = (count: number) => module('lanes', {
  enable: input(bool), seed: input(u(32)),
  checksum: output(u(32)), flags: output(u(8)),
}, (m, io) => {
  const gen = m.reg('gen', u(32), 1);
  // xorshift32: the stimulus every lane sees, generated inside the design.
  const s1 = m.let('gen_a', gen.xor(gen.shl(13)));
  const s2 = m.let('gen_b', s1.xor(s1.shr(17)));
  const s3 = m.let('gen_c', s2.xor(s2.shl(5)));
  m.seq(() => when(io.enable, () => gen.set(s3.xor(io.seed))));
  const ls = Array.from({ length: count }, (_, i) => m.instance(`lane${i}`, lane));
  ls.forEach((l, i) => {
    const prev = ls[(i + count - 1) % count]!, next = ls[(i + 1) % count]!;
    l.x.set(gen.xor(prev.o).add(i));
    l.y.set(gen.bits(31, 16).xor(next.p));
    l.go.set(io.enable);
  });
  let sum: UInt<number> = ls[0]!.o;
  let fl: UInt<number> = ls[0]!.q;
  for (const l of ls.slice(1)) { sum = sum.xor(l.o); fl = fl.or(l.q); }
  io.checksum.set(sum.as(32));
  io.flags.set(fl.as(8));
}, { count });
