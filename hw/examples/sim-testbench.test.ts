// hw/examples/sim-testbench.test.ts — hw/hdl/sim's testbench on the example designs (here, not
// in hw/hdl/sim, because the DSL never imports the designs built on it).
//
// The async testbench layer: tick/until on every engine, stream drivers and monitors with
// random valid and back-pressure, and the stream rules caught when a design breaks them.

import { describe, expect, test } from 'vitest';
import { assign, lit, module, record, stream, u, type AnyValue } from '../hdl/index.ts';
import { counter, smallFifo } from './index.ts';
import { simulate, testEngines } from '../hdl/sim/index.ts';
import { StreamRuleError } from '../hdl/sim/stream.ts';
import { Testbench, TimeoutError } from '../hdl/sim/testbench.ts';

const engines = testEngines().run;

const hdr = record({ kind: u(4), len: u(40) });
/** A combinational pass-through of a record stream (ready flows back, valid forward). */
const passThrough = module('pass_through', { in: stream.sink(hdr), out: stream.source(hdr) }, (_m, io) => {
  io.out.valid.set(io.in.valid);
  io.in.ready.set(io.out.ready);
  assign(io.out.payload as AnyValue, io.in.payload as AnyValue);
});

/** Three ways to break the stream rules. */
const validWaitsForReady = module('valid_waits', { out: stream.source(u(8)) }, (_m, io) => {
  io.out.valid.set(io.out.ready);
  io.out.payload.set(lit(8, 5));
});
const payloadWanders = module('payload_wanders', { out: stream.source(u(8)) }, (m, io) => {
  const n = m.reg('n', u(8));
  m.seq(() => n.set(n.add(1)));
  io.out.valid.set(true);
  io.out.payload.set(n);
});
const validDrops = module('valid_drops', { out: stream.source(u(8)) }, (m, io) => {
  const n = m.reg('n', u(8));
  m.seq(() => n.set(n.add(1)));
  io.out.valid.set(n.bit(0));
  io.out.payload.set(lit(8, 1));
});

for (const engine of engines) {
  describe(`testbench (${engine})`, () => {
    test('tick advances exactly; until counts the cycles it waited; concurrent processes share the clock', async () => {
      const tb = new Testbench(await simulate(counter(8), { engine }));
      tb.sim.reset();
      tb.set('enable', 1);
      await tb.tick(5);
      expect(tb.get('count')).toBe(5);
      expect(await tb.until(() => tb.get('count') === 12)).toBe(7);
      expect(await tb.until(() => tb.get('count') === 12)).toBe(0);
      const log: string[] = [];
      await Promise.all([
        (async () => { for (let i = 0; i < 3; i++) { await tb.tick(2); log.push(`a${tb.sim.cycle}`); } })(),
        (async () => { for (let i = 0; i < 2; i++) { await tb.tick(3); log.push(`b${tb.sim.cycle}`); } })(),
      ]);
      const start = tb.sim.cycle - 6;
      expect(log.sort()).toEqual([`a${start + 2}`, `a${start + 4}`, `a${start + 6}`, `b${start + 3}`, `b${start + 6}`].sort());
      await expect(tb.until(() => false, { timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
      tb.sim.dispose();
    });

    test('random valid and back-pressure through a FIFO: every beat arrives, in order', async () => {
      const tb = new Testbench(await simulate(smallFifo(u(8), 5), { engine }));
      tb.sim.reset();
      const beats = Array.from({ length: 200 }, (_, i) => (i * 37) & 255);
      const input = tb.driver('in', { validProbability: 0.6, seed: 3 }).push(...beats);
      const output = tb.monitor('out', { readyProbability: 0.4, seed: 4 });
      const waited = await tb.until(() => output.received.length === beats.length, { timeout: 5000 });
      expect(output.received).toEqual(beats);
      expect(input.sent).toEqual(beats);
      expect(input.pending).toBe(0);
      expect(waited).toBeGreaterThan(beats.length); // back-pressure really stalled the stream
      tb.sim.dispose();
    });

    test('record payloads travel as objects keyed by field', async () => {
      const tb = new Testbench(await simulate(passThrough, { engine }));
      const beats = [{ kind: 3, len: 1n << 39n }, { kind: 15, len: 7n }, { kind: 0, len: 0n }];
      tb.driver('in', { validProbability: 0.5 }).push(...beats);
      const output = tb.monitor('out', { readyProbability: 0.5 });
      await tb.until(() => output.received.length === 3, { timeout: 200 });
      expect(output.received).toEqual(beats);
      tb.sim.dispose();
    });

    test.each([
      ['valid waits for ready', validWaitsForReady, /valid changes with ready/],
      ['payload changes while stalled', payloadWanders, /payload changed from 0 to 1/],
      ['valid drops before the transfer', validDrops, /valid dropped before the beat/],
    ] as const)('a monitor catches a design whose %s', async (_what, def, message) => {
      const tb = new Testbench(await simulate(def, { engine }));
      tb.sim.reset();
      tb.monitor('out', { readyProbability: 0 });
      const err = await tb.tick(10).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StreamRuleError);
      expect((err as Error).message).toMatch(message);
      tb.sim.dispose();
    });
  });
}

test('drivers and monitors refuse a stream of the wrong direction', async () => {
  const tb = new Testbench(await simulate(passThrough));
  expect(() => tb.driver('out')).toThrow(/use a monitor/);
  expect(() => tb.monitor('in')).toThrow(/use a driver/);
  expect(() => tb.monitor('nope')).toThrow(/no stream 'nope'/);
});
