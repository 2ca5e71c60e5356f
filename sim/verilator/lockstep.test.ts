// Lock-step: JS and Verilator agree on every example under random stimulus (resets included),
// a difference is reported with cycle, port and both values, and the two VCDs are identical.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { exampleDesigns } from '../../hw/examples/index.ts';
import { simulate, type PortHandle, type Simulator } from '../../hw/hdl/sim/index.ts';
import { bool, input, lit, module, mux, output, u, vec, when, type UInt } from '../../hw/hdl/index.ts';
import { LockstepMismatch, lockstep } from '../../hw/hdl/sim/lockstep.ts';
import { verilatorUnavailable } from './index.ts';
import { randomStimulus } from './stimulus.ts';

/** `inner` with output `port` reading `wrong` from cycle `at` on: a stand-in for an engine bug. */
function corrupt(inner: Simulator, port: string, at: number, wrong: number): Simulator {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'port') {
        return (name: string): PortHandle => {
          const h = target.port(name);
          return name === port ? { ...h, name: h.name, width: h.width, get: () => (target.cycle >= at ? wrong : h.get()), set: (v) => h.set(v) } : h;
        };
      }
      const v: unknown = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('lockstep (engine-agnostic part, on two JS engines)', () => {
  test('the first difference names cycle, port and both values', async () => {
    const def = exampleDesigns().counter;
    const a = await simulate(def, { engine: 'js' });
    const b = corrupt(await simulate(def, { engine: 'js' }), 'count', 7, 99);
    const ls = lockstep(a, b);
    expect(ls.engine).toBe('lockstep(js,js)');
    ls.reset();
    ls.poke('enable', 1);
    let err: unknown;
    try { ls.step(20); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LockstepMismatch);
    const m = err as LockstepMismatch;
    expect([m.cycle, m.port, m.values]).toEqual([7, 'count', [6, 99]]);
    expect(m.message).toMatch(/cycle 7, 'count': js=6 js=99/);
  });

  test('agreeing engines run to the end; hooks see the wrapper and drive both', async () => {
    const def = exampleDesigns().small_fifo;
    const ls = lockstep(await simulate(def, { engine: 'js' }), await simulate(def, { engine: 'js' }));
    const seen: number[] = [];
    ls.onCycle((c) => seen.push(c));
    randomStimulus(ls, 3);
    ls.step(100);
    expect(ls.cycle).toBe(100);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe.skipIf(verilatorUnavailable !== null)('lockstep js vs verilator', () => {
  for (const [name, def] of Object.entries(exampleDesigns())) {
    test(`${name}: 3000 random cycles with resets, every output equal every cycle`, async () => {
      const ls = lockstep(await simulate(def, { engine: 'js' }), await simulate(def, { engine: 'verilator' }));
      expect(ls.engine).toBe('lockstep(js,verilator)');
      randomStimulus(ls, name.length * 7919);
      ls.step(3000);
      expect(ls.cycle).toBe(3000);
      for (const m of ls.memories) for (let a = 0; a < m.depth; a++) ls.peekMem(m.name, a); // throws on a difference
      ls.dispose();
    });
  }

  test('a count of set bits written as a sum of (bit ? 1 : 0): equal (the emitter widens the bit; Verilator 5.006 negates such sums)', async () => {
    const def = module('count_bits', { a: input(u(8)), we: input(bool), count: output(u(4)), over1: output(bool) }, (m, io) => {
      const r = m.reg('r', vec(bool, 8));
      const sum = m.let('sum', r.items.reduce<UInt<4>>((acc, x) => acc.add(mux(x, lit(4, 1), lit(4, 0))), lit(4, 0)));
      io.count.set(sum);
      io.over1.set(lit(4, 1).lt(mux(io.we, sum.add(1), sum)));
      m.seq(() => when(io.we, () => r.items.forEach((x, j) => x.set(io.a.bit(j)))));
    });
    const ls = lockstep(await simulate(def, { engine: 'js' }), await simulate(def, { engine: 'verilator' }));
    ls.reset(2);
    let last = 0;
    for (let i = 0; i < 600; i++) { ls.poke('a', (i * 37) & 0xff); ls.poke('we', i % 3 === 0 ? 1 : 0); if (i % 3 === 0) last = (i * 37) & 0xff; ls.step(1); }
    expect(ls.peek('count')).toBe(last.toString(2).split('').filter((b) => b === '1').length);   // compared with Verilator's too
    ls.dispose();
  });

  test('a Verilator engine with a wrong output is caught at the first bad cycle', async () => {
    const def = exampleDesigns().uart_tx;
    const ls = lockstep(await simulate(def, { engine: 'js' }), corrupt(await simulate(def, { engine: 'verilator' }), 'txd', 12, 0));
    ls.reset();
    ls.poke('data.valid', 0);
    expect(() => ls.step(30)).toThrow(/cycle 12, 'txd': js=1 verilator=0/);
  });

  test('both engines write the same VCD: same names, scopes, values and times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homa-vcd-'));
    const def = exampleDesigns().buffered_uart;
    const texts: string[] = [];
    for (const engine of ['js', 'verilator']) {
      const path = join(dir, `${engine}.vcd`);
      const sim = await simulate(def, { engine, vcd: path });
      sim.reset(2);
      randomStimulus(sim, 11, 1e9);
      sim.step(400);
      sim.dispose();
      texts.push(readFileSync(path, 'utf8').replace(/^\$date .*$/m, ''));
    }
    rmSync(dir, { recursive: true, force: true });
    expect(texts[0]).toContain('$scope module fifo $end');
    expect(texts[0]).toContain(' state_state $end'); // FSM state names as strings
    expect(texts[1]).toBe(texts[0]);
  });
});
