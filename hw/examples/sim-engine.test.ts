// hw/examples/sim-engine.test.ts — hw/hdl/sim's engines on the example designs (here, not in
// hw/hdl/sim, because the DSL never imports the designs built on it).
//
// The Simulator contract on every engine: pokes and peeks by name and interface path, the
// cycle semantics (settle, hooks, edge; reset; memories), and exact arithmetic at widths
// around the 32-bit word boundary, checked against BigInt.

import { describe, expect, test } from 'vitest';
import { bool, cat, input, module, output, s, u, when, type Bits, type UInt } from '../hdl/index.ts';
import { counter, smallFifo } from './index.ts';
import { simulate, simulateJs, testEngines } from '../hdl/sim/index.ts';

const engines = testEngines().run;
import { Rng } from '../hdl/sim/fuzz/random.ts';

const WIDTHS = [8, 31, 32, 33, 64, 100];
/** Every operator on two operands of width w, signed and unsigned. */
const aluPorts = (w: number) => ({
  a: input(u(w)), b: input(u(w)), amt: input(u(8)),
  add: output(u(w)), sub: output(u(w)), mul: output(u(w)), and: output(u(w)), or: output(u(w)), xor: output(u(w)),
  not: output(u(w)), neg: output(u(w)), shl: output(u(w)), shr: output(u(w)), sra: output(u(w)),
  ltu: output(bool), lts: output(bool), geu: output(bool), ges: output(bool), eq: output(bool),
  cat: output(u(2 * w)), mulw: output(u(2 * w)), sext: output(u(w + 40)), hi: output(u(w - 1)),
  redand: output(bool), redor: output(bool), redxor: output(bool),
});
/** One ALU per width in one design (one Verilator build for all of them). */
const alus = module('alus', Object.fromEntries(WIDTHS.map((w) => [`w${w}`, aluPorts(w)])), (_m, ios) => {
  for (const w of WIDTHS) {
    const io = (ios as unknown as Record<string, Record<string, UInt<number>>>)[`w${w}`]!;
    const out = (name: string, v: Bits) => io[name]!.set(v as never);
    const a = io['a']!, b = io['b']!, amt = io['amt']!, sa = a.asSInt(), sb = b.asSInt();
    out('add', a.add(b)); out('sub', a.sub(b)); out('mul', a.mul(b));
    out('and', a.and(b)); out('or', a.or(b)); out('xor', a.xor(b));
    out('not', a.not()); out('neg', sa.neg().asUInt());
    out('shl', a.shl(amt)); out('shr', a.shr(amt)); out('sra', sa.shr(amt).asUInt());
    out('ltu', a.lt(b)); out('lts', sa.lt(sb)); out('geu', a.ge(b)); out('ges', sa.ge(sb)); out('eq', a.eq(b));
    out('cat', cat(a, b)); out('mulw', a.mulW(b)); out('sext', sa.sext(w + 40).asUInt()); out('hi', a.bits(w - 1, 1));
    out('redand', a.andR()); out('redor', a.orR()); out('redxor', a.xorR());
  }
});

function reference(w: number, a: bigint, b: bigint, amt: number): Record<string, bigint> {
  const W = BigInt(w), m = (1n << W) - 1n, sgn = (x: bigint) => BigInt.asIntN(w, x);
  const u = (x: bigint) => BigInt.asUintN(w, x);
  let ones = 0; for (let x = a; x; x >>= 1n) ones += Number(x & 1n);
  return {
    add: u(a + b), sub: u(a - b), mul: u(a * b), and: a & b, or: a | b, xor: a ^ b, not: u(~a), neg: u(-a),
    shl: amt >= w ? 0n : u(a << BigInt(amt)), shr: amt >= w ? 0n : a >> BigInt(amt),
    sra: u(sgn(a) >> BigInt(Math.min(amt, w - 1))),
    ltu: BigInt(a < b), lts: BigInt(sgn(a) < sgn(b)), geu: BigInt(a >= b), ges: BigInt(sgn(a) >= sgn(b)), eq: BigInt(a === b),
    cat: (a << W) | b, mulw: a * b, sext: BigInt.asUintN(w + 40, sgn(a)), hi: a >> 1n,
    redand: BigInt(a === m), redor: BigInt(a !== 0n), redxor: BigInt(ones & 1),
  };
}

