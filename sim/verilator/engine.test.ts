// The Simulator contract, checked on every available engine with hand-computed expectations:
// the example designs, values wider than 32 and 64 bits, memories, hooks and errors.

import { describe, expect, test } from 'vitest';
import { exampleDesigns } from '../../hw/examples/index.ts';
import { input, module, output, u, when } from '../../hw/hdl/index.ts';
import { simulate, testEngines } from '../../hw/hdl/sim/index.ts';

const { run: engines, skipped } = testEngines();
for (const s of skipped) test.skip(`engine ${s.engine} skipped: ${s.reason}`, () => {});

/** 100-, 64- and 40-bit values, a 72-bit memory with initial contents: Verilator's wide and quad words. */
const wideDesign = module('wide_math', {
  a: input(u(100)), b: input(u(100)), q: input(u(40)), addr: input(u(2)), wdata: input(u(72)), we: input(u(1)),
  sum: output(u(100)), acc: output(u(40)), rdata: output(u(72)), mix: output(u(64)),
}, (m, io) => {
  const r = m.regs({ total: u(40) }, { total: 0x12_3456_789an });
  const ram = m.memory('ram', { layout: u(72), depth: 4, ports: ['rw'], init: [0xab_cdef_0123_4567_89abn] });
  const port = ram.ports[0]!;
  m.seq(() => {
    r.total.set(r.total.add(io.q));
    port.read(io.addr);
    when(io.we.asBool(), () => port.write(io.addr, io.wdata));
  });
  io.sum.set(io.a.add(io.b));
  io.acc.set(r.total);
  io.rdata.set(port.data);
  io.mix.set(io.a.trunc(64).xor(io.b.trunc(64)));
});