for (const engine of engines) {
  describe(`simulator contract (${engine})`, () => {
    test('a counter counts while enabled, clears, and reset restores it', async () => {
      const sim = await simulate(counter(8), { engine });
      sim.reset();
      sim.poke('enable', 1);
      sim.step(10);
      expect(sim.peek('count')).toBe(10);
      sim.step(245);
      expect(sim.peek('count')).toBe(255);
      expect(sim.peek('wrap')).toBe(1);
      sim.step(1);
      expect(sim.peek('count')).toBe(0);
      sim.poke('clear', true);
      sim.step(1);
      sim.poke('clear', false);
      sim.poke('enable', 0);
      sim.step(3);
      expect(sim.peek('count')).toBe(0);
      sim.poke('enable', 1);
      sim.step(5);
      sim.reset(2);
      expect(sim.peek('count')).toBe(0);
      expect(sim.cycle).toBe(1 + 10 + 245 + 1 + 1 + 3 + 5 + 2);
      sim.dispose();
    });

    test('poking checks names, directions and ranges', async () => {
      const sim = await simulate(counter(8), { engine });
      expect(() => sim.poke('nonesuch', 1)).toThrow(/no port or signal 'nonesuch'/);
      expect(() => sim.poke('count', 1)).toThrow(/count/);
      expect(() => sim.poke('enable', 2)).toThrow(/enable/);
      expect(() => sim.poke('enable', 0.5)).toThrow();
      sim.dispose();
    });

    test('a FIFO passes words in order through its memory; memories can be peeked and poked', async () => {
      const sim = await simulate(smallFifo(u(8), 4), { engine });
      sim.reset();
      const words = [7, 200, 33, 5];
      sim.poke('out.ready', 0);
      for (const w of words) { sim.poke('in.valid', 1); sim.poke('in.payload', w); sim.step(1); }
      sim.poke('in.valid', 0);
      expect(sim.peek('in.ready')).toBe(0);
      expect(sim.peek('count')).toBe(4);
      expect([0, 1, 2, 3].map((a) => sim.peekMem('ram', a))).toEqual(words);
      sim.pokeMem('ram', 1, 99);
      const out: number[] = [];
      sim.poke('out.ready', 1);
      for (let i = 0; i < 8; i++) {
        if (sim.peek('out.valid') === 1) out.push(Number(sim.peek('out.payload')));
        sim.step(1);
      }
      expect(out).toEqual([7, 99, 33, 5]);
      expect(() => sim.peekMem('ram', 4)).toThrow(/0\.\.3/);
      sim.dispose();
    });

    test('while rst is high memories neither read nor write, and registers hold their reset values', async () => {
      const d = module('rstmem', { we: input(bool), addr: input(u(2)), d: input(u(8)), q: output(u(8)), n: output(u(4)) }, (m, io) => {
        const ram = m.memory('ram', { layout: u(8), depth: 4, init: [1, 2, 3, 4] });
        const p = ram.ports[0]!;
        const n = m.reg('cnt', u(4), 9);
        m.seq(() => { when(io.we, () => p.write(io.addr, io.d)); p.read(io.addr); n.set(n.add(1)); });
        io.q.set(p.data);
        io.n.set(n);
      });
      const sim = await simulate(d, { engine });
      sim.poke('addr', 2);
      sim.poke('we', 1);
      sim.poke('d', 77);
      sim.reset(3);
      expect(sim.peek('q')).toBe(0);
      expect(sim.peek('n')).toBe(9);
      expect(sim.peekMem('ram', 2)).toBe(3);
      sim.poke('we', 0);
      sim.step(1);
      expect(sim.peek('q')).toBe(3); // registered read of the initial word
      sim.poke('we', 1);
      sim.step(1);
      expect(sim.peek('q')).toBe(3); // a read in the cycle of a write sees the old word
      expect(sim.peekMem('ram', 2)).toBe(77);
      expect(sim.peek('n')).toBe(11);
      sim.dispose();
    });

    test('hooks run every cycle before the edge, see settled values, and can be removed', async () => {
      const sim = await simulate(counter(8), { engine });
      sim.reset();
      sim.poke('enable', 1);
      const seen: [number, number][] = [];
      const off = sim.onCycle((c) => { seen.push([c, Number(sim.peek('count'))]); sim.poke('enable', c % 2); });
      sim.step(4);
      off();
      sim.poke('enable', 1);
      sim.step(2);
      expect(seen).toEqual([[1, 0], [2, 1], [3, 1], [4, 2]]);
      expect(sim.peek('count')).toBe(4);
      sim.dispose();
    });

    test(`every operator is exact at ${WIDTHS.join(', ')} bits (against BigInt)`, async () => {
      const sim = await simulate(alus, { engine });
      for (const w of WIDTHS) {
        const rng = new Rng(w);
        const names = Object.keys(reference(w, 0n, 0n, 0));
        for (let i = 0; i < 200; i++) {
          const a = rng.bits(w), b = i % 7 === 0 ? a : rng.bits(w), amt = rng.int(i % 3 ? w + 4 : 256);
          sim.poke(`w${w}.a`, w <= 32 ? Number(a) : a);
          sim.poke(`w${w}.b`, w <= 32 ? Number(b) : b);
          sim.poke(`w${w}.amt`, amt);
          const want = reference(w, a, b, amt);
          const got = Object.fromEntries(names.map((n) => [n, BigInt(sim.peek(`w${w}.${n}`))]));
          expect(got, `w=${w} a=${a} b=${b} amt=${amt}`).toEqual(want);
        }
      }
      sim.dispose();
    });

    test('values up to 32 bits are numbers, wider ones bigints; negative pokes are two\'s complement', async () => {
      const d = module('widths', { a: input(s(32)), b: input(s(40)), x: output(u(32)), y: output(u(40)) }, (_m, io) => {
        io.x.set(io.a.asUInt().as(32)); io.y.set(io.b.asUInt().as(40));
      });
      const sim = await simulate(d, { engine });
      sim.poke('a', -1);
      sim.poke('b', -2n);
      expect(sim.peek('x')).toBe(0xffffffff);
      expect(sim.peek('y')).toBe((1n << 40n) - 2n);
      sim.dispose();
    });
  });
}