describe.each(engines)('engine %s', (engine) => {
  test('counter: counts while enabled, clears, wraps with a one-cycle pulse', async () => {
    const sim = await simulate(exampleDesigns().counter, { engine });
    sim.reset();
    expect(sim.peek('count')).toBe(0);
    sim.poke('enable', 1);
    sim.step(10);
    expect(sim.peek('count')).toBe(10);
    sim.poke('enable', false);
    sim.step(5);
    expect(sim.peek('count')).toBe(10);
    sim.poke('enable', true);
    sim.step(245);
    expect([sim.peek('count'), sim.peek('wrap')]).toEqual([255, 1]);
    sim.step();
    expect([sim.peek('count'), sim.peek('wrap')]).toEqual([0, 0]);
    sim.poke('clear', 1);
    sim.step(3);
    expect(sim.peek('count')).toBe(0);
    expect(sim.cycle).toBe(1 + 10 + 5 + 245 + 1 + 3);
    sim.dispose();
  });

  test('small FIFO: every beat comes out once, in order, under random back-pressure', async () => {
    const sim = await simulate(exampleDesigns().small_fifo, { engine });
    sim.reset();
    const sent: number[] = [], got: number[] = [];
    let seed = 99, next = 0, maxCount = 0;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    sim.onCycle(() => {
      sim.poke('in.valid', next < 200 && rnd() < 0.7);
      sim.poke('in.payload', next & 0xff);
      sim.poke('out.ready', rnd() < (sim.cycle < 300 ? 0.3 : 0.9));
      // What the coming edge transfers, seen after the pokes settle.
      if (sim.peek('in.valid') && sim.peek('in.ready')) { sent.push(sim.peek('in.payload') as number); next++; }
      if (sim.peek('out.valid') && sim.peek('out.ready')) got.push(sim.peek('out.payload') as number);
      maxCount = Math.max(maxCount, sim.peek('count') as number);
    });
    sim.step(1200);
    expect(sent.length).toBe(200);
    expect(got).toEqual(sent);
    expect(sent).toEqual(Array.from({ length: 200 }, (_, i) => i & 0xff));
    expect(maxCount).toBe(16);
    expect(sim.peek('count')).toBe(0);
    expect(sim.peek('used')).toBe(0);
    sim.dispose();
  });

  test('UART: 0xA5 goes out as start bit, LSB first, stop bit, 4 cycles each; idle line is 1 before any reset', async () => {
    const sim = await simulate(exampleDesigns().uart_tx, { engine });
    expect(sim.peek('txd')).toBe(1); // registers start at their reset values
    sim.reset();
    sim.poke('data.valid', 1);
    sim.poke('data.payload', 0xa5);
    expect(sim.peek('data.ready')).toBe(1);
    sim.step();
    sim.poke('data.valid', 0);
    const line: number[] = [];
    sim.onCycle(() => line.push(sim.peek('txd') as number));
    sim.step(44);
    const bits = [0, ...Array.from({ length: 8 }, (_, i) => (0xa5 >> i) & 1), 1, 1];
    expect(line).toEqual(bits.flatMap((b) => [b, b, b, b]));
    expect(sim.peek('data.ready')).toBe(1);
    sim.dispose();
  });

  test('traffic light: green until requested, then amber 4, walk 10, green again', async () => {
    const sim = await simulate(exampleDesigns().traffic_light, { engine });
    sim.reset();
    const lamps: number[] = [];
    sim.onCycle((c) => { sim.poke('request', c === 5); lamps.push(sim.peek('cars') as number); });
    sim.step(20);
    // Hooks of this run see cycles 1..20; lamp enum: red=0, amber=1, green=2. The timer is 0
    // after reset, so the request of cycle 5 takes effect at that edge.
    expect(lamps.slice(0, 5)).toEqual([2, 2, 2, 2, 2]);
    expect(lamps.slice(5, 9)).toEqual([1, 1, 1, 1]);
    expect(lamps.slice(9, 19)).toEqual(Array(10).fill(0));
    expect(lamps[19]).toBe(2);
    expect(sim.peek('walk')).toBe(0);
    expect(sim.peek('cars')).toBe(2);
    sim.dispose();
  });

  test('hierarchy: internal signals by hierarchical name, memories by instance path', async () => {
    const sim = await simulate(exampleDesigns().buffered_uart, { engine });
    sim.reset();
    sim.poke('countEnable', 1);
    for (const byte of [1, 2, 3]) { sim.poke('data.valid', 1); sim.poke('data.payload', byte); sim.step(); }
    sim.poke('data.valid', 0);
    expect(sim.peek('accepted')).toBe(3);
    expect(sim.memories.map((m) => m.name)).toContain('fifo.ram');
    expect([0, 1, 2].map((a) => sim.peekMem('fifo.ram', a))).toEqual([1, 2, 3]);
    sim.step(2);
    expect(sim.peek('tx.state')).not.toBe(0); // the UART took the first byte
    expect(sim.peek('fifo.used')).toBe(sim.peek('queued'));
    sim.dispose();
  });

  test('wide values are bigints; quad and wide words round-trip; memories poke and peek', async () => {
    const sim = await simulate(wideDesign, { engine });
    expect(sim.peek('acc')).toBe(0x12_3456_789an); // 40 bits: a bigint
    const a = (1n << 99n) | 0xdead_beef_cafe_f00dn, b = (1n << 99n) + 5n;
    sim.poke('a', a);
    sim.poke('b', b);
    expect(sim.peek('sum')).toBe((a + b) & ((1n << 100n) - 1n));
    expect(sim.peek('mix')).toBe((a ^ b) & ((1n << 64n) - 1n));
    sim.reset();
    sim.poke('q', 0xff_ffff_fff0n);
    sim.step(3);
    expect(sim.peek('acc')).toBe((0x12_3456_789an + 3n * 0xff_ffff_fff0n) & ((1n << 40n) - 1n)); // reset restores the reset value
    expect(sim.peek('rdata')).toBe(0xab_cdef_0123_4567_89abn);
    sim.pokeMem('ram', 2, (1n << 71n) | 7n);
    expect(sim.peekMem('ram', 2)).toBe((1n << 71n) | 7n);
    sim.poke('addr', 2);
    sim.step();
    expect(sim.peek('rdata')).toBe((1n << 71n) | 7n);
    sim.poke('we', 1);
    sim.poke('addr', 3);
    sim.poke('wdata', -1n);
    sim.step();
    expect(sim.peekMem('ram', 3)).toBe((1n << 72n) - 1n);
    sim.dispose();
  });

  test('errors name the problem: unknown signals, pokes of outputs, values that do not fit', async () => {
    const sim = await simulate(exampleDesigns().counter, { engine });
    expect(() => sim.peek('nonesuch')).toThrow(/nonesuch/);
    expect(() => sim.poke('count', 1)).toThrow(/input/);
    expect(() => sim.poke('enable', 2)).toThrow(/does not fit in 1 bit/);
    expect(() => sim.poke('enable', 0.5)).toThrow(/integer/);
    expect(() => sim.peekMem('ram', 0)).toThrow(/no memory/);
    sim.dispose();
  });
});