describe('js engine code generation', () => {
  test('a design too big for one function is split into bounded ones and stays exact', () => {
    // Hundreds of 40-bit registers (two words each: carries cross word boundaries) in a ring.
    const n = 1200;
    // Large values, so the low words carry into the high ones.
    const mix = (i: number) => BigInt.asUintN(40, BigInt(i) * 0x9e3779b97fn);
    const big = module('big', { a: input(u(40)), q: output(u(40)) }, (m, io) => {
      const regs = Object.values(m.regs(Object.fromEntries(Array.from({ length: n }, (_, i) => [`r${i}`, u(40)]))));
      m.seq(() => regs.forEach((x, i) => x.set(regs[(i + 1) % n]!.add(io.a).xor(mix(i)))));
      io.q.set(regs.reduce((acc, x) => acc.add(x)));
    });
    const sim = simulateJs(big);
    const all = [...sim.program.comb, ...sim.program.edge];
    expect(all.length).toBeGreaterThan(2);
    for (const body of all) expect(body.length).toBeLessThan(40_000);
    const M = (1n << 40n) - 1n;
    let model = Array.from({ length: n }, () => 0n);
    sim.reset();
    for (let c = 0; c < 5; c++) {
      const a = mix(c + 7);
      sim.poke('a', a);
      expect(sim.peek('q')).toBe(model.reduce((x, y) => (x + y) & M));
      sim.step(1);
      model = model.map((_, i) => ((model[(i + 1) % n]! + a) & M) ^ mix(i));
    }
  });
});
